"""The room engine's soak: one process running rooms for an hour, its memory and its ticks watched.

    .venv/bin/python bench/soak.py                       # 60 minutes, 250 arena rooms, 500 tic-tac-toe games
    .venv/bin/python bench/soak.py --minutes 6 --window-minutes 2 --json soak.json --plot soak.png

This process runs a ``RoomHost`` (the server's room engine: one driver, the outbox, the journal,
snapshots and leases in Redis) with in-memory hooks in place of the database and the sockets (as
``bench/rooms.py``'s ticks do): ``--arena-rooms`` four-player arena rooms at 20 Hz, each player's
bot sending a direction about 5 times a second, and ``--turn-games`` tic-tac-toe games whose
players move about every 2 s. Every game that ends (an arena game after its 90 s of game time, a
tic-tac-toe game after its last move) is followed at once by a new game with a new id, so the
rooms running stay the same while thousands of games pass through the host.

Every ``--sample-seconds`` it records: the process's RSS, the tick lateness of the interval (p50,
p99, max: how late each room's due wake ran), the ticks missed (a wake a whole period late), the
games finished so far, the rooms running, Python's live objects, and the Redis keys under the
rooms' namespace. The targets (issue #37): RSS after the first 5 minutes grows at most 5%, no
missed tick, and the tick lateness p99 of the last ``--window-minutes`` is the first window's or
less (within 25% or 1 ms, whichever is larger: a 2-core machine's p99 moves that much between
two windows of the same load).

Its own database and Redis db (``--database-url``, ``--redis-url``; nothing is written to the
database); traffic to 127.0.0.1 only. It stops by itself and drops its rooms' keys. The plot needs
matplotlib, which the project does not install: without it the plot is skipped with a note.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402

from figures import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, ensure_database, rss_kib  # noqa: E402

from gameplatform.modes.commands import Connect, Input, Move, Ready  # noqa: E402

TICK = 1 / 20


class Soak:
    def __init__(self, args) -> None:
        from game.modes.builtin.arena import Arena
        from game.modes.builtin.tictactoe import TicTacToe

        self.args = args
        self.arena, self.ttt = Arena(), TicTacToe()
        self.modes: dict[int, object] = {}  # game -> its mode, while it runs
        self.finished = 0
        self.next_id = random.randrange(5 * 10**9, 6 * 10**9)
        self.rng = random.Random(37)
        self.samples: list[dict] = []
        self.stop = asyncio.Event()

    def hooks(self):
        from gameplatform.modes.testing import seated
        from gameplatform.rooms import Grace, Hooks, Seating

        async def seating(game_id):
            mode = self.modes.get(game_id)
            if mode is None:
                return None
            count = 4 if mode is self.arena else 2
            return Seating(mode=mode, players=seated(count), seed=game_id)

        async def nothing(*args):
            return None

        async def result(game_id, *args):
            self.finished += 1

        return Hooks(
            seating=seating,
            record_start=nothing,
            record_result=result,
            grace=lambda: Grace(reconnect=600, first=600),
        )

    def wire(self):
        from gameplatform.rooms import Wire

        async def publish(game_id, delivery):
            return None

        return Wire(publish=publish)

    async def game(self, host, mode) -> None:
        """One game from its start to its end, its players' bots playing it; then the next one."""
        while not self.stop.is_set():
            game_id = self.next_id
            self.next_id += 1
            self.modes[game_id] = mode
            players = 4 if mode is self.arena else 2
            try:
                assert await host.open(game_id)
                for pid in range(1, players + 1):
                    await host.apply(game_id, Connect(pid))
                for pid in range(1, players + 1):
                    await host.apply(game_id, Ready(pid))
                if mode is self.arena:
                    await self.arena_bots(host, game_id)
                else:
                    await self.ttt_players(host, game_id)
            finally:
                self.modes.pop(game_id, None)

    async def arena_bots(self, host, game_id: int) -> None:
        gap = 1.0 / (5 * 4)  # four players, each about 5 directions a second
        while not self.stop.is_set():
            room = host.room(game_id)
            if room is None or room.over:
                return
            data = {"dx": self.rng.uniform(-1, 1), "dy": self.rng.uniform(-1, 1)}
            await host.apply(game_id, Input(self.rng.randint(1, 4), data))
            await asyncio.sleep(gap * (0.5 + self.rng.random()))

    async def ttt_players(self, host, game_id: int) -> None:
        await asyncio.sleep(self.rng.random() * 2)
        while not self.stop.is_set():
            room = host.room(game_id)
            if room is None or room.over:
                return
            free = [cell for cell, mark in enumerate(room.state["board"]) if mark is None]
            await host.apply(game_id, Move(room.ctx.turn, {"cell": self.rng.choice(free)}))
            await asyncio.sleep(1.5 + self.rng.random())

    async def sample(self, host, started: float) -> dict:
        from gameplatform.data.redis import get_async_redis

        keys = 0
        async for _ in get_async_redis().scan_iter(match=f"room:{host.store.ns}:*", count=1000):
            keys += 1
        late = host.lateness
        row = {
            "elapsed_s": round(time.monotonic() - started, 1),
            "rss_kib": rss_kib(os.getpid()),
            "lateness_p50_ms": round(late.percentile(0.50) * 1000, 2),
            "lateness_p99_ms": round(late.percentile(0.99) * 1000, 2),
            "lateness_max_ms": round(late.max * 1000, 2),
            "wakes": late.count,
            "missed_ticks": late.at_least(TICK),
            "games_finished": self.finished,
            "rooms_running": len(host.running),
            "python_objects": len(gc.get_objects()),
            "redis_room_keys": keys,
        }
        late.clear()
        return row

    async def run(self) -> dict:
        from gameplatform.rooms import RoomHost, room_store

        host = RoomHost(self.hooks(), room_store(), wire=self.wire(), owner="soak")
        started = time.monotonic()
        games = [asyncio.create_task(self.game(host, self.arena)) for _ in range(self.args.arena_rooms)]
        games += [asyncio.create_task(self.game(host, self.ttt)) for _ in range(self.args.turn_games)]
        end = started + self.args.minutes * 60
        try:
            while time.monotonic() < end:
                await asyncio.sleep(min(self.args.sample_seconds, max(0.0, end - time.monotonic())))
                row = await self.sample(host, started)
                self.samples.append(row)
                print(
                    f"{row['elapsed_s']:7.0f} s  RSS {row['rss_kib'] / 1024:7.1f} MiB  lateness p99 "
                    f"{row['lateness_p99_ms']:6.2f} ms  missed {row['missed_ticks']}  games {row['games_finished']}  "
                    f"rooms {row['rooms_running']}  objects {row['python_objects']}  "
                    f"redis keys {row['redis_room_keys']}",
                    flush=True,
                )
        finally:
            self.stop.set()
            await asyncio.gather(*games, return_exceptions=True)
            ids = list(host.running)
            await host.stop()
            for game_id in ids:
                await host.store.drop(game_id)
        return self.summary()

    def summary(self) -> dict:
        window = self.args.window_minutes * 60
        rows = self.samples
        after_5 = [r for r in rows if r["elapsed_s"] >= 300] or rows[len(rows) // 2 :]
        base_rss, end_rss = after_5[0]["rss_kib"], rows[-1]["rss_kib"]
        first = [r["lateness_p99_ms"] for r in rows if r["elapsed_s"] <= window]
        last = [r["lateness_p99_ms"] for r in rows if r["elapsed_s"] > rows[-1]["elapsed_s"] - window]
        first_p99, last_p99 = max(first), max(last)
        growth = (end_rss - base_rss) / base_rss * 100
        missed = sum(r["missed_ticks"] for r in rows)
        return {
            "minutes": self.args.minutes,
            "arena_rooms": self.args.arena_rooms,
            "turn_games": self.args.turn_games,
            "games_finished": rows[-1]["games_finished"],
            "rss_base_mib": round(base_rss / 1024, 1),
            "rss_end_mib": round(end_rss / 1024, 1),
            "rss_max_mib": round(max(r["rss_kib"] for r in rows) / 1024, 1),
            "rss_growth_pct": round(growth, 2),
            "lateness_p99_first_window_ms": first_p99,
            "lateness_p99_last_window_ms": last_p99,
            "missed_ticks": missed,
            "redis_room_keys_end": rows[-1]["redis_room_keys"],
            "targets": {
                "rss_growth_le_5_pct": growth <= 5,
                "no_missed_tick": missed == 0,
                "lateness_p99_unchanged": last_p99 <= max(first_p99 * 1.25, first_p99 + 1),
            },
        }


def write_plot(samples: list[dict], path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"note: matplotlib is not installed, no plot written ({path}); `pip install matplotlib` for it")
        return
    minutes = [r["elapsed_s"] / 60 for r in samples]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    top.plot(minutes, [r["rss_kib"] / 1024 for r in samples])
    top.set_ylabel("RSS (MiB)")
    top.set_ylim(bottom=0)
    bottom.plot(minutes, [r["lateness_p99_ms"] for r in samples], label="p99")
    bottom.plot(minutes, [r["lateness_p50_ms"] for r in samples], label="p50")
    bottom.set_ylabel("tick lateness (ms)")
    bottom.set_xlabel("minutes")
    bottom.legend()
    top.set_title("room engine soak: one process's memory and tick lateness")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"plot written to {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--arena-rooms", type=int, default=250)
    parser.add_argument("--turn-games", type=int, default=500)
    parser.add_argument("--window-minutes", type=float, default=10)
    parser.add_argument("--sample-seconds", type=float, default=10)
    parser.add_argument("--json", default="", help="write the samples and the summary to this file")
    parser.add_argument("--plot", default="", help="a PNG of RSS and tick lateness over time")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    args = parser.parse_args()
    for url in (args.database_url, args.redis_url):
        if "127.0.0.1" not in url and "localhost" not in url:
            parser.error(f"{url}: this bench only talks to 127.0.0.1")
    os.environ.update(DATABASE_URL=args.database_url, REDIS_URL=args.redis_url, DEBUG="1", LOG_LEVEL="WARNING")
    ensure_database(args.database_url)
    from queue_fill import django_setup

    django_setup()
    import gameplatform.asgi  # noqa: F401 - the server's collector policy (gc.freeze and its thresholds), as a server runs

    soak = Soak(args)
    summary = asyncio.run(soak.run())
    print(json.dumps(summary, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "samples": soak.samples}, indent=2))
    if args.plot:
        write_plot(soak.samples, args.plot)
    return 0 if all(summary["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
