"""Bench: DM delivery across two server processes, the badge path, and invite expiry.

Start two servers and two timer runners on one PostgreSQL and Redis, with a short TTL:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/gp_issue5b REDIS_URL=redis://127.0.0.1:6379/7
    export SECRET_KEY=bench INVITE_TTL_SECONDS=2
    .venv/bin/python manage.py migrate
    .venv/bin/daphne --access-log /dev/null -b 127.0.0.1 -p 8700 gameplatform.asgi:application &
    .venv/bin/daphne --access-log /dev/null -b 127.0.0.1 -p 8701 gameplatform.asgi:application &
    .venv/bin/python manage.py run_timers & .venv/bin/python manage.py run_timers &
    .venv/bin/python bench/social_dm_invites.py [--pairs 50]

Senders talk to the server on 8700, recipients listen on 8701. Prints latency figures.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from datetime import datetime

import httpx
from websockets.asyncio.client import connect

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameplatform.settings")

import logging  # noqa: E402

import django  # noqa: E402

django.setup()
logging.getLogger("httpx").setLevel(logging.WARNING)

from django.contrib.auth import get_user_model  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from friends.services import friendship_create  # noqa: E402
from matchmaking.models import Invite  # noqa: E402

A, B = "127.0.0.1:8700", "127.0.0.1:8701"
User = get_user_model()


def make_pairs(count: int) -> list[tuple]:
    pairs = []
    for n in range(count):
        users = []
        for side in ("s", "r"):
            user, _ = User.objects.get_or_create(
                username=f"bench_dm_{side}{n}", defaults={"email": f"bdm{side}{n}@x.io"}
            )
            users.append(user)
        friendship_create(user_a=users[0], user_b=users[1])
        pairs.append(tuple(users))
    Invite.objects.filter(from_user__username__startswith="bench_dm_").delete()
    return pairs


def headers(user) -> dict:
    return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}


def figures(name: str, samples: list[float]) -> None:
    samples = sorted(samples)
    if not samples:
        print(f"{name}: no samples")
        return
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]  # noqa: E731
    print(
        f"{name}: n={len(samples)} p50={pick(0.5) * 1000:.1f} ms p95={pick(0.95) * 1000:.1f} ms "
        f"p99={pick(0.99) * 1000:.1f} ms max={samples[-1] * 1000:.1f} ms mean={statistics.mean(samples) * 1000:.1f} ms"
    )


async def until(ws, predicate, timeout: float = 10.0) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if predicate(frame):
                return frame


async def dm_socket_to_socket(pairs, per_sender: int) -> None:
    latencies = []

    async def one(sender, recipient):
        async with (
            connect(f"ws://{A}/ws/dm/{recipient.pk}/", additional_headers=headers(sender)) as out,
            connect(f"ws://{B}/ws/dm/{sender.pk}/", additional_headers=headers(recipient)) as inbox,
        ):
            await asyncio.sleep(0.2)
            for n in range(per_sender):
                started = time.perf_counter()
                await out.send(json.dumps({"type": "dm_message", "content": f"bench {n}"}))
                await until(
                    inbox, lambda f, n=n: f.get("type") == "dm_message" and f["message"]["content"] == f"bench {n}"
                )
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(s, r) for s, r in pairs))
    elapsed = time.perf_counter() - started
    figures(f"DM socket (8700) -> socket (8701), {len(pairs)} pairs at once", latencies)
    print(f"  {len(latencies)} messages in {elapsed:.2f} s")


async def dm_badge_path(pairs) -> None:
    latencies = []
    async with httpx.AsyncClient(base_url=f"http://{A}") as client:

        async def one(sender, recipient):
            async with connect(f"ws://{B}/ws/notifications/", additional_headers=headers(recipient)) as notes:
                await asyncio.sleep(0.2)
                started = time.perf_counter()
                response = await client.post(
                    f"/api/dm/{recipient.pk}/messages/", json={"content": "badge path"}, headers=headers(sender)
                )
                message_id = response.json()["id"]
                await until(notes, lambda f: f.get("type") == "dm_received" and f["message_id"] == message_id)
                latencies.append(time.perf_counter() - started)

        await asyncio.sleep(5.1)  # a fresh rate window after the socket run
        await asyncio.gather(*(one(s, r) for s, r in pairs))
    figures(f"DM REST POST (8700) -> dm_received on /ws/notifications/ (8701), {len(pairs)} at once", latencies)


async def invite_expiry(pairs) -> None:
    lateness, counts = [], {}
    async with httpx.AsyncClient(base_url=f"http://{A}") as client:

        async def one(sender, recipient):
            async with (
                connect(f"ws://{B}/ws/notifications/", additional_headers=headers(sender)) as s_notes,
                connect(f"ws://{B}/ws/notifications/", additional_headers=headers(recipient)) as r_notes,
            ):
                await asyncio.sleep(0.2)
                response = await client.post(
                    "/api/invites/", json={"to_user_id": recipient.pk, "kind": "game"}, headers=headers(sender)
                )
                invite = response.json()
                deadline = datetime.fromisoformat(invite["expires_at"].replace("Z", "+00:00")).timestamp()
                for ws, who in ((s_notes, sender), (r_notes, recipient)):
                    await until(ws, lambda f: f.get("type") == "invite_expired" and f["invite"]["id"] == invite["id"])
                    lateness.append(time.time() - deadline)
                    counts[(who.pk, invite["id"])] = 1
                await asyncio.sleep(1.0)  # anything more would be a duplicate
                for ws, who in ((s_notes, sender), (r_notes, recipient)):
                    while True:
                        try:
                            frame = json.loads(await asyncio.wait_for(ws.recv(), 0.05))
                        except TimeoutError:
                            break
                        if frame.get("type") == "invite_expired" and frame["invite"]["id"] == invite["id"]:
                            counts[(who.pk, invite["id"])] += 1

        await asyncio.gather(*(one(s, r) for s, r in pairs))
    figures(f"invite_expired after the deadline, {len(pairs)} invites, both sides", lateness)
    duplicates = sum(1 for c in counts.values() if c != 1)
    print(f"  invite_expired frames per user and invite: all exactly 1 = {duplicates == 0} ({len(counts)} checked)")


async def main(pairs, args) -> None:
    await dm_socket_to_socket(pairs, args.per_sender)
    await dm_badge_path(pairs)
    await invite_expiry(pairs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--per-sender", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(make_pairs(arguments.pairs), arguments))
