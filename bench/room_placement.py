"""Where new rooms run when their first sockets arrive skewed: ``ROOM_PLACEMENT=local`` and ``load``
side by side, in one run.

    redis-server --port 6397 --save "" --appendonly no --daemonize yes     # a Redis of its own
    .venv/bin/python bench/room_placement.py --redis-url redis://127.0.0.1:6397/0
    ... bench/room_placement.py --processes 3 --rooms 90 --skew 1.0 --plot placement.png

``--processes`` room hosts play as many server processes (each its own name in the store, its own
group on the channel layer, its own load reports every third of a lease), in this one process over
real Redis, with a game's records in memory (no database). ``--rooms`` new tic-tac-toe games
arrive one after another, ``--gap`` seconds apart (each process reports its load every second);
``--skew`` of their first sockets reach the first process (a balancer's sticky sessions, or a
process that started before the others), the rest are spread evenly over the others. Each arrival
is a game's first socket's open (``RoomHost.place``): under ``local`` the room runs where that
socket is; under ``load`` it may be asked of a less-loaded process (``gameplatform/rooms/placement.py``).

Printed for each: the rooms on each process, the largest share, how many rooms were placed on
another process than their socket's, and the open's time (p50 of those opened here and of those
placed elsewhere, p99 of all; wall time in this process, which runs every host, so a placed
open's time includes the other host's work and two messages through Redis). A bar per process
is printed, and drawn to ``--plot`` when matplotlib is installed. Keys live under a namespace of
their own and are deleted afterwards.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def django_setup(redis_url: str) -> None:
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameplatform.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    import django

    django.setup()


def hooks():
    from game.modes.builtin.tictactoe import TicTacToe
    from gameplatform.modes.testing import seated
    from gameplatform.rooms import Hooks, Seating

    mode = TicTacToe()

    async def seating(game_id):
        return Seating(mode=mode, players=seated(2), seed=game_id)

    async def nothing(*args):
        return None

    return Hooks(seating=seating, record_start=nothing, record_result=nothing)


def wire():
    from gameplatform.rooms import Wire

    async def publish(game_id, delivery):
        return None

    return Wire(publish=publish)


def arrivals(rooms: int, processes: int, skew: float) -> list[int]:
    """The process each game's first socket reaches: ``skew`` of them the first, the rest in turn."""
    first = round(rooms * skew)
    rest = [1 + n % (processes - 1) for n in range(rooms - first)] if processes > 1 else [0] * (rooms - first)
    order, spread = [], iter(rest)
    for n in range(rooms):  # interleaved, as arrivals are
        take_first = first and (n * first // rooms) != ((n + 1) * first // rooms)
        order.append(0 if take_first else next(spread, 0))
    return order


async def run(placement: str, args, namespace: str) -> dict:
    from django.conf import settings

    from gameplatform.rooms import RedisRoomStore, RoomHost

    settings.ROOM_PLACEMENT = placement
    store = RedisRoomStore(namespace=f"{namespace}-{placement}")
    hosts = [RoomHost(hooks(), store, owner=f"p{i}-{placement}", wire=wire()) for i in range(args.processes)]
    for host in hosts:
        await host.placement.serve()
    times, moved = [], []
    try:
        for game_id, at in enumerate(arrivals(args.rooms, args.processes, args.skew), start=1):
            started = time.perf_counter()
            here = await hosts[at].place(game_id, player_id=1)
            (times if here else moved).append(time.perf_counter() - started)
            if args.gap:
                await asyncio.sleep(args.gap)
        rooms = [len(host.running) for host in hosts]
    finally:
        for host in hosts:
            await host.stop()
        from gameplatform.data.redis import get_async_redis

        redis = get_async_redis()
        keys = [key async for key in redis.scan_iter(f"room:{namespace}-{placement}:*")]
        if keys:
            await redis.delete(*keys)
    return {
        "placement": placement,
        "rooms": rooms,
        "largest_share": round(max(rooms) / sum(rooms), 3),
        "placed_elsewhere": len(moved),
        "open_here_ms_p50": ms_p50(times),
        "open_there_ms_p50": ms_p50(moved),
        "open_ms_p99": round(sorted(times + moved)[min(args.rooms - 1, int(0.99 * args.rooms))] * 1000, 2),
    }


def ms_p50(times: list[float]) -> float | None:
    return round(statistics.median(times) * 1000, 2) if times else None


def print_bars(results: list[dict]) -> None:
    most = max(max(r["rooms"]) for r in results) or 1
    for r in results:
        print(f"  {r['placement']}:")
        for i, count in enumerate(r["rooms"]):
            print(f"    process {i} {'#' * round(40 * count / most):<40} {count}")


def write_plot(results: list[dict], path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"note: matplotlib is not installed, no plot written ({path})")
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    width = 0.8 / len(results)
    for k, r in enumerate(results):
        xs = [i + k * width for i in range(len(r["rooms"]))]
        ax.bar(xs, r["rooms"], width, label=f"ROOM_PLACEMENT={r['placement']}")
    names = [f"process {i}" for i in range(len(results[0]["rooms"]))]
    ax.set_xticks([i + width / 2 for i in range(len(names))], names)
    ax.set_ylabel("rooms")
    ax.set_title("new rooms per process, first sockets skewed")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"plot written to {path}")


async def main(args) -> list[dict]:
    namespace = f"bench-placement-{uuid.uuid4().hex[:6]}"
    results = [await run(placement, args, namespace) for placement in ("local", "load")]
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--rooms", type=int, default=90)
    parser.add_argument("--skew", type=float, default=1.0, help="the share of first sockets that reach process 0")
    parser.add_argument("--gap", type=float, default=0.05, help="seconds between arrivals (0.05: 20 games a second)")
    parser.add_argument("--plot", help="a PNG of the rooms per process")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    django_setup(args.redis_url)
    results = asyncio.run(main(args))
    for r in results:
        print(json.dumps(r))
    print_bars(results)
    if args.plot:
        write_plot(results, args.plot)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
