"""One arena game watched by many spectators on one server process: what each delivery costs.

    .venv/bin/python bench/spectators.py                      # 1,000 spectators, 20 s windows
    .venv/bin/python bench/spectators.py --spectators 200 --seconds 10 --json spectators.json

One uvicorn process (the Makefile's flags) over PostgreSQL and Redis runs one arena game (20 Hz)
whose first player changes direction every second, so every tick changes the view. For
``--seconds`` it is measured with its two players only, then with ``--spectators`` sockets on
``/ws/game/{id}/?watch=1`` as well: the server's CPU in each window (from /proc), the frames the
spectators got, and for each of the spectators' patches how much later it reached them than the
same tick's patch reached the second player (the client is one process on the same machine: the
lag includes its own turn to read them). CPU per spectator delivery is the second window's CPU
less the first's, over the spectators' frames.

The room makes one spectators' view a tick and publishes it once to the game's spectators' group;
the process hands it to each of its spectators' sockets. Traffic to 127.0.0.1 only; its own
database and Redis db (``--database-url``, ``--redis-url``); the bench's users and game are
removed at the end.
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

from figures import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    Server,
    ensure_database,
    fresh_users,
    migrate,
    next_frame,
    raise_open_files,
    retry,
    run_async,
    server_environment,
    terminated,
    ws_open,
)
from procstat import cpu_seconds  # noqa: E402

PREFIX = "bench_spec"
PATCH_HEAD = '{"type":"state_patch","tick":'


def tick_of(text: str) -> int | None:
    if not text.startswith(PATCH_HEAD):
        return None
    return int(text[len(PATCH_HEAD) : text.index(",", len(PATCH_HEAD))])


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share / 100 * len(ordered)))]


async def reader(ws, seen: dict, counts: list, index: int, stop: asyncio.Event) -> None:
    """Count a socket's frames; ``seen[tick]``: when this socket got that tick's patch."""
    try:
        while not stop.is_set():
            text = await ws.recv()
            counts[index] += 1
            tick = tick_of(text)
            if tick is not None:
                seen[tick] = time.perf_counter()
    except Exception:  # noqa: BLE001 - closed at the end
        return


async def run(args, port: int, game_id: int, tokens: list[str], pids: list[int]) -> dict:
    base = f"ws://127.0.0.1:{port}/ws/game/{game_id}/"
    players = [await ws_open(base, token) for token in tokens[:2]]
    for ws in players:
        await next_frame(ws, "game_state")
        await ws.send(json.dumps({"type": "player_ready"}))
    stop = asyncio.Event()

    async def steer() -> None:  # every tick changes the view: the first player runs, turning each second
        direction = 1.0
        while not stop.is_set():
            await players[0].send(json.dumps({"type": "input", "data": {"dx": direction, "dy": 0.3}}))
            direction = -direction
            await asyncio.sleep(1.0)

    player_seen: dict[int, float] = {}
    counts = [0]
    tasks = [asyncio.create_task(steer()), asyncio.create_task(reader(players[1], player_seen, counts, 0, stop))]
    await asyncio.sleep(2.0)  # the game starts, the view moves

    cpu0 = cpu_seconds(pids)
    t0 = time.perf_counter()
    await asyncio.sleep(args.seconds)
    alone_cpu = (cpu_seconds(pids) - cpu0) / (time.perf_counter() - t0)

    watchers = []
    for start in range(0, args.spectators, 100):
        batch = tokens[2 + start : 2 + min(args.spectators, start + 100)]
        watchers += await asyncio.gather(*(ws_open(f"{base}?watch=1", token) for token in batch))
    for ws in watchers:
        await next_frame(ws, "game_state")
    seen = [{} for _ in watchers]
    frames = [0] * len(watchers)
    tasks += [asyncio.create_task(reader(ws, seen[i], frames, i, stop)) for i, ws in enumerate(watchers)]
    await asyncio.sleep(2.0)  # settled
    before = list(frames)
    cpu0 = cpu_seconds(pids)
    t0 = time.perf_counter()
    await asyncio.sleep(args.seconds)
    elapsed = time.perf_counter() - t0
    watched_cpu = (cpu_seconds(pids) - cpu0) / elapsed
    delivered = sum(frames) - sum(before)
    stop.set()
    lags = [
        got - player_seen[tick]
        for socket_seen in seen
        for tick, got in socket_seen.items()
        if tick in player_seen and t0 <= player_seen[tick] <= t0 + elapsed
    ]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in [*players, *watchers]), return_exceptions=True)
    per_second = delivered / elapsed
    return {
        "spectators": len(watchers),
        "window_s": round(elapsed, 1),
        "server_cores_players_only": round(alone_cpu, 3),
        "server_cores_watched": round(watched_cpu, 3),
        "spectator_frames_per_s": round(per_second),
        "cpu_us_per_spectator_delivery": round((watched_cpu - alone_cpu) / per_second * 1e6, 1) if per_second else None,
        "lag_behind_player_p50_ms": round(percentile(lags, 50) * 1000, 2) if lags else None,
        "lag_behind_player_p99_ms": round(percentile(lags, 99) * 1000, 2) if lags else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spectators", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0, help="each window's length")
    parser.add_argument("--json", default="", help="write the figures to this JSON file")
    parser.add_argument("--port", type=int, default=8776)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--secret-key", default="platform-bench-secret-key-of-32-bytes-or-more")
    args = parser.parse_args()
    for url in (args.database_url, args.redis_url):
        if "127.0.0.1" not in url and "localhost" not in url:
            parser.error(f"{url}: this bench only talks to 127.0.0.1")
    signal.signal(signal.SIGTERM, terminated)
    env = server_environment(args)
    env.pop("WEB_CONCURRENCY", None)  # one process
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG")})
    os.environ.update(LOG_LEVEL="WARNING")
    ensure_database(args.database_url)
    if not migrate(env):
        return 1
    from queue_fill import django_setup, drop_users

    django_setup()
    from game.models import Game
    from game.services import game_create

    users = fresh_users(PREFIX, 2 + args.spectators)
    game = game_create(mode="arena", players=[users[0][0].pk, users[1][0].pk])
    run_dir = Path(tempfile.mkdtemp(prefix="gp-spectators-bench-"))
    server = Server(args.port, env, run_dir / "server.log", workers=None, nofile=raise_open_files()).start()
    try:
        figures = run_async(run(args, server.port, game.pk, [token for _, token in users], server.pids()))
    finally:
        server.stop()
        retry(lambda: Game.objects.filter(pk=game.pk).delete())
        retry(lambda: drop_users(PREFIX))
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
