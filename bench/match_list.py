"""The match list with many running games: how long ``GET /api/game/rooms/`` takes.

    .venv/bin/python bench/match_list.py                      # 1,000 games, 300 requests a query
    .venv/bin/python bench/match_list.py --games 200 --requests 100 --json match_list.json

The platform runs as ``make serve`` starts it (two uvicorn processes on one port, the Makefile's
flags, over PostgreSQL and Redis, after ``manage.py migrate``). The games are real: made by the
game service (``game_create``), their rooms opened by their players' sockets on whichever process
took each socket, so each room is run by one of the two processes and published to the match list
by it (``RoomHost.list_once``), as in production. ``--arena`` of them are arena games with one of
their two players connected (waiting for the other, open to a joiner, labelled
``{"map": "square", "players": 2}``); the rest are tic-tac-toe games with both players connected
and ready (active). Nothing ticks: the arena rooms wait for their second player, tic-tac-toe has
no clock, so the list is measured on a server that is otherwise quiet.

Once the list shows every game, one client (keep-alive, one request at a time) asks each query
``--requests`` times: the whole list's first page, one mode's, the open games', and a mode and a
label together; p50/p99/max of each request's round trip, and the servers' CPU per request over
all of them, less what the servers use with no request (their listing passes and leases, measured
for 5 s before). ``machine_busy_cores`` is the whole machine's, other work included. Then
``--concurrency`` clients at once ask the whole list for ``--seconds``: requests per second and p99.

Traffic to 127.0.0.1 only; its own database and Redis db (``--database-url``, ``--redis-url``;
the database created if missing, never flushed); the bench's users and games are removed at the end.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import httpx  # noqa: E402
from figures import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    Server,
    close_all,
    ensure_database,
    fresh_users,
    migrate,
    ms,
    raise_open_files,
    retry,
    run_async,
    server_environment,
    terminated,
    wait_quiet,
    ws_open,
)
from procstat import cpu_seconds, machine_cpu_seconds  # noqa: E402

PREFIX = "bench_list"
QUERIES = {
    "all": "",
    "mode": "?mode=tictactoe",
    "open": "?open=1",
    "mode_label": "?mode=arena&label.players=2",
}


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share / 100 * len(ordered)))]


async def frame_where(ws, test, timeout: float = 10.0) -> dict:
    """The next frame that passes ``test``; an ``error`` frame raises."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "error":
                raise RuntimeError(f"error frame: {frame}")
            if test(frame):
                return frame


async def seat(base: str, game_id: int, tokens: list[str], ready: bool, gate: asyncio.Semaphore) -> list:
    """The sockets of ``tokens`` on the game (its room opens on the process that took the first);
    ``ready``: both players ready, the game active. Tried again (new sockets) if it times out: on a
    busy machine a room may move to the other process while its first sockets open."""
    for attempt in range(3):
        sockets = []
        try:
            async with gate:
                for token in tokens:
                    ws = await ws_open(f"{base}/ws/game/{game_id}/", token)
                    sockets.append(ws)
                    await frame_where(ws, lambda f: f["type"] == "game_state")
                if ready:
                    for ws in sockets:
                        await ws.send('{"type":"player_ready"}')
                    for ws in sockets:
                        await frame_where(ws, lambda f: f["type"] == "game_state" and f["state"] == "active")
            return sockets
        except TimeoutError:
            await close_all(sockets)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def listed(client: httpx.AsyncClient, games: int, timeout: float = 60.0) -> float:
    """Seconds until the list shows every game (its owners publish at most once a second)."""
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        response = await client.get("/api/game/rooms/?page_size=1")
        response.raise_for_status()
        if response.json()["count"] >= games:
            return time.perf_counter() - began
        await asyncio.sleep(0.5)
    raise RuntimeError(f"the list did not show {games} games in {timeout:.0f} s: {response.json()['count']}")


async def timed(client: httpx.AsyncClient, path: str) -> tuple[float, int]:
    began = time.perf_counter()
    response = await client.get(path)
    elapsed = time.perf_counter() - began
    response.raise_for_status()
    return elapsed, response.json()["count"]


async def measure(args, base: str, token: str, pids: list[int]) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    figures: dict = {}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        figures["listed_after_s"] = round(await listed(client, args.games), 1)
        for _ in range(20):  # warm: both processes, every query
            await asyncio.gather(*(timed(client, f"/api/game/rooms/{query}") for query in QUERIES.values()))
        idle0, began = cpu_seconds(pids), time.perf_counter()
        await asyncio.sleep(5.0)  # the servers' own work meanwhile (listing passes, leases), to subtract
        idle = (cpu_seconds(pids) - idle0) / (time.perf_counter() - began)
        cpu0, busy0, began, requests = cpu_seconds(pids), machine_cpu_seconds()[0], time.perf_counter(), 0
        for name, query in QUERIES.items():
            times, count = [], None
            for _ in range(args.requests):
                elapsed, count = await timed(client, f"/api/game/rooms/{query}")
                times.append(elapsed)
            requests += len(times)
            figures[f"{name}_matching"] = count
            figures[f"{name}_p50_ms"] = ms(percentile(times, 50))
            figures[f"{name}_p99_ms"] = ms(percentile(times, 99))
            figures[f"{name}_max_ms"] = ms(max(times))
        elapsed = time.perf_counter() - began
        used = cpu_seconds(pids) - cpu0
        figures["server_idle_cores"] = round(idle, 3)
        figures["server_cpu_ms_per_request"] = round((used - idle * elapsed) / requests * 1000, 2)
        figures["machine_busy_cores"] = round((machine_cpu_seconds()[0] - busy0) / elapsed, 2)  # other work included

    async def load(client: httpx.AsyncClient, until: float, times: list) -> None:
        while time.perf_counter() < until:
            times.append((await timed(client, "/api/game/rooms/"))[0])

    clients = [httpx.AsyncClient(base_url=base, headers=headers, timeout=30) for _ in range(args.concurrency)]
    try:
        times: list[float] = []
        began = time.perf_counter()
        await asyncio.gather(*(load(client, began + args.seconds, times) for client in clients))
        elapsed = time.perf_counter() - began
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    figures[f"all_c{args.concurrency}_per_s"] = round(len(times) / elapsed, 1)
    figures[f"all_c{args.concurrency}_p99_ms"] = ms(percentile(times, 99))
    return figures


async def run(args, port: int, games: list[tuple[int, list[str], bool]], token: str, pids: list[int]) -> dict:
    base = f"http://127.0.0.1:{port}"
    gate = asyncio.Semaphore(20)
    began = time.perf_counter()
    seated = await asyncio.gather(
        *(seat(f"ws://127.0.0.1:{port}", game_id, tokens, ready, gate) for game_id, tokens, ready in games),
        return_exceptions=True,
    )
    sockets = [ws for pair in seated if isinstance(pair, list) for ws in pair]
    failed = [repr(pair)[:200] for pair in seated if not isinstance(pair, list)]
    try:
        if failed:
            raise RuntimeError(f"{len(failed)} games not seated, the first: {failed[0]}")
        setup = time.perf_counter() - began
        return {"games": len(games), "sockets": len(sockets), "setup_s": round(setup, 1)} | await measure(
            args, base, token, pids
        )
    finally:
        await close_all(sockets)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", type=int, default=1000)
    parser.add_argument("--arena", type=int, default=100, help="of them arena games waiting for a player (open)")
    parser.add_argument("--requests", type=int, default=300, help="requests of each query, one at a time")
    parser.add_argument("--concurrency", type=int, default=8, help="clients at once for the throughput figure")
    parser.add_argument("--seconds", type=float, default=10.0, help="the throughput figure's length")
    parser.add_argument("--workers", type=int, default=2, help="server processes (make serve's WORKERS)")
    parser.add_argument("--json", default="", help="write the figures to this JSON file")
    parser.add_argument("--port", type=int, default=8778)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--secret-key", default="platform-bench-secret-key-of-32-bytes-or-more")
    args = parser.parse_args()
    if not 0 <= args.arena <= args.games:
        parser.error("--arena: between 0 and --games")
    for url in (args.database_url, args.redis_url):
        if "127.0.0.1" not in url and "localhost" not in url:
            parser.error(f"{url}: this bench only talks to 127.0.0.1")
    signal.signal(signal.SIGTERM, terminated)
    env = server_environment(args)  # the players who never come keep their seats all run long
    env["LOG_LEVEL"] = "WARNING"
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG")})
    os.environ.update(LOG_LEVEL="WARNING")
    ensure_database(args.database_url)
    if not migrate(env):
        return 1
    from queue_fill import django_setup, drop_users

    django_setup()
    from figures import drop_games_of

    from game.models import Game
    from game.services import game_create

    users = fresh_users(PREFIX, 2 * args.games + 1)
    games, game_ids = [], []
    for index, (a, b) in enumerate(zip(users[0:-1:2], users[1:-1:2], strict=True)):
        arena = index < args.arena
        game = game_create(mode="arena" if arena else "tictactoe", players=[a[0].pk, b[0].pk])
        game_ids.append(game.pk)
        games.append((game.pk, [a[1]] if arena else [a[1], b[1]], not arena))
    run_dir = Path(tempfile.mkdtemp(prefix="gp-match-list-bench-"))
    server = Server(args.port, env, run_dir / "server.log", workers=args.workers, nofile=raise_open_files()).start()
    try:
        figures = run_async(run(args, server.port, games, users[-1][1], server.pids()))
    finally:
        wait_quiet(server.pids())
        server.stop()
        retry(lambda: Game.objects.filter(pk__in=game_ids).delete())
        retry(lambda: drop_games_of([u.pk for u, _ in users]))
        retry(lambda: drop_users(PREFIX))
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
