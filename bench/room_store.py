"""CPU of the room store's calls in the server process: a write of many rooms, a room's open.

    redis-server --port 6397 --save "" --appendonly no --daemonize yes     # a Redis of its own
    .venv/bin/python bench/room_store.py --redis-url redis://127.0.0.1:6397/0
    ... bench/room_store.py --rooms 1,8,64 --writes 200 --rounds 5

Every turn-based move, and every few ticks of a real-time room, reaches the store before any
player hears of it: the outbox writes the snapshots and replay-log segments of the rooms that
stepped meanwhile in one ``RedisRoomStore.write`` (``gameplatform/rooms/outbox.py``). A room's
open claims its lease and reads its snapshot (``claim_and_load``), and each socket takes a seat
number. This times those calls in this process with its CPU clock (``time.process_time``:
redis-py's packing and reading and the event loop's part, not Redis's), over a client made as
the server makes its own (``REDIS_SOCKET_TIMEOUT`` and the rest, ``gameplatform.data.redis``), and
prints the median of the rounds in µs per room (a write) or per call. The keys live under a
namespace of their own and are deleted afterwards; nothing else in that Redis is touched.
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
    import django

    django.setup()


# A tic-tac-toe room's snapshot after a few moves, about as long as the room's own (the random
# generator's state is most of a real one: 625 numbers).
SNAPSHOT = json.dumps({"board": [None, "x", None, "o", None, None, "x", None, None], "random": list(range(625))})
SEGMENT = [[3, 4.25, "move", [1, {"cell": 6}], 4]]  # one step, as the replay log keeps it


async def time_writes(store, rooms: int, writes: int, rounds: int) -> list[float]:
    """µs of this process's CPU per room, for writes of ``rooms`` rooms' snapshots and log segments."""
    from gameplatform.rooms.store import JournalBatch

    per_room = []
    number = 0
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(writes):
            number += 1
            snapshots = {g: SNAPSHOT for g in range(rooms)}
            logs = {g: SEGMENT for g in range(rooms)}
            await store.write(snapshots, JournalBatch("bench", number, {}, None, number == 1), None, logs)
        per_room.append((time.process_time() - started) / writes / rooms * 1e6)
    return per_room


async def time_opens(store, calls: int, rounds: int) -> tuple[list[float], list[float]]:
    """µs of this process's CPU per room's claim-and-load, and per seat number."""
    opens, seats = [], []
    game = 10_000
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(calls):
            game += 1
            await store.claim_and_load(game, "bench")
        opens.append((time.process_time() - started) / calls * 1e6)
        started = time.process_time()
        for i in range(calls):
            await store.next_seat_number(game, i % 2)
        seats.append((time.process_time() - started) / calls * 1e6)
    return opens, seats


def _figure(values: list[float]) -> str:
    return f"{statistics.median(values):6.1f} ({min(values):.1f}-{max(values):.1f})"


async def main(args) -> None:
    from gameplatform.data.redis import get_async_redis
    from gameplatform.rooms.store import RedisRoomStore

    client = get_async_redis()
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    store = RedisRoomStore(client, namespace=namespace)
    try:
        await store.write({0: SNAPSHOT})  # the connection made and the script loaded: not timed
        print(f"{args.rounds} rounds; µs of this process's CPU (median, min-max)")
        for rooms in args.rooms:
            figures = await time_writes(store, rooms, args.writes, args.rounds)
            print(f"  a write of {rooms:>3} rooms (snapshot and log segment each): {_figure(figures)} a room")
        opens, seats = await time_opens(store, args.writes, args.rounds)
        print(f"  a room's claim and snapshot read: {_figure(opens)} a call")
        print(f"  a socket's seat number:           {_figure(seats)} a call")
    finally:
        keys = [key async for key in client.scan_iter(match=f"room:{namespace}:*", count=1000)]
        for at in range(0, len(keys), 500):
            await client.delete(*keys[at : at + 500])
        await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--rooms", default="1,8,64", help="rooms a write, comma-separated")
    parser.add_argument("--writes", type=int, default=200, help="writes (and opens, seat numbers) a round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    args.rooms = [int(n) for n in args.rooms.split(",")]
    django_setup(args.redis_url)
    asyncio.run(main(args))
