"""The whole room-tick of ``bench/rooms.py --only ticks``, stepped by this script: repeatable counts.

The same ``RoomHost`` on Redis and the same in-memory hooks as ``bench/rooms.py`` (N four-player
arena rooms, one bot input per room-tick), but no driver task: this script runs the driver's pass
itself, round by round (each room's queued input, then its tick as one step, ``after_step``, the
driver's wake, one outbox write per round), each step at a set game time half a tick past its
tick, so every step is one tick however slowly the script runs (callgrind's fifty times), unless
the process stalls half a tick between setting the time and the step (a few ticks in 2,000 on a
loaded machine under callgrind). Prints the room-ticks run and the CPU per room-tick; with
``--callgrind`` it has callgrind count the measured rounds only (divide by the room-ticks), which
a loaded machine does not move:

    .venv/bin/python bench/room_ticks_stepped.py --rooms 100 --rounds 40
    valgrind --tool=callgrind --instr-atstart=no .venv/bin/python bench/room_ticks_stepped.py --callgrind

The host's own tasks (lease renewal, match list) run on the wall clock, which callgrind stretches
fifty times: they are stopped, and their work done once a second of game time instead.
"""

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from figures import DEFAULT_REDIS_URL  # noqa: E402

WARMUP_ROUNDS = 10


def callgrind(command: str) -> None:
    """Tell the callgrind running this process to ``command`` (``-z``, ``-d``, ``-i on``...)."""
    subprocess.run(["callgrind_control", *command.split(), str(os.getpid())], check=True, stdout=subprocess.DEVNULL)


async def stepped(rooms: int, rounds: int, counted: bool) -> str:
    from django.test import override_settings
    from rooms import DIRECTIONS, Tally

    from game.modes.builtin.arena import Arena
    from gameplatform.modes.commands import Connect, Input, Ready
    from gameplatform.rooms import RoomHost, room_store
    from gameplatform.rooms.driver import Driver

    class Stepped(Driver):
        """The driver's heap and wakes, and no pass of its own: the script runs them."""

        async def run(self) -> None:
            await asyncio.Event().wait()

    override_settings(ROOM_LEASE_SECONDS=3600).enable()  # renewed once a second of game time below
    mode = Arena()
    tally = Tally(mode)
    host = RoomHost(tally.hooks(), room_store(), wire=tally.wire(), owner=f"stepped-{os.getpid()}")
    host.driver = Stepped(host)
    dt = 1.0 / mode.tick_rate
    base = random.randrange(10**9, 2 * 10**9)
    ids = [base + i for i in range(rooms)]
    rng = random.Random(5)

    def at(game_id: int, game_time: float):
        run = host.running[game_id]
        run.origin = time.monotonic() - game_time
        return run

    for game_id in ids:
        assert await host.open(game_id), f"room {game_id} has an owner"
        for command in [*map(Connect, range(1, 5)), *map(Ready, range(1, 5))]:
            at(game_id, 0.0)  # the game starts at 0: its ticks at whole multiples of dt
            await host.apply(game_id, command)
    await host.out.sent()
    for task in asyncio.all_tasks():  # the host's wall-clock tasks: their work is done below
        if task is not asyncio.current_task():
            task.cancel()

    async def one_round(r: int) -> None:
        # Half a tick's slack either side: a slow step (callgrind's) is still one tick.
        for i, game_id in enumerate(ids):
            at(game_id, (r - 0.5) * dt)
            dx, dy = rng.choice(DIRECTIONS)
            await host.apply(game_id, Input(1 + (r + i) % 4, {"dx": dx, "dy": dy}))
        for game_id in ids:
            run = at(game_id, (r + 0.5) * dt)
            room = run.room
            answers = host.steps.tick(game_id, run)
            due = room.ctx.tick - run.snapshot_tick >= room.mode.snapshot_ticks
            await host.steps.after_step(game_id, run, snapshot=due, wait=False, answers=answers)
            host.driver.schedule(game_id)
        await host.out.sent()
        if r % mode.tick_rate == 0:
            await host.keep_leases_once()
            await host.list_once()

    try:
        for r in range(1, WARMUP_ROUNDS + 1):
            await one_round(r)
        ticks0 = sum(host.running[g].room.ctx.tick for g in ids)
        if counted:
            callgrind("-i on")
            callgrind("-z")
        cpu = time.process_time()
        for r in range(WARMUP_ROUNDS + 1, WARMUP_ROUNDS + rounds + 1):
            await one_round(r)
        cpu = time.process_time() - cpu
        if counted:
            callgrind("-d")
            callgrind("-i off")
        ticks = sum(host.running[g].room.ctx.tick for g in ids) - ticks0
    finally:
        await host.stop()
        for game_id in ids:
            await host.store.drop(game_id)
    return (
        f"{ticks} room-ticks ({rooms} rooms, {rounds} rounds), {tally.patches} state patches: "
        f"{cpu / max(ticks, 1) * 1e6:.1f} us CPU per room-tick"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20, help="rounds measured: a tick of every room each")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--callgrind", action="store_true", help="have callgrind count the measured rounds only")
    args = parser.parse_args()
    if "127.0.0.1" not in args.redis_url and "localhost" not in args.redis_url:
        parser.error(f"{args.redis_url}: this bench only talks to 127.0.0.1")
    os.environ.update(REDIS_URL=args.redis_url, RECONNECT_GRACE_SECONDS="600", LOG_LEVEL="WARNING")
    from queue_fill import django_setup

    django_setup()
    print(asyncio.run(stepped(args.rooms, args.rounds, args.callgrind)))


if __name__ == "__main__":
    main()
