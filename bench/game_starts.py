"""Game starts on two server processes: every player gets the game, every ``player_ready`` its ``ack``.

    .venv/bin/python bench/game_starts.py                    # 1,000 starts: about two minutes
    .venv/bin/python bench/game_starts.py --quick            # 100 starts
    .venv/bin/python bench/game_starts.py --placement together --json starts.json --plot starts.png

Two server processes (the Makefile's uvicorn line, one process each, on ``--port`` and the next;
``--server daphne`` for its daphne line) over PostgreSQL and Redis. Each game is a tic-tac-toe game
of two fresh players made in the database; its two game sockets are opened at the same moment,
and each sends ``player_ready`` (with a ``ref``) as soon as it is open, as a client that readies on
open does. A start counts as **whole** when both players got a ``game_state``, both readies were
answered ``ack`` and both players saw the game ``active``, within ``--timeout`` seconds; anything
less is a **silent** start (which player missed what is printed). Then the first player forfeits
(its ``ack`` and both players' ``game_over`` are waited for) and the sockets close.

Placement (``--placement``):
  spread    each game's first player on the first process and its second on the other (the
            processes swap roles every game), as a round robin balancer spreads a game's sockets:
            the room runs on one of them and the other player's frames cross the channel layer.
  together  both players of a game on one process, the games alternating between the two, as
            ``deploy/nginx``'s hash of a game's path places them.

Cold processes: both servers are started again every ``--restart-every`` games, so the first games
of each wave meet processes whose database workers and subscriptions are still starting (where
the silent starts of issue #55 were: all among the first five games after a start).

The database and Redis db are the bench's own (``--database-url`` / ``--redis-url``; the database is
created if missing and migrated, never flushed; its users and games are removed at the end). Traffic
goes to 127.0.0.1 only. The plot needs matplotlib, which the project does not install: without it the
plot is skipped with a note. Exit status 1 when any start was silent.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shlex  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

from figures import HOST, PYTHON, Server, ms, prepare_platform, retry, run_async, terminated, ws_open  # noqa: E402
from queue_fill import drop_users, percentile  # noqa: E402

PREFIX = "pbstarts"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/gp_starts_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"


class MakefileServer(Server):
    """A server process as the Makefile's line for ``name`` runs it (``uvicorn`` or ``daphne``), one process."""

    def __init__(self, name: str, port: int, env: dict, log_path: Path) -> None:
        text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
        line = next(row for row in text.splitlines() if row.startswith(f"{name.upper()} :="))
        words = shlex.split(line.split(":=", 1)[1])
        extra = dict(word.split("=", 1) for word in words if "=" in word and not word.startswith("-"))
        self.flags = [word for word in words[1 + len(extra) :]]
        self.name = name
        super().__init__(port, {**env, **extra}, log_path, workers=None)

    def command(self) -> list[str]:
        bind = ["--host", HOST, "--port"] if self.name == "uvicorn" else ["-b", HOST, "-p"]
        return [str(PYTHON), "-m", self.name, *self.flags, *bind, str(self.port), "gameplatform.asgi:application"]


@dataclass
class Seat:
    """What one player of one start saw, in seconds from the moment both sockets were asked for."""

    opened: float | None = None
    state: float | None = None  # the first game_state
    ack: float | None = None  # the ready's ack
    active: float | None = None  # game_start, or a game_state that says active
    over: float | None = None  # game_over, after the forfeit
    errors: list[str] = field(default_factory=list)

    def missing(self) -> list[str]:
        wants = {"socket": self.opened, "game_state": self.state, "ack": self.ack, "active": self.active}
        return [name for name, at in wants.items() if at is None]


async def play_seat(url: str, token: str, ref: str, began: float, seat: Seat, started: asyncio.Event, ending, timeout):
    """One player's socket: ready on open, until the game is active; then the end (``ending``)."""
    loop = asyncio.get_running_loop()
    try:
        ws = await ws_open(url, token, open_timeout=timeout)
    except Exception as exc:
        seat.errors.append(f"open: {exc!r}")
        return
    try:
        seat.opened = loop.time() - began
        await ws.send(json.dumps({"type": "player_ready", "ref": ref}))
        deadline = loop.time() + timeout
        forfeit_ref = None
        while seat.over is None:
            left = deadline - loop.time()
            if left <= 0:
                return
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), left))
            except Exception as exc:
                if not isinstance(exc, TimeoutError):
                    seat.errors.append(f"recv: {exc!r}")
                return
            now, kind = loop.time() - began, frame.get("type")
            if kind == "game_state":
                seat.state = seat.state if seat.state is not None else now
                if frame.get("state") == "active" and seat.active is None:
                    seat.active = now
            elif kind == "game_start" and seat.active is None:
                seat.active = now
            elif kind == "ack" and frame.get("ref") == ref:
                seat.ack = now
            elif kind == "game_over":
                seat.over = now
            elif kind == "error":
                seat.errors.append(f"{frame.get('code')}: {frame.get('message')}")
            if seat.active is not None and seat.ack is not None and not started.is_set():
                started.set()
            if ending is not None and seat.active is not None and seat.ack is not None and forfeit_ref is None:
                forfeit_ref = "end"
                await started_by_all(ending)
                await ws.send(json.dumps({"type": "forfeit", "ref": forfeit_ref}))
    finally:
        await ws.close()


async def started_by_all(events: list[asyncio.Event]) -> None:
    await asyncio.wait([asyncio.ensure_future(e.wait()) for e in events], timeout=10)


async def one_start(bases: list[str], game_id: int, tokens: list[str], timeout: float) -> list[Seat]:
    """Both players' sockets of ``game_id`` asked for at the same moment, each on its server."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    seats = [Seat() for _ in tokens]
    started = [asyncio.Event() for _ in tokens]
    await asyncio.gather(
        *(
            play_seat(
                f"{base.replace('http', 'ws', 1)}/ws/game/{game_id}/",
                token,
                f"ready-{n}",
                began,
                seat,
                started[n],
                started if n == 0 else None,  # the first player forfeits once everyone has started
                timeout,
            )
            for n, (base, token, seat) in enumerate(zip(bases, tokens, seats, strict=True))
        )
    )
    return seats


async def run_wave(servers: list[str], games: list[tuple[int, list[str]]], placement: str, concurrency: int, timeout):
    """Every game of a wave, ``concurrency`` at a time; (game, its servers, its seats) for each."""
    gate = asyncio.Semaphore(concurrency)
    results = []

    async def start(index: int, game_id: int, tokens: list[str]) -> None:
        if placement == "spread":
            bases = [servers[index % 2], servers[(index + 1) % 2]]
        else:
            bases = [servers[index % 2]] * 2
        async with gate:
            results.append((game_id, bases, await one_start(bases, game_id, tokens, timeout)))

    await asyncio.gather(*(start(i, g, t) for i, (g, t) in enumerate(games)))
    return results


def make_games(count: int) -> tuple[list[tuple[int, list[str]]], list[int]]:
    from figures import fresh_users

    from game.services import game_create

    users = fresh_users(PREFIX, 2 * count)
    games = []
    for a, b in zip(users[0::2], users[1::2], strict=True):
        games.append((game_create(mode="tictactoe", players=[a[0].pk, b[0].pk]).pk, [a[1], b[1]]))
    return games, [u.pk for u, _ in users]


def summarise(results: list, waves: int) -> dict:
    silent = []
    to_active = []
    for game_id, bases, seats in results:
        missing = {n: seat.missing() for n, seat in enumerate(seats) if seat.missing()}
        if missing:
            silent.append(
                {
                    "game": game_id,
                    "servers": [b.rsplit(":", 1)[1] for b in bases],
                    "missing": missing,
                    "errors": [e for s in seats for e in s.errors][:3],
                }
            )
        else:
            to_active.append(max(seat.active for seat in seats))
    return {
        "starts": len(results),
        "waves": waves,
        "whole": len(results) - len(silent),
        "silent": len(silent),
        "unfinished": sum(1 for _, _, seats in results if any(s.over is None for s in seats)),
        "to_active_p50_ms": ms(percentile(to_active, 50)),
        "to_active_p99_ms": ms(percentile(to_active, 99)),
        "to_active_max_ms": ms(max(to_active, default=None)),
        "silent_starts": silent[:10],
        "to_active_s": to_active,
    }


def plot(summary: dict, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no plot: matplotlib is not installed)")
        return
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.hist([1000 * s for s in summary["to_active_s"]], bins=50)
    ax.set_xlabel("sockets asked for -> both players see the game active (ms)")
    ax.set_ylabel("starts")
    ax.set_title(f"{summary['starts']} starts on two processes, {summary['silent']} silent")
    fig.tight_layout()
    fig.savefig(path)
    print(f"plot: {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="100 starts")
    parser.add_argument("--restart-every", type=int, default=100, help="start both servers again every N games")
    parser.add_argument("--concurrency", type=int, default=8, help="games starting at once")
    parser.add_argument("--placement", choices=("spread", "together"), default="spread")
    parser.add_argument("--server", choices=("uvicorn", "daphne"), default="uvicorn")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds a start may take")
    parser.add_argument(
        "--port", type=int, default=8960, help="the first server; the second on the next; 0: free ports"
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--secret-key", default="bench-secret-key-not-for-production-0123456789")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--plot", help="write a plot of the start times here (needs matplotlib)")
    args = parser.parse_args()
    games_total = 100 if args.quick else args.games
    signal.signal(signal.SIGTERM, terminated)

    from figures import server_environment, server_ports

    env = server_environment(args)
    env["LOG_LEVEL"] = "WARNING"
    if not prepare_platform(env):
        return 2
    run_dir = Path(tempfile.mkdtemp(prefix="game-starts-"))
    print(
        f"{games_total} starts, placement {args.placement}, {args.server}, servers restarted every {args.restart_every}"
    )
    results, user_ids, waves = [], [], 0
    try:
        games, user_ids = make_games(games_total)
        for first in range(0, games_total, args.restart_every):
            wave = games[first : first + args.restart_every]
            servers = [
                MakefileServer(args.server, port, env, run_dir / f"server-{waves}-{k}.log").start()
                for k, port in enumerate(server_ports(args.port, 2))
            ]
            waves += 1
            try:
                began = time.monotonic()
                out = run_async(
                    run_wave([s.base for s in servers], wave, args.placement, args.concurrency, args.timeout)
                )
                results += out
                silent = sum(1 for _, _, seats in out if any(seat.missing() for seat in seats))
                print(f"  wave {waves}: {len(out)} starts in {time.monotonic() - began:.1f} s, {silent} silent")
            finally:
                for server in servers:
                    server.stop()
    finally:
        from game.models import Game

        retry(lambda: Game.objects.filter(players__user_id__in=user_ids).delete())
        retry(lambda: drop_users(PREFIX))
    summary = summarise(results, waves)
    for key in ("starts", "waves", "whole", "silent", "unfinished", "to_active_p50_ms", "to_active_p99_ms"):
        print(f"{key:>18}: {summary[key]}")
    print(f"{'to_active_max_ms':>18}: {summary['to_active_max_ms']}")
    for row in summary["silent_starts"]:
        print(f"  silent: {row}")
    if args.json:
        Path(args.json).write_text(json.dumps({k: v for k, v in summary.items() if k != "to_active_s"}, indent=2))
    if args.plot:
        plot(summary, args.plot)
    print(f"server logs: {run_dir}")
    return 1 if summary["silent"] else 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameplatform.settings")
    from figures import exit_with

    exit_with(main)
