"""CPU of one real-time room tick: ``Room.advance`` plus ``drain()`` (the state patches), no I/O.
And of one turn-based step: a tic-tac-toe move with the snapshot its owner writes after it.

Runs 4-player arena rooms in this process, every player turning twice a second, and times each
tick of the room alone (the mode's ``on_tick``, every player's ``view``, the JSON Patch per player).
A mode with an empty view at the same tick rate gives the platform's fixed cost per tick.

    .venv/bin/python bench/arena_tick.py --players 4 --ticks 2000 --runs 5

Prints the median and mean microseconds per tick (the median leaves out the ticks the OS
preempted, the mean does not) and the bytes of ``state_patch`` each player gets per tick,
against the bytes of a full view. At 20 Hz, 250 rooms take 5,000 ticks a second: a core
keeps up while a tick costs under 200 µs, with nothing else to do. A turn-based room is
snapshotted after every change: the last line gives a tic-tac-toe move's step and frames, and
its snapshot's JSON apart (the room host writes it to the store before the frames go out).
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameplatform.settings")

import django  # noqa: E402

django.setup()

from game.modes.builtin.arena import Arena  # noqa: E402
from game.modes.builtin.tictactoe import TicTacToe  # noqa: E402
from gameplatform.modes import Mode  # noqa: E402
from gameplatform.modes.commands import Move  # noqa: E402
from gameplatform.modes.testing import seated  # noqa: E402
from gameplatform.rooms import Room  # noqa: E402

DIRECTIONS = [(1, 0), (0, 1), (-1, 0), (0, -1), (1, 1), (-1, 1), (0.5, -0.7)]


class Empty(Mode):
    name = "empty"
    tick_rate = 20


def started_room(mode: Mode, players: int, seed: int) -> Room:
    seats = seated(players)
    room = Room(mode, game_id=1, players=seats, seed=seed)
    for p in seats:
        room.connect(p.id)
    for p in seats:
        room.ready(p.id)
    room.drain()
    return room


def run(mode: Mode, *, players: int, ticks: int, seed: int) -> tuple[list[float], int, int]:
    """Each tick's seconds, the patch bytes per player and the bytes of one full view."""
    rng = random.Random(seed)
    room, now, games = started_room(mode, players, seed), 0.0, 0
    times, patch_bytes = [], 0
    full = len(json.dumps(room.view_of(1), separators=(",", ":")))
    while len(times) < ticks:
        if room.over:  # a finished game: the next one
            games += 1
            room, now = started_room(mode, players, seed * 1000 + games), 0.0
        if len(times) % 10 == 0 and "input" in mode.messages:
            for p in room.players:
                dx, dy = rng.choice(DIRECTIONS)
                room.input(p.id, {"dx": dx, "dy": dy})
        now += 1 / mode.tick_rate
        start = time.perf_counter()
        room.advance(now)
        frames = room.drain()
        times.append(time.perf_counter() - start)
        patch_bytes += sum(len(json.dumps(f, separators=(",", ":"))) for _, f in frames if f["type"] == "state_patch")
    return times, patch_bytes // (ticks * players), full


def run_moves(*, moves: int, seed: int) -> tuple[list[float], list[float]]:
    """Each tic-tac-toe move's seconds (the step and its frames' text), and its snapshot's."""
    rng = random.Random(seed)
    steps, snapshots, games = [], [], 0
    while len(steps) < moves:
        games += 1
        room, now = started_room(TicTacToe(), 2, seed * 1000 + games), 0.0
        room.encode_snapshot(journal="bench")
        while not room.over and len(steps) < moves:
            now += 2.0
            free = [cell for cell, mark in enumerate(room.state["board"]) if mark is None]
            start = time.perf_counter()
            room.step(now, Move(room.ctx.turn, {"cell": rng.choice(free)}))
            room.drain_encoded()
            made = time.perf_counter()
            room.encode_snapshot(journal="bench")
            steps.append(made - start)
            snapshots.append(time.perf_counter() - made)
    return steps, snapshots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=4)
    parser.add_argument("--ticks", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for mode in (Empty(), Arena()):
        medians, means = [], []
        for seed in range(1, args.runs + 1):
            times, patch, full = run(mode, players=args.players, ticks=args.ticks, seed=seed)
            medians.append(statistics.median(times) * 1e6)
            means.append(statistics.fmean(times) * 1e6)
        print(
            f"{mode.name:6} {args.players} players: median {statistics.median(medians):6.1f} µs, "
            f"mean {statistics.median(means):6.1f} µs per tick; "
            f"{patch} patch bytes per player per tick (full view {full} bytes)"
        )
    steps, snapshots = [], []
    for seed in range(1, args.runs + 1):
        step_times, snapshot_times = run_moves(moves=args.ticks, seed=seed)
        steps.append(statistics.median(step_times) * 1e6)
        snapshots.append(statistics.median(snapshot_times) * 1e6)
    print(
        f"tictactoe move: median {statistics.median(steps):6.1f} µs (step and frames), "
        f"then {statistics.median(snapshots):6.1f} µs for its snapshot"
    )


if __name__ == "__main__":
    main()
