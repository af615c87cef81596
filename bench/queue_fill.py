"""Fill the matchmaking queue with N players at once through the real HTTP server(s).

    export DATABASE_URL=... REDIS_URL=... SECRET_KEY=bench   # the same as the servers'
    .venv/bin/python bench/queue_fill.py --urls http://127.0.0.1:8300,http://127.0.0.1:8301 --players 200

Every player sends ``POST /api/matchmaking/join/`` at the same moment (spread over the
given servers); players still queued then poll ``/api/matchmaking/status/``. Prints
matches per second, join latencies and the slowest join, and checks that every player
landed in exactly one game. The bench users are removed afterwards.
"""

import argparse
import asyncio
import os
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

PREFIX = "benchq"


# --- shared with game_moves.py ---------------------------------------------------


def django_setup() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameplatform.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import warnings

    import django

    warnings.filterwarnings("ignore", module="jwt")
    django.setup()


def make_users(prefix: str, count: int) -> list:
    """``count`` fresh users named ``<prefix>_<n>`` (previous ones removed) and an access token for each."""
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User, username_key

    User.objects.filter(username__startswith=f"{prefix}_").delete()
    names = [f"{prefix}_{n}" for n in range(count)]
    # bulk_create skips User.save(), which sets username_key (unique): set it here.
    User.objects.bulk_create(
        [
            User(username=name, username_key=username_key(name), email=f"{name}@bench.invalid", password="!")
            for name in names
        ]
    )
    users = list(User.objects.filter(username__startswith=f"{prefix}_").order_by("id"))
    return [(user, str(AccessToken.for_user(user))) for user in users]


def drop_users(prefix: str) -> None:
    from accounts.models import User

    User.objects.filter(username__startswith=f"{prefix}_").delete()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


# --- the queue bench ------------------------------------------------------------


async def join(client: httpx.AsyncClient, url: str, token: str, mode: str, start: asyncio.Event) -> tuple:
    await start.wait()
    began = time.perf_counter()
    response = await client.post(
        f"{url}/api/matchmaking/join/", json={"mode": mode}, headers={"Authorization": f"Bearer {token}"}
    )
    return time.perf_counter() - began, response.status_code, response.json()


async def wait_until_matched(client, url, token) -> float:
    while True:
        body = (await client.get(f"{url}/api/matchmaking/status/", headers={"Authorization": f"Bearer {token}"})).json()
        if body["status"] == "matched":
            return time.perf_counter()
        await asyncio.sleep(0.02)


async def run(urls: list[str], players: list, mode: str) -> tuple:
    limits = httpx.Limits(max_connections=len(players), max_keepalive_connections=len(players))
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        # Warm the connections so the measured requests do not include TCP set-up.
        await asyncio.gather(*(client.get(f"{url}/api/status/") for url in urls))
        start = asyncio.Event()
        tasks = [
            asyncio.create_task(join(client, urls[i % len(urls)], token, mode, start))
            for i, (_, token) in enumerate(players)
        ]
        await asyncio.sleep(0.2)
        began = time.perf_counter()
        start.set()
        results = await asyncio.gather(*tasks)
        joined = time.perf_counter()
        waiting = [
            wait_until_matched(client, urls[i % len(urls)], players[i][1])
            for i, (_, status, body) in enumerate(results)
            if body.get("status") == "queued"
        ]
        done = max(await asyncio.gather(*waiting), default=joined) if waiting else joined
    latencies = [r[0] for r in results]
    codes = Counter(r[1] for r in results)
    matched_now = sum(1 for r in results if r[2].get("status") == "matched")
    return began, joined, done, latencies, codes, matched_now


def report(players, urls, began, joined, done, latencies, codes, matched_now) -> None:
    from game.models import Game, GamePlayer

    user_ids = [u.pk for u, _ in players]
    seats = Counter(GamePlayer.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True))
    games = Game.objects.filter(players__user_id__in=user_ids).distinct().count()
    elapsed = done - began
    print(f"players {len(players)} over {len(urls)} server process(es); HTTP status counts {dict(codes)}")
    print(
        f"games {games}; every player in exactly one game: {set(seats.values()) == {1} and len(seats) == len(players)}"
    )
    print(f"matched in their own join response: {matched_now}; the rest saw it on their next status poll")
    print(f"all joins answered in {joined - began:.3f} s; everyone matched after {elapsed:.3f} s")
    print(f"matches per second: {games / elapsed:.0f}")
    print(
        f"join latency p50 {percentile(latencies, 50) * 1000:.1f} ms, p99 {percentile(latencies, 99) * 1000:.1f} ms, "
        f"slowest {max(latencies) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", default="http://127.0.0.1:8300", help="comma-separated server base URLs")
    parser.add_argument("--players", type=int, default=200)
    parser.add_argument("--mode", default="tictactoe")
    args = parser.parse_args()
    django_setup()
    players = make_users(PREFIX, args.players - args.players % 2)
    try:
        urls = args.urls.split(",")
        report(players, urls, *asyncio.run(run(urls, players, args.mode)))
    finally:
        drop_users(PREFIX)


if __name__ == "__main__":
    main()
