"""The rooms' figures against the targets of the mode API: turn-based moves, real-time ticks, takeover.

    .venv/bin/python bench/rooms.py              # full sizes: about five minutes
    .venv/bin/python bench/rooms.py --quick      # smoke run with small sizes
    .venv/bin/python bench/rooms.py --only ticks,takeover --plot rooms.png --json rooms.json

Measurements (``--only`` takes these names):

  moves     One uvicorn process (the Makefile's flags) over PostgreSQL and Redis; 1,000 tic-tac-toe
            games (2,000 game sockets), each making a move every 2 s (500 moves/s offered). Each
            player also holds a ``/ws/notifications/`` socket for the whole run, as the web client
            does from sign-in on, so a player stays online between games (``--bare`` leaves it
            out: then every game's sockets take their players online and offline). A game that
            ends is followed at once by the pair's next game (new sockets, ready, moves on the same
            beat). The games are at every stage when the beat starts (pair i has made i % 9 moves),
            so about 55 games end and 55 start every second, as on a server that has run for a
            while. After a warm-up, for the measured window, every game's slots are counted:
            offered (one a game every 2 s, whether or not the client got to it), sent (in its slot:
            a pair whose previous move or next game took a whole period past the slot skips it,
            counted as a missed slot), echoed (the mover and the other player both got the
            ``player_move``), lost (sent, no echo to either player in 10 s). The mover's round trip
            (``player_move`` sent to its own echo) p50/p99 is over the echoed moves. The target
            "0 lost" is checked against the offer: moves offered but not echoed (missed slots,
            lost moves, slots of pairs that failed or stopped) must be 0. This client collects its
            garbage once before the beat and not during it: its collector's passes over 4,000
            sockets (up to 0.3 s) would otherwise be timed as the server's round trips.
            ``--spread``: two server processes (each as ``make serve`` runs one, on ports ``--port``
            and ``--port`` + 1), every game's first player on the first and its second player on
            the second, as a round robin balancer spreads them: the room runs on one of them and
            the other player's frames and echoes cross the channel layer. Also counted: moves the
            mover saw and the other player never did (``one_sided``; the pair stops), and games
            whose last move one player never saw; server CPU per process (``server_each``).
            ``--together``: the same two processes, both players of each game on one of them, the
            games alternating between them, as ``deploy/nginx``'s hash of a game's path puts them.
  ticks     This process runs a ``RoomHost`` (the server's runtime: one driver for every room,
            snapshots and leases in Redis) with the platform's hooks replaced by in-memory ones:
            N four-player arena rooms at 20 Hz, started at random phases of a tick, every bot
            sending an input about 5 times a second. For each N: tick lateness p50/p99, missed
            ticks (a tick that ran a whole period late or never ran), input-to-patch latency,
            CPU per room-tick, bytes of a state patch against a full ``game_state``. The figure
            is the largest N with lateness p99 <= 5 ms and no missed tick.
            Input-to-patch: from a bot handing its ``input`` to the room host (where a socket's
            frame enters the room on a server) to the host publishing the first ``state_patch``
            of that room whose ``tick`` is after the tick the input was applied at: the arena
            moves players only in ``on_tick``, with the latest input, so that is the first patch
            that reflects it (the next tick's wait, up to 50 ms at 20 Hz, plus the tick's
            lateness and run). The sockets' hops both ways (and Redis for a socket on another
            process) are not in it: this measurement has no sockets. Inputs sent during the
            window count; one with no patch by 0.25 s after the window is counted unpatched.
  takeover  Two ``RoomHost`` on one Redis play two processes: A owns an arena room and a
            tic-tac-toe game, B holds sockets of both (``watch``). A stops without releasing
            its leases (a process that died); measured: the time until B runs the arena's next
            tick, and until B applies the next tic-tac-toe move (its players reconnect on
            ``hello``), with the default lease (3 s) and a short one. And the handover of a
            server stopping for a deploy: A drains (``RoomHost.drain``) and B's sockets answer its
            hello by claiming the room; measured from the drain's start (target 0.5 s).

The database and Redis db are the bench's own (``--database-url`` / ``--redis-url``; created if
missing, never flushed). Traffic goes to 127.0.0.1 only. The plot needs matplotlib, which the
project does not install: without it the plot is skipped with a note.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections import deque  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402

from figures import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    HOST,
    Figure,
    Server,
    close_all,
    ensure_database,
    fmt,
    migrate,
    ms,
    own_cpu_seconds,
    print_table,
    raise_open_files,
    retry,
    run_async,
    server_environment,
    spawned_children,
    table_rows,
    terminated,
    wait_quiet,
    write_plot,
    ws_open,
)
from procstat import cpu_seconds, machine_cpu_seconds  # noqa: E402
from queue_fill import percentile  # noqa: E402

from gameplatform.modes.commands import Connect, Input, Move, Ready  # noqa: E402

MEASUREMENTS = ["moves", "ticks", "takeover"]
DRAW = [0, 1, 2, 4, 3, 5, 7, 6, 8]  # a tic-tac-toe game that fills the board: 9 moves
PREFIX = "pbrooms"


@dataclass
class Sizes:
    move_games: int = 1000
    move_period: float = 2.0
    move_warmup: float = 4.0
    move_seconds: float = 30.0
    tick_rooms: tuple = (50, 100, 250, 400)
    tick_warmup: float = 3.0
    tick_seconds: float = 10.0
    inputs_per_s: float = 5.0
    takeover_trials: int = 5
    takeover_leases: tuple = (3.0, 1.0)


QUICK = Sizes(
    move_games=200,
    move_seconds=8.0,
    move_warmup=2.0,
    tick_rooms=(50, 250),
    tick_warmup=1.0,
    tick_seconds=3.0,
    takeover_trials=2,
)


FIGURES = [
    Figure("moves", "offered_per_s", "moves offered", "/s"),
    Figure("moves", "sent_per_s", "moves sent in their slot", "/s"),
    Figure("moves", "moves_per_s", "moves echoed", "/s"),
    Figure("moves", "p50_ms", "move round trip p50", "ms"),
    Figure("moves", "p99_ms", "move round trip p99", "ms", "<=", 50),
    Figure("moves", "missed_slots", "slots missed (not sent in time)", "count"),
    Figure("moves", "lost", "moves lost (sent, no echo)", "count", "==", 0),
    Figure("moves", "unserved", "moves offered, not echoed", "count", "==", 0),
    Figure("ticks", "max_rooms", "4-player rooms at 20 Hz, p99 <= 5 ms", "rooms", ">=", 250),
    Figure("ticks", "input_patch_p50_ms", "input -> state_patch p50 (no sockets)", "ms"),
    Figure("ticks", "input_patch_p99_ms", "input -> state_patch p99 (no sockets)", "ms"),
    Figure("ticks", "cpu_us_per_room_tick", "CPU per room-tick (inputs incl.)", "us"),
    Figure("ticks", "patch_bytes", "bytes per state_patch (mean)", "B"),
    Figure("ticks", "full_bytes", "bytes per full game_state", "B"),
    Figure("takeover", "arena_default_s", "takeover to next tick, lease 3 s (max)", "s", "<=", 5),
    Figure("takeover", "turn_default_s", "takeover to next move, lease 3 s (max)", "s", "<=", 5),
    Figure("takeover", "arena_short_s", "takeover to next tick, short lease (max)", "s"),
    Figure("takeover", "arena_drained_s", "drained handover to next tick (max)", "s", "<=", 0.5),
    Figure("takeover", "turn_drained_s", "drained handover to next move (max)", "s", "<=", 0.5),
    Figure("takeover", "turn_short_s", "takeover to next move, short lease (max)", "s"),
]


# --- 1. moves: turn-based through one server process -------------------------------------


async def frame_where(ws, test, timeout: float = 10.0) -> dict:
    """The next frame that passes ``test``; an ``error`` frame raises."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "error":
                raise RuntimeError(f"error frame: {frame}")
            if test(frame):
                return frame


def bases_of(base, players: int) -> list[str]:
    """The server each player's sockets go to: one for all, or one per player (``--spread``)."""
    return [base] * players if isinstance(base, str) else list(base)


async def seat_pair(base, game_id: int, tokens: list[str], gate: asyncio.Semaphore) -> list:
    """Both players' sockets on ``game_id``, ready, the game active (``base``: one server, or one a player)."""
    sockets = []
    try:
        async with gate:
            for token, at in zip(tokens, bases_of(base, len(tokens)), strict=True):
                ws = await ws_open(f"{at}/ws/game/{game_id}/", token)
                sockets.append(ws)
                await frame_where(ws, lambda f: f["type"] == "game_state")
            for ws in sockets:
                await ws.send('{"type":"player_ready"}')
            for ws in sockets:
                await frame_where(ws, lambda f: f["type"] == "game_state" and f["state"] == "active")
        return sockets
    except BaseException:
        await close_all(sockets)
        raise


class Beat:
    """Every game moves once a period, the games spread evenly over it, from one start time."""

    def __init__(self, games: int, period: float) -> None:
        self.games, self.period = games, period
        self.ready = 0
        self.event = asyncio.Event()
        self.began = 0.0

    def go(self) -> None:
        self.began = time.perf_counter() + 0.5
        self.event.set()


async def hold_notifications(base, tokens: list[str], gate: asyncio.Semaphore, out) -> None:
    """Each player's notifications socket, open (its first frame read) until the run ends."""
    async with gate:
        for token, at in zip(tokens, bases_of(base, len(tokens)), strict=True):
            ws = await ws_open(f"{at}/ws/notifications/", token)
            out["sockets"].append(ws)
            await frame_where(ws, lambda f: f["type"] == "badge")


async def play_pair(base, index, games, tokens, beat: Beat, gate, end_at_slot: int, warmup_slots: int, out):
    try:
        if out["notifications"]:
            await hold_notifications(base, tokens, gate, out)
        sockets = await seat_pair(base, games[0], tokens, gate)
    except Exception as exc:  # noqa: BLE001 - counted
        out["setup_failed"].append(f"{type(exc).__name__}: {exc}"[:200])
        return
    # The pairs' games are at every stage, as in a server that has run for a while: pair ``index``
    # makes its first game's first ``index % 9`` moves before the beat starts (not counted), so
    # games end and the next ones start spread evenly over a game's length, not all together.
    n = index % len(DRAW)  # the move in the game
    try:
        for k in range(n):
            await sockets[k % 2].send(json.dumps({"type": "player_move", "movement": {"cell": DRAW[k]}}))
            for ws in sockets:
                await frame_where(ws, lambda f, c=DRAW[k]: f["type"] == "player_move" and f["movement"]["cell"] == c)
    except Exception as exc:  # noqa: BLE001 - counted
        out["setup_failed"].append(f"{type(exc).__name__}: {exc}"[:200])
        await close_all(sockets)
        return
    beat.ready += 1
    await beat.event.wait()
    offset = beat.period * index / beat.games
    slot, game_no = 0, 0  # the beat's slot, the pair's game
    ids = [None, None]
    try:
        while slot < end_at_slot:
            at = beat.began + offset + slot * beat.period
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -beat.period:  # not sent in time (the last echo or the next game was late): missed
                if slot >= warmup_slots:
                    out["missed_slots"] += 1
                slot += 1
                continue
            mover, other, cell = sockets[n % 2], sockets[(n + 1) % 2], DRAW[n]
            counted = slot >= warmup_slots
            t0 = time.perf_counter()
            if counted:
                out["sent"] += 1
                out["send_delays"].append(max(0.0, t0 - at))
            try:
                await mover.send(json.dumps({"type": "player_move", "movement": {"cell": cell}}))
                echo = await frame_where(
                    mover, lambda f, c=cell: f["type"] == "player_move" and f["movement"]["cell"] == c
                )
                rtt = time.perf_counter() - t0
                ids[n % 2] = echo["user_id"]
            except Exception as exc:  # noqa: BLE001 - lost: this pair stops
                out["errors"].append(f"{type(exc).__name__}: {exc}"[:200])
                return
            try:
                await frame_where(other, lambda f, c=cell: f["type"] == "player_move" and f["movement"]["cell"] == c)
            except Exception as exc:  # noqa: BLE001 - lost: the mover saw it, the other player never did
                out["errors"].append(f"{type(exc).__name__}: {exc}"[:200])
                out["one_sided"] += 1
                if n == len(DRAW) - 1:
                    out["last_move_unseen"] += 1
                return
            if counted:
                out["rtts"].append(rtt)
                out["rtts_last" if n == len(DRAW) - 1 else "rtts_mid"].append(rtt)
            slot += 1
            n += 1
            if n == len(DRAW):  # the game is over: the pair's next game, before the next slot
                for ws in sockets:
                    await frame_where(ws, lambda f: f["type"] == "game_over")
                await close_all(sockets)
                sockets = []
                game_no += 1
                n = 0
                if game_no >= len(games) or slot >= end_at_slot:
                    return
                try:
                    sockets = await seat_pair(base, games[game_no], tokens, gate)
                except Exception as exc:  # noqa: BLE001 - counted
                    out["errors"].append(f"next game: {type(exc).__name__}: {exc}"[:200])
                    return
    finally:
        out["sockets"].extend(sockets)


async def moves_run(
    port,
    games_by_pair: list,
    tokens_by_pair: list,
    sizes: Sizes,
    server_pids=(),
    notifications: bool = True,
    together: bool = False,
) -> dict:
    """``port``: the one server's, or a list of two (``--spread``: each game's first player on the
    first, its second on the second; ``together``: both players of a pair on one, the pairs
    alternating); ``server_pids``: one list of pids per server."""
    out = {
        "one_sided": 0,
        "last_move_unseen": 0,
        "notifications": notifications,
        "sent": 0,
        "rtts": [],
        "rtts_mid": [],  # the moves that did not end their game
        "rtts_last": [],  # each game's last move: its echo waits for the result in the database
        "send_delays": [],
        "errors": [],
        "setup_failed": [],
        "missed_slots": 0,
        "sockets": [],
    }
    beat = Beat(len(games_by_pair), sizes.move_period)
    gate = asyncio.Semaphore(32)
    warmup_slots = math.ceil(sizes.move_warmup / sizes.move_period)
    end_at_slot = warmup_slots + math.ceil(sizes.move_seconds / sizes.move_period)
    base = f"ws://{HOST}:{port}" if isinstance(port, int) else tuple(f"ws://{HOST}:{p}" for p in port)
    per_server = [list(pids) for pids in server_pids]
    server_pids = [pid for pids in per_server for pid in pids]
    t0 = time.perf_counter()
    tasks = [
        asyncio.create_task(
            play_pair(base[i % 2] if together else base, i, g, t, beat, gate, end_at_slot, warmup_slots, out)
        )
        for i, (g, t) in enumerate(zip(games_by_pair, tokens_by_pair, strict=True))
    ]
    deadline = time.perf_counter() + 90 + len(tasks) * 0.1
    while beat.ready + len(out["setup_failed"]) < len(tasks) and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    setup_s = time.perf_counter() - t0
    # This client holds 2,000 to 4,000 sockets: its own collector's passes (up to 0.3 s)
    # would be timed as the server's latency. It collects once now, then not until the end.
    gc.collect()
    gc.disable()
    beat.go()
    # Where the machine's CPU goes during the beat: the server, its database worker processes
    # (DB_PROCESSES), this client, everything.
    workers = [kid for pid in server_pids for kid in spawned_children(pid)]
    cpu_at = (
        time.perf_counter(),
        cpu_seconds(server_pids),
        own_cpu_seconds(),
        machine_cpu_seconds(),
        cpu_seconds(workers),
        [cpu_seconds(pids) for pids in per_server],
    )
    _, pending = await asyncio.wait(tasks, timeout=end_at_slot * sizes.move_period + 60)
    wall = time.perf_counter() - cpu_at[0]
    gc.enable()
    busy, every = (now - then for now, then in zip(machine_cpu_seconds(), cpu_at[3], strict=True))
    out["cores"] = {
        "server": round((cpu_seconds(server_pids) - cpu_at[1]) / wall, 2),
        "server_each": [
            round((cpu_seconds(pids) - then) / wall, 2) for pids, then in zip(per_server, cpu_at[5], strict=True)
        ],
        "server_db_processes": round((cpu_seconds(workers) - cpu_at[4]) / wall, 2),
        "client": round((own_cpu_seconds() - cpu_at[2]) / wall, 2),
        "machine_busy": round(busy / every * os.cpu_count(), 2) if every else None,  # no beat: every pair failed
        "machine": os.cpu_count(),
    }
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    await close_all(out["sockets"])
    out["setup_s"] = setup_s
    out["window_slots"] = end_at_slot - warmup_slots
    out["window_s"] = out["window_slots"] * sizes.move_period
    return out


def measure_moves(args, sizes: Sizes, env: dict, run_dir: Path) -> dict:
    from figures import drop_games_of, fresh_users
    from queue_fill import drop_users

    from game.models import Game
    from game.services import game_create

    moves = math.ceil(sizes.move_warmup / sizes.move_period) + math.ceil(sizes.move_seconds / sizes.move_period)
    per_pair = math.ceil((moves + len(DRAW) - 1) / len(DRAW))  # a pair starts up to 8 moves into its first game
    players = fresh_users(PREFIX, 2 * sizes.move_games)
    # ``--spread``: two server processes, as ``make serve`` runs each, on two ports; every game's
    # first player on the first and its second player on the second, as a round robin balancer
    # spreads them (the room runs where its first socket opened it: the other player's frames
    # and echoes cross the channel layer).
    servers = []
    for k in range(2 if args.spread or args.together else 1):
        log = run_dir / f"server-moves-{k}.log"
        servers.append(Server(args.port + k, env, log, workers=None, nofile=raise_open_files()).start())
        print(f"   server process up on {servers[-1].base}: pid {servers[-1].pids()}", flush=True)
    game_ids: list[int] = []
    try:
        games_by_pair, tokens_by_pair = [], []
        for a, b in zip(players[0::2], players[1::2], strict=True):
            games = [game_create(mode="tictactoe", players=[a[0].pk, b[0].pk]).pk for _ in range(per_pair)]
            game_ids += games
            games_by_pair.append(games)
            tokens_by_pair.append([a[1], b[1]])
        ports = servers[0].port if len(servers) == 1 else [server.port for server in servers]
        pids = [server.pids() for server in servers]
        out = run_async(
            moves_run(
                ports, games_by_pair, tokens_by_pair, sizes, pids, notifications=not args.bare, together=args.together
            )
        )
        rtts, window = out["rtts"], out["window_s"]
        # Every pair is offered one move a slot of the window, whatever became of it: a pair that
        # failed to start or stopped on an error leaves its slots unserved too.
        offered = sizes.move_games * out["window_slots"]
        return {
            "games_at_once": sizes.move_games,
            "server_processes": len(servers),
            "placement": "together" if args.together else "spread" if args.spread else "one process",
            "notification_sockets": not args.bare,
            "setup_s": round(out["setup_s"], 1),
            "window_s": window,
            "offered": offered,
            "sent": out["sent"],
            "echoed": len(rtts),
            "offered_per_s": round(offered / window, 1),
            "sent_per_s": round(out["sent"] / window, 1),
            "moves_per_s": round(len(rtts) / window, 1),
            "missed_slots": out["missed_slots"],
            "lost": out["sent"] - len(rtts),
            "one_sided": out["one_sided"],  # the mover saw its echo, the other player never did
            "last_move_unseen": out["last_move_unseen"],  # games whose last move one player never saw
            "unserved": offered - len(rtts),
            "send_delay_p99_ms": ms(percentile(out["send_delays"], 99)),  # sent after its slot time
            "setup_failed": len(out["setup_failed"]),
            "p50_ms": ms(percentile(rtts, 50)),
            "p99_ms": ms(percentile(rtts, 99)),
            "max_ms": ms(max(rtts, default=None)),
            # A game's last move is answered once its result is in the database (the game's end
            # is recorded before anyone hears of it): the others, and those apart.
            "mid_game_p50_p99_ms": [ms(percentile(out["rtts_mid"], q)) for q in (50, 99)],
            "last_move_p50_p99_ms": [ms(percentile(out["rtts_last"], q)) for q in (50, 99)],
            "cores_used": out["cores"],  # over the beat: server, this client, the machine in all
            "first_errors": (out["setup_failed"] + out["errors"])[:3],
        }
    finally:
        for server in servers:
            wait_quiet(server.pids())
            server.stop()
        retry(lambda: Game.objects.filter(pk__in=game_ids).delete())
        retry(lambda: drop_games_of([u.pk for u, _ in players]))
        retry(lambda: drop_users(PREFIX))


# --- 2. ticks: real-time rooms on one process's driver -----------------------------------


PATCH_HEAD = '{"type":"state_patch","tick":'


class Tally:
    """The in-memory hooks: seats four players, records nothing, counts the bytes it would send,
    and times each noted input to the first ``state_patch`` of a later tick (``note_input``)."""

    def __init__(self, mode, players: int = 4) -> None:
        self.mode, self.players = mode, players
        self.patch_bytes = self.patches = 0
        self.full_bytes: list[int] = []
        self.frames = 0
        self.hellos: dict[int, float] = {}
        self.measuring = False  # inputs are noted only while this is set
        self.waiting: dict[int, deque] = {}  # game -> (tick the input was applied at, sent at), oldest first
        self.input_patch: list[float] = []  # seconds from each noted input to its patch

    def note_input(self, game_id: int, tick: int, sent_at: float) -> None:
        if self.measuring:
            self.waiting.setdefault(game_id, deque()).append((tick, sent_at))

    def unpatched(self) -> int:
        return sum(len(q) for q in self.waiting.values())

    def _patched(self, game_id: int, text: str) -> None:
        queue = self.waiting.get(game_id)
        if queue:
            tick, now = int(text[len(PATCH_HEAD) : text.index(",", len(PATCH_HEAD))]), time.perf_counter()
            while queue and queue[0][0] < tick:  # applied before this patch's tick ran: it shows here
                self.input_patch.append(now - queue.popleft()[1])

    def hooks(self):
        from gameplatform.modes.testing import seated
        from gameplatform.rooms import Grace, Hooks, Seating

        async def seating(game_id):
            return Seating(mode=self.mode, players=seated(self.players), seed=game_id)

        async def nothing(*args):
            return None

        return Hooks(
            seating=seating,
            record_start=nothing,
            record_result=nothing,
            grace=lambda: Grace(reconnect=600, first=600),
        )

    def wire(self):
        from gameplatform.rooms import Wire

        async def publish(game_id, delivery):
            if delivery.hello:
                self.hellos.setdefault(game_id, time.perf_counter())
            for _, text, *_ in delivery.frames:
                self.frames += 1
                if text.startswith(PATCH_HEAD):
                    self.patches += 1
                    self.patch_bytes += len(text)
                    self._patched(game_id, text)
                elif text.startswith('{"type":"game_state"'):
                    self.full_bytes.append(len(text))

        return Wire(publish=publish)


DIRECTIONS = [(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0), (0.7, 0.7), (-0.7, 0.7), (0.5, -0.8), (0.0, 0.0)]


async def bots(host, tally: Tally, game_id: int, players: int, rate: float, stop: asyncio.Event, rng) -> int:
    """The room's players send an input each about ``rate`` times a second (one task per room)."""
    sent = 0
    gap = 1.0 / (rate * players)
    await asyncio.sleep(rng.random() * gap)
    while not stop.is_set():
        dx, dy = rng.choice(DIRECTIONS)
        sent_at = time.perf_counter()
        await host.apply(game_id, Input(1 + sent % players, {"dx": dx, "dy": dy}))
        room = host.room(game_id)
        if room is not None:  # the tick it was applied at (``apply`` runs any overdue tick first)
            tally.note_input(game_id, room.ctx.tick, sent_at)
        sent += 1
        await asyncio.sleep(gap * (0.5 + rng.random()))
    return sent


async def tick_run(n: int, sizes: Sizes, base_id: int) -> dict:
    from game.modes.builtin.arena import Arena
    from gameplatform.rooms import RoomHost, room_store

    mode = Arena()
    tally = Tally(mode)
    host = RoomHost(tally.hooks(), room_store(), wire=tally.wire(), owner=f"bench-{base_id}")
    ids = [base_id + i for i in range(n)]
    rng = random.Random(n)
    dt = 1.0 / mode.tick_rate
    stop = asyncio.Event()
    tasks = []
    try:
        began = time.monotonic()
        for i, game_id in enumerate(ids):  # games start at random phases of a tick, as they do
            assert await host.open(game_id), f"room {game_id} has an owner"
            for pid in range(1, 5):
                await host.apply(game_id, Connect(pid))
            delay = began + dt * i / n - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            for pid in range(1, 5):
                await host.apply(game_id, Ready(pid))
            tasks.append(asyncio.create_task(bots(host, tally, game_id, 4, sizes.inputs_per_s, stop, rng)))
        await asyncio.sleep(sizes.tick_warmup)
        host.lateness.clear()
        tally.patch_bytes = tally.patches = 0
        tally.measuring = True
        ticks0 = {g: host.rooms[g].ctx.tick for g in ids if g in host.rooms}  # a lost lease drops a room
        cpu0, wall0 = time.process_time(), time.monotonic()
        await asyncio.sleep(sizes.tick_seconds)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        lateness = host.lateness
        running = [g for g in ticks0 if g in host.rooms]
        ticks = sum(host.rooms[g].ctx.tick - ticks0[g] for g in running)
        tally.measuring = False
        await asyncio.sleep(0.25)  # the window's last inputs get their patch
        input_patch, unpatched = list(tally.input_patch), tally.unpatched()
        stop.set()
        inputs = sum(await asyncio.gather(*tasks))
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await host.stop()
        for game_id in ids:
            await host.store.drop(game_id)
    expected = len(running) * wall / dt
    late = lateness.at_least(dt)
    # A tick counts as missed when it ran a whole period late (the next was already due) or never ran
    # (a room more than 3 ticks behind skips ahead); one tick per room of slack for the window's edges.
    never = max(0, round(expected - ticks - len(running)))
    return {
        "rooms": n,
        "players": 4 * n,
        "rooms_running": len(running),  # fewer than ``rooms``: leases lost (the process fell behind)
        "room_ticks_per_s": round(ticks / wall),
        "inputs_per_s": round(inputs / (wall + sizes.tick_warmup)),
        "lateness_p50_ms": ms(lateness.percentile(0.50) if lateness.count else None),
        "lateness_p99_ms": ms(lateness.percentile(0.99) if lateness.count else None),
        "lateness_max_ms": ms(lateness.max if lateness.count else None),
        "missed_ticks": late + never,
        "input_patch_p50_ms": ms(percentile(input_patch, 50)),
        "input_patch_p99_ms": ms(percentile(input_patch, 99)),
        "input_patch_max_ms": ms(max(input_patch, default=None)),
        "inputs_timed": len(input_patch),
        "inputs_unpatched": unpatched,
        "cpu_share": round(cpu / wall, 2),
        "cpu_us_per_room_tick": round(cpu / max(ticks, 1) * 1e6, 1),
        "patch_bytes": round(tally.patch_bytes / max(tally.patches, 1)),
        "patches_per_room_tick": round(tally.patches / max(ticks, 1), 2),
        "full_bytes": round(statistics.fmean(tally.full_bytes)) if tally.full_bytes else None,
    }


def measure_ticks(args, sizes: Sizes) -> dict:
    steps = []
    base = random.randrange(10**9, 2 * 10**9)
    for i, n in enumerate(sizes.tick_rooms):
        step = run_async(tick_run(n, sizes, base + i * 10_000))
        steps.append(step)
        print(
            f"   {n:4} rooms ({4 * n} players): lateness p50 {step['lateness_p50_ms']} ms, "
            f"p99 {step['lateness_p99_ms']} ms, max {step['lateness_max_ms']} ms, missed {step['missed_ticks']}; "
            f"input -> patch p50 {step['input_patch_p50_ms']} ms, p99 {step['input_patch_p99_ms']} ms "
            f"({step['inputs_unpatched']} of {step['inputs_timed'] + step['inputs_unpatched']} unpatched); "
            f"{step['room_ticks_per_s']} room-ticks/s, {step['inputs_per_s']} inputs/s, "
            f"CPU {step['cpu_share']} of a core, {step['cpu_us_per_room_tick']} us per room-tick; "
            f"patch {step['patch_bytes']} B vs full {step['full_bytes']} B",
            flush=True,
        )
    good = [
        s
        for s in steps
        if s["lateness_p99_ms"] is not None and s["lateness_p99_ms"] <= 5
        if not s["missed_ticks"] and s["rooms_running"] == s["rooms"]
    ]
    best = max(good, key=lambda s: s["rooms"]) if good else None
    at = best or steps[0]
    return {
        "max_rooms": best["rooms"] if best else 0,
        "max_rooms_label": f"4-player rooms at 20 Hz, p99 <= 5 ms (tried {','.join(map(str, sizes.tick_rooms))})",
        "input_patch_p50_ms": at["input_patch_p50_ms"],
        "input_patch_p50_ms_label": f"input -> state_patch p50, no sockets ({at['rooms']} rooms)",
        "input_patch_p99_ms": at["input_patch_p99_ms"],
        "input_patch_p99_ms_label": f"input -> state_patch p99, no sockets ({at['rooms']} rooms)",
        "cpu_us_per_room_tick": at["cpu_us_per_room_tick"],
        "cpu_us_per_room_tick_label": f"CPU per room-tick, inputs incl. ({at['rooms']} rooms)",
        "patch_bytes": at["patch_bytes"],
        "full_bytes": at["full_bytes"],
        "steps": steps,
    }


# --- 3. takeover -------------------------------------------------------------------------


async def takeover_trial(lease: float, base_id: int, rng: random.Random, drain: bool = False) -> tuple[float, float]:
    from django.test import override_settings

    from game.modes.builtin.arena import Arena
    from game.modes.builtin.tictactoe import TicTacToe
    from gameplatform.rooms import RoomHost, room_store

    arena, ttt = base_id, base_id + 1
    tally_arena, tally_ttt = Tally(Arena(), players=4), Tally(TicTacToe(), players=2)

    class Both:  # one hooks object per process, seating each game with its mode
        def __init__(self):
            self.a, self.t = tally_arena.hooks(), tally_ttt.hooks()
            self.a_wire, self.t_wire = tally_arena.wire(), tally_ttt.wire()

        def hooks(self):
            from gameplatform.rooms import Hooks

            async def seating(game_id):
                return await (self.a if game_id == arena else self.t).seating(game_id)

            return Hooks(
                seating=seating,
                record_start=self.a.record_start,
                record_result=self.a.record_result,
                grace=self.a.grace,
            )

        def wire(self):
            from gameplatform.rooms import Wire

            async def publish(game_id, delivery):
                await (self.a_wire if game_id == arena else self.t_wire).publish(game_id, delivery)

            return Wire(publish=publish)

    with override_settings(ROOM_LEASE_SECONDS=lease):
        a_io, b_io = Both(), Both()
        a = RoomHost(a_io.hooks(), room_store(), wire=a_io.wire(), owner=f"a-{base_id}")
        b = RoomHost(b_io.hooks(), room_store(), wire=b_io.wire(), owner=f"b-{base_id}")
        try:
            for game_id, players in ((arena, 4), (ttt, 2)):
                assert await a.open(game_id)
                for pid in range(1, players + 1):
                    await a.apply(game_id, Connect(pid))
                for pid in range(1, players + 1):
                    await a.apply(game_id, Ready(pid))
                b.watch(game_id)  # sockets of both games are open on process B too
            await a.apply(ttt, Move(1, {"cell": 4}))
            await asyncio.sleep(0.6 + rng.random() * lease / 3)  # a few ticks; the kill at any phase of a renewal
            killed = time.perf_counter()
            if drain:  # a server stopping for a deploy: it hands its rooms over
                await a.drain()
            else:  # a server that died: its leases run out
                await a.stop(release=False)
            opened = set()
            tick_at = move_at = restored_tick = None
            deadline = killed + 4 * lease + 5
            while (tick_at is None or move_at is None) and time.perf_counter() < deadline:
                for game_id, tally in ((arena, tally_arena), (ttt, tally_ttt)):
                    if drain and game_id not in opened and game_id in tally.hellos:
                        opened.add(game_id)  # B's sockets answer the handover's hello: they claim the room
                        await b.open(game_id)
                room = b.room(arena)
                if room is not None and restored_tick is None:
                    restored_tick = room.ctx.tick
                if tick_at is None and room is not None and room.ctx.tick > restored_tick:
                    tick_at = time.perf_counter()
                if move_at is None and ttt in tally_ttt.hellos:
                    # The players' sockets answer the hello by taking their seats again; then O moves.
                    for pid in (1, 2):
                        await b.apply(ttt, Connect(pid))
                    if await b.apply(ttt, Move(2, {"cell": 0})) and b.rooms[ttt].state["board"][0] == "O":
                        move_at = time.perf_counter()
                await asyncio.sleep(0.001)
        finally:
            await a.stop()
            await b.stop()
            for game_id in (arena, ttt):
                await b.store.drop(game_id)
    return (
        None if tick_at is None else tick_at - killed,
        None if move_at is None else move_at - killed,
    )


def measure_takeover(args, sizes: Sizes) -> dict:
    rng = random.Random(7)
    base = random.randrange(3 * 10**9, 4 * 10**9)
    result = {}
    arena, turn = [], []
    for trial in range(sizes.takeover_trials):  # the handover of a server stopping for a deploy
        tick_s, move_s = run_async(takeover_trial(sizes.takeover_leases[0], base + 5000 + trial * 10, rng, drain=True))
        arena.append(tick_s)
        turn.append(move_s)
    ok_arena, ok_turn = [x for x in arena if x is not None], [x for x in turn if x is not None]
    result["arena_drained_s"] = round(max(ok_arena), 3) if len(ok_arena) == len(arena) else None
    result["turn_drained_s"] = round(max(ok_turn), 3) if len(ok_turn) == len(turn) else None
    result["drained_trials"] = {"arena_s": arena, "turn_s": turn}
    print(
        f"   drained: stop -> next tick {', '.join(fmt(x) for x in arena)} s; "
        f"stop -> next move {', '.join(fmt(x) for x in turn)} s",
        flush=True,
    )
    for name, lease in zip(("default", "short"), sizes.takeover_leases, strict=True):
        arena, turn = [], []
        for trial in range(sizes.takeover_trials):
            tick_s, move_s = run_async(takeover_trial(lease, base + trial * 10 + (name == "short") * 1000, rng))
            arena.append(tick_s)
            turn.append(move_s)
        ok_arena, ok_turn = [x for x in arena if x is not None], [x for x in turn if x is not None]
        result[f"arena_{name}_s"] = round(max(ok_arena), 2) if len(ok_arena) == len(arena) else None
        result[f"turn_{name}_s"] = round(max(ok_turn), 2) if len(ok_turn) == len(turn) else None
        result[f"arena_{name}_s_label"] = f"takeover to next tick, lease {lease:g} s (max of {len(arena)})"
        result[f"turn_{name}_s_label"] = f"takeover to next move, lease {lease:g} s (max of {len(turn)})"
        result[f"{name}_trials"] = {"lease_s": lease, "arena_s": arena, "turn_s": turn}
        print(
            f"   lease {lease:g} s: kill -> next tick {', '.join(fmt(x) for x in arena)} s; "
            f"kill -> next move {', '.join(fmt(x) for x in turn)} s",
            flush=True,
        )
    return result


# --- main ---------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of about a minute")
    parser.add_argument("--only", default="", help=f"comma list of: {','.join(MEASUREMENTS)}")
    parser.add_argument("--games", type=int, default=0, help="tic-tac-toe games at once for moves (default 1000)")
    parser.add_argument("--window", type=float, default=0, help="moves: seconds measured after the warm-up (30)")
    parser.add_argument(
        "--bare", action="store_true", help="moves: no notifications socket per player (game sockets only)"
    )
    parser.add_argument("--rooms", default="", help="comma list of room counts for ticks (default 50,100,250,400)")
    parser.add_argument("--plot", default=None, help="PNG path (default: in the run's log folder; '' for none)")
    parser.add_argument("--json", default="", help="write every figure to this JSON file")
    parser.add_argument("--port", type=int, default=8775, help="the server's port (moves; --spread also uses +1)")
    parser.add_argument(
        "--spread",
        action="store_true",
        help="moves: two server processes, each game's players on different ones (as a round robin balancer puts them)",
    )
    parser.add_argument(
        "--together",
        action="store_true",
        help="moves: two server processes, both players of a game on one, the games alternating (as the nginx hash)",
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--secret-key", default="platform-bench-secret-key-of-32-bytes-or-more")
    args = parser.parse_args()
    args.names = [n for n in args.only.split(",") if n] or list(MEASUREMENTS)
    unknown = set(args.names) - set(MEASUREMENTS)
    if unknown:
        parser.error(f"unknown measurement(s) {', '.join(sorted(unknown))}; choose from {', '.join(MEASUREMENTS)}")
    for url in (args.database_url, args.redis_url):
        if "127.0.0.1" not in url and "localhost" not in url:
            parser.error(f"{url}: this bench only talks to 127.0.0.1")
    return args


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, terminated)
    sizes = QUICK if args.quick else Sizes()
    if args.games:
        sizes.move_games = args.games
    if args.window:
        sizes.move_seconds = args.window
    if args.rooms:
        sizes.tick_rooms = tuple(int(n) for n in args.rooms.split(","))
    env = server_environment(args)
    env.pop("WEB_CONCURRENCY", None)  # one process
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG")})
    os.environ.update(RECONNECT_GRACE_SECONDS="600", LOG_LEVEL="WARNING")
    run_dir = Path(tempfile.mkdtemp(prefix="gp-rooms-bench-"))
    print(f"rooms bench ({'quick' if args.quick else 'full'}): {', '.join(args.names)}")
    print(f"database {args.database_url}, redis {args.redis_url}, logs in {run_dir}")
    ensure_database(args.database_url)
    if not migrate(env):
        return 1
    from queue_fill import django_setup

    django_setup()
    results: dict = {}
    started = time.perf_counter()
    for name in [n for n in MEASUREMENTS if n in args.names]:
        print(f"-- {name} ...", flush=True)
        t0 = time.perf_counter()
        try:
            if name == "moves":
                results[name] = measure_moves(args, sizes, env, run_dir)
            elif name == "ticks":
                results[name] = measure_ticks(args, sizes)
            elif name == "takeover":
                results[name] = measure_takeover(args, sizes)
        except Exception as exc:  # noqa: BLE001 - one failed measurement does not stop the others
            traceback.print_exc()
            results[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        shown = {k: v for k, v in results[name].items() if not k.endswith("_label")}
        print(f"   {name} took {time.perf_counter() - t0:.1f} s: {json.dumps(shown, default=str)}")
    rows = table_rows(results, MEASUREMENTS, FIGURES)
    print_table(rows)
    print(f"total {time.perf_counter() - started:.0f} s; logs in {run_dir}")
    if args.json:
        payload = {"quick": args.quick, "sizes": asdict(sizes), "results": results, "table": rows}
        Path(args.json).write_text(json.dumps(payload, indent=2, default=str))
        print(f"figures written to {args.json}")
    if args.plot is None:
        args.plot = str(run_dir / "bench-rooms.png")
    if args.plot:
        write_plot(rows, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
