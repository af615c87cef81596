"""The platform's arena against a Colyseus 0.18 room with the same rules, in one run; or its lobby fan-out.

    .venv/bin/python bench/side_by_side.py --rooms 25,50,100          # --warmup 10 --seconds 30
    .venv/bin/python bench/side_by_side.py --rooms 50 --seconds 10 --json out.json --plot out.png
    .venv/bin/python bench/side_by_side.py --sides colyseus,platform,platform-msgpack   # + MessagePack clients
    .venv/bin/python bench/side_by_side.py --sides colyseus,platform-msgpack,platform-compact
    .venv/bin/python bench/side_by_side.py --scenario lobby           # --rooms 4 --members 50 --senders 10 --interval 1

For each size, N rooms of 4 players over real WebSockets, on one server process each, one after
the other: the server pinned to the first core, the load generator to the second. Every player
sends a direction about 5 times a second; both rooms tick and patch at 20 Hz.

  Colyseus   bench/colyseus/: ``@colyseus/core`` 0.18 with its WebSocket transport, the arena's
             rules as a schema room (``setSimulationInterval`` and ``patchRate`` 50 ms); installed
             with ``npm ci`` into that folder on the first run (never a dependency of the platform).
  platform   ``make serve WORKERS=1``: one uvicorn process with the Makefile's flags over PostgreSQL
             and a private Redis this script starts (``--redis-port``) and shuts down after; N
             arena games of 4 made with ``game_create``, each player on ``/ws/game/{id}/``.
  platform-msgpack  the same, its players asking for the ``gameplatform.msgpack`` subprotocol
             (binary MessagePack frames, docs/websocket-frames.md).
  platform-compact  the same on ``gameplatform.compact`` (MessagePack with short decimals and
             state patches as arrays of relative paths, ``gameplatform/sockets/codec.py``), decoded back
             into the JSON frames by the load generator (``bench/colyseus/compact.mjs``).

The load generator is one Node program for both (``bench/colyseus/loadgen.mjs``: Colyseus's own
client for Colyseus, ``ws`` for the platform), so the client's cost is alike. Printed, for both:
server CPU (cores, from /proc of the server process), µs of server CPU per room-tick, patch
interval p50/p99 per client, patches missed (of 20 a second per client), input to visible p50/p99
(from sending a direction to the first patch that shows it), bytes per patch frame (the WebSocket
message), server RSS; and the platform / Colyseus ratios. The machine may be shared: the ratio
within one run is the figure to read. Traffic to 127.0.0.1 only; the bench's users and games are
removed at the end.

``--scenario lobby``: the lobby fan-out. ``--rooms`` lobbies (default 4) of ``--members`` (50), the
first ``--senders`` (10) of each sending a chat message every ``--interval`` s (1.0; the platform's
rate limit is 3 messages in any 2 s per user), every member (the sender too) receiving each.
Colyseus serves ``bench/colyseus/chat_room.mjs`` (``onMessage("chat")`` broadcasts ``{from, text,
at}`` to the room, nothing stored); the platform its lobby socket ``/ws/lobbies/{id}/`` (each
message stored, one statement, then broadcast), lobbies and members made with the chat services.
The load generator is ``bench/colyseus/lobby_loadgen.mjs``. The platform's server CPU is its
uvicorn process plus its database worker process (``DB_PROCESSES``); its private Redis (channel
layer, rate limit) is shown apart and in a "with Redis" column. Printed: server CPU (cores), µs of
server CPU per delivery (each message to each member), deliveries/s, latency send -> receive
p50/p99, lost (messages sent in the window that some member never got), bytes per delivery (the
WebSocket message), server RSS, and the platform / Colyseus ratios. ``--workers 2``: the platform
as ``make serve``'s default runs it, two uvicorn worker processes on the one core (a lobby's members
spread over both by the kernel, each message broadcast to both through Redis); its server CPU is then
both workers and their database worker processes (the supervisor, which serves nothing, aside), its
RSS the first worker's.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402

COLYSEUS = HERE / "colyseus"
PREFIX = "bench_sbs"
LOBBY_PREFIX = "bench_sbslobby"
SERVER_CORE, CLIENT_CORE = 0, 1
SIDES = ("colyseus", "platform", "platform-msgpack", "platform-compact")
# The platform's sides: the encoding their players ask for.
ENCODINGS = {"platform": "json", "platform-msgpack": "msgpack", "platform-compact": "compact"}
SCENARIOS = ("arena", "lobby")
DEFAULT_SIZES = {"arena": "25,50,100", "lobby": "4"}
TICK_RATE = 20


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="arena", choices=SCENARIOS, help="arena (default) or lobby (fan-out)")
    parser.add_argument(
        "--rooms", default="", help="comma list of room counts (arena: 4 players each, 25,50,100; lobby: lobbies, 4)"
    )
    parser.add_argument("--members", type=int, default=50, help="lobby: members of each lobby (2..64)")
    parser.add_argument("--senders", type=int, default=10, help="lobby: members of each lobby who send")
    parser.add_argument("--interval", type=float, default=1.0, help="lobby: seconds between one sender's messages")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of play before the measured window")
    parser.add_argument("--seconds", type=float, default=30.0, help="the measured window")
    parser.add_argument(
        "--sides",
        default="colyseus,platform",
        help="which to run: colyseus, platform, platform-msgpack, platform-compact (comma list)",
    )
    parser.add_argument(
        "--plot", default=None, help="PNG path ('' for none; default bench/results/side_by_side[_lobby].png)"
    )
    parser.add_argument("--json", default="", help="write every figure to this JSON file")
    parser.add_argument("--port", type=int, default=8790, help="the platform's port")
    parser.add_argument("--colyseus-port", type=int, default=2590)
    parser.add_argument("--redis-port", type=int, default=6394, help="the private Redis of the platform side")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/gp_side_by_side_bench")
    parser.add_argument("--secret-key", default="platform-bench-secret-key-of-32-bytes-or-more")
    parser.add_argument(
        "--workers", type=int, default=1, help="lobby: the platform's uvicorn worker processes (make serve WORKERS=)"
    )
    parser.add_argument(
        "--ws", default=None, help="the platform's WebSocket protocol, uvicorn's --ws (default: the Makefile's)"
    )
    args = parser.parse_args(argv)
    args.sizes = [int(n) for n in (args.rooms or DEFAULT_SIZES[args.scenario]).split(",") if n]
    if args.plot is None:
        suffix = "" if args.scenario == "arena" else f"_{args.scenario}"
        args.plot = str(HERE / "results" / f"side_by_side{suffix}.png")
    if args.scenario == "lobby" and not (2 <= args.members <= 64 and 1 <= args.senders <= args.members):
        parser.error("--members takes 2..64 (a lobby's largest size) and --senders 1..members")
    if args.scenario == "lobby" and args.interval < 0.7:
        parser.error("--interval under 0.7 s breaks the platform's rate limit (3 messages in any 2 s per user)")
    if args.workers < 1 or (args.workers > 1 and args.scenario != "lobby"):
        parser.error("--workers takes 1 or more, and more than 1 only with --scenario lobby")
    args.side_list = [s for s in args.sides.split(",") if s]
    if set(args.side_list) - set(SIDES) or not args.side_list:
        parser.error(f"--sides takes {', '.join(SIDES)}")
    if "127.0.0.1" not in args.database_url and "localhost" not in args.database_url:
        parser.error(f"{args.database_url}: this bench only talks to 127.0.0.1")
    return args


# --- processes -------------------------------------------------------------------------------


def on_core(core: int | None) -> None:
    """Pin this process (and so what it starts next) to one core; None: every core again."""
    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)) if core is None else {core})


def same_priority(pid: int) -> None:
    """Give a server that started a session of its own (uvicorn in figures.Server, a daemonized
    Redis) the scheduling priority of this one's session (Linux autogroups): on a shared machine
    the two sides then compete for their core alike. Nothing where autogroups are off or not ours."""
    try:
        nice = Path("/proc/self/autogroup").read_text().split("nice")[1].strip()
        Path(f"/proc/{pid}/autogroup").write_text(nice)
    except (OSError, IndexError):
        pass


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited at start-up")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after {timeout:.0f} s")


def npm_install() -> None:
    if not (COLYSEUS / "node_modules" / "@colyseus" / "core").is_dir():
        print("==> npm ci in bench/colyseus (the Colyseus peer and the load generator's packages)")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=COLYSEUS, check=True)


class PrivateRedis:
    """A Redis of the bench's own, nothing saved: the platform's channel layer, presence and rooms."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"

    def __enter__(self) -> "PrivateRedis":
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            raise RuntimeError(f"port {self.port} is taken: pass another --redis-port")
        except OSError:
            pass
        cmd = ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no", "--daemonize", "yes"]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        import redis

        self.client = redis.Redis(port=self.port)
        for _ in range(50):
            try:
                self.pid = int(self.client.info("server")["process_id"])
                same_priority(self.pid)
                return self
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("the private Redis did not start")

    def __exit__(self, *exc) -> None:
        import redis

        try:
            self.client.shutdown(nosave=True)
        except redis.ConnectionError:
            pass  # it is gone: the answer to SHUTDOWN


class Window:
    """The server's CPU and memory over the load generator's measured window (its two marker lines).
    ``cores``: of ``pids`` together, the first the server itself (its RSS); ``split``: each of them;
    ``aside_cores``: of ``aside`` (a private Redis), not counted in ``cores``."""

    def __init__(self, pids: list[int], aside: list[int] | None = None) -> None:
        self.pids = pids
        self.aside = aside or []

    def run(self, cmd: list[str]) -> dict:
        proc = subprocess.Popen(cmd, cwd=COLYSEUS, stdout=subprocess.PIPE, text=True)
        try:
            result = self._read(proc)
        finally:
            if proc.poll() is None:  # stopped early (an error, SIGTERM): the load generator too
                proc.kill()
                proc.wait()
        if proc.returncode or result is None:
            raise RuntimeError(f"the load generator failed ({proc.returncode}): {' '.join(cmd)}")
        return result

    def _read(self, proc: subprocess.Popen) -> dict | None:
        from figures import rss_kib
        from procstat import cpu_seconds

        def sample() -> list[float]:
            return [cpu_seconds([pid]) for pid in self.pids + self.aside]

        result, start = None, None
        for line in proc.stdout:
            event = json.loads(line)
            if event.get("event") == "window_start":
                start = (time.perf_counter(), sample())
            elif event.get("event") == "window_end" and start:
                wall = time.perf_counter() - start[0]
                used = [(after - before) / wall for after, before in zip(sample(), start[1], strict=True)]
                self.split = used[: len(self.pids)]
                self.cores = sum(self.split)
                self.aside_cores = sum(used[len(self.pids) :])
                self.rss_mib = sum(rss_kib(pid) for pid in self.pids[:1]) / 1024
            elif "side" in event:
                result = event
        proc.wait()
        return result


def loadgen(side: str, url: str, args, extra: list[str]) -> list[str]:
    return [
        "taskset", "-c", str(CLIENT_CORE), "node", "loadgen.mjs", "--side", side, "--url", url,
        "--warmup", str(args.warmup), "--seconds", str(args.seconds), *extra,
    ]  # fmt: skip


def figures_of(result: dict, window: Window, rooms: int, extra: dict | None = None) -> dict:
    cores = window.cores
    out = {
        "rooms": rooms,
        "server_cores": round(cores, 3),
        "us_per_room_tick": round(cores / (rooms * TICK_RATE) * 1e6, 1),
        "patch_p50_ms": round(result["patch_interval_p50_ms"] or 0, 1),
        "patch_p99_ms": round(result["patch_interval_p99_ms"] or 0, 1),
        "missed_pct": round(100 * result["patches_missed"] / max(result["patches_expected"], 1), 1),
        "visible_p50_ms": round(result["input_to_visible_p50_ms"] or 0, 1),
        "visible_p99_ms": round(result["input_to_visible_p99_ms"] or 0, 1),
        "bytes_per_patch": round(result["bytes_per_patch"] or 0, 1),
        "rss_mib": round(window.rss_mib, 1),
        "client_cores": round(result["client_cores"], 3),
        "inputs_seen": result["inputs_seen"],
        "inputs_unseen": result["inputs_unseen"],
        "errors": result["errors"],
        "error_codes": result.get("error_codes", {}),
    }
    return {**out, **(extra or {})}


@contextmanager
def colyseus_server(args):
    """The Colyseus server (both scenarios' rooms) on the server's core, until the block ends."""
    on_core(SERVER_CORE)
    log = open(Path(tempfile.gettempdir()) / "side-by-side-colyseus.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        ["node", "server.mjs", str(args.colyseus_port)], cwd=COLYSEUS, stdout=log, stderr=subprocess.STDOUT
    )
    on_core(CLIENT_CORE)
    try:
        wait_port(args.colyseus_port, server)
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        log.close()


def run_colyseus(rooms: int, args) -> dict:
    with colyseus_server(args) as server:
        window = Window([server.pid])
        extra = ["--rooms", str(rooms)]
        result = window.run(loadgen("colyseus", f"ws://127.0.0.1:{args.colyseus_port}", args, extra))
        return figures_of(result, window, rooms)


def run_platform(rooms: int, args, env: dict, redis: PrivateRedis, run_dir: Path, encoding: str = "json") -> dict:
    from figures import Server, drop_games_of, fresh_users, raise_open_files, retry
    from procstat import cpu_seconds
    from queue_fill import drop_users

    from game.services import game_create

    users = fresh_users(PREFIX, 4 * rooms)
    games = []
    for g in range(rooms):
        seats = users[4 * g : 4 * g + 4]
        game = game_create(mode="arena", players=[user.pk for user, _ in seats])
        games.append({"id": game.pk, "players": [{"id": user.pk, "token": token} for user, token in seats]})
    games_file = run_dir / f"games-{rooms}.json"
    games_file.write_text(json.dumps(games))
    on_core(SERVER_CORE)
    try:
        server = Server(
            args.port, env, run_dir / f"platform-{rooms}.log", workers=None, nofile=raise_open_files(), ws=args.ws
        )
        server.start()
        same_priority(server.proc.pid)  # its database worker process shares its session
    finally:
        on_core(CLIENT_CORE)
    try:
        window = Window([server.proc.pid])
        redis_cpu = cpu_seconds([redis.pid])
        began = time.perf_counter()
        extra = ["--games", str(games_file), "--encoding", encoding]
        result = window.run(loadgen("platform", f"ws://127.0.0.1:{args.port}", args, extra))
        redis_cores = (cpu_seconds([redis.pid]) - redis_cpu) / (time.perf_counter() - began)
    finally:
        server.stop()
        user_ids = [user.pk for user, _ in users]
        retry(lambda: drop_games_of(user_ids))
        retry(lambda: drop_users(PREFIX))
    return figures_of(result, window, rooms, {"redis_cores_whole_run": round(redis_cores, 3)})


# --- the lobby fan-out ---------------------------------------------------------------------------


def lobby_loadgen(side: str, url: str, args, extra: list[str]) -> list[str]:
    return [
        "taskset", "-c", str(CLIENT_CORE), "node", "lobby_loadgen.mjs", "--side", side, "--url", url,
        "--senders", str(args.senders), "--interval", str(args.interval),
        "--warmup", str(args.warmup), "--seconds", str(args.seconds), *extra,
    ]  # fmt: skip


def lobby_figures_of(result: dict, window: Window, lobbies: int, extra: dict | None = None) -> dict:
    cores, aside = window.cores, window.aside_cores
    per_s = result["deliveries"] / result["window_s"]
    out = {
        "rooms": lobbies,
        "members": result["members"],
        "senders": result["senders"],
        "messages": result["messages"],
        "server_cores": round(cores, 3),
        "us_per_delivery": round(cores / per_s * 1e6, 1) if per_s else None,
        "us_per_delivery_with_redis": round((cores + aside) / per_s * 1e6, 1) if per_s else None,
        "deliveries_per_s": round(per_s, 1),
        "latency_p50_ms": round(result["latency_p50_ms"] or 0, 2),
        "latency_p99_ms": round(result["latency_p99_ms"] or 0, 2),
        "lost": result["lost"],
        "deliveries_missing": result["deliveries_missing"],
        "bytes_per_delivery": round(result["bytes_per_delivery"] or 0, 1),
        "rss_mib": round(window.rss_mib, 1),
        "client_cores": round(result["client_cores"], 3),
        "errors": result["errors"],
        "error_codes": result.get("error_codes", {}),
    }
    return {**out, **(extra or {})}


def run_colyseus_lobby(lobbies: int, args) -> dict:
    with colyseus_server(args) as server:
        window = Window([server.pid])
        extra = ["--lobbies", str(lobbies), "--members", str(args.members)]
        result = window.run(lobby_loadgen("colyseus", f"ws://127.0.0.1:{args.colyseus_port}", args, extra))
        return lobby_figures_of(result, window, lobbies, {"redis_cores": 0.0})


def run_platform_lobby(
    lobbies: int, args, env: dict, redis: PrivateRedis, run_dir: Path, encoding: str = "json"
) -> dict:
    from figures import Server, drop_lobbies, make_lobbies, raise_open_files, retry, spawned_children, wait_quiet

    made = make_lobbies(LOBBY_PREFIX, lobbies, args.members)
    lobbies_file = run_dir / f"lobbies-{lobbies}.json"
    lobbies_file.write_text(json.dumps([{"id": lobby_id, "tokens": tokens} for lobby_id, tokens in made]))
    on_core(SERVER_CORE)
    try:
        server = Server(
            args.port,
            env,
            run_dir / f"platform-lobby-{lobbies}.log",
            workers=None if args.workers == 1 else args.workers,
            nofile=raise_open_files(),
            ws=args.ws,
        )
        server.start()
        same_priority(server.proc.pid)  # its database worker process shares its session
    finally:
        on_core(CLIENT_CORE)
    try:
        # The server's worker process(es) and their database worker processes, spawned at their start:
        # all do the lobby's work (with --workers 2, uvicorn's supervisor serves nothing: not counted).
        workers = server.pids()
        pids = [*workers, *(kid for worker in workers for kid in spawned_children(worker))]
        window = Window(pids, aside=[redis.pid])
        extra = ["--file", str(lobbies_file), "--encoding", encoding]
        result = window.run(lobby_loadgen("platform", f"ws://127.0.0.1:{args.port}", args, extra))
        extra_figures = {
            "server_process_cores": round(sum(window.split[: len(workers)]), 3),
            "server_processes": len(workers),
            "db_worker_cores": round(sum(window.split[len(workers) :]), 3),
            "db_worker_processes": len(pids) - len(workers),
            "redis_cores": round(window.aside_cores, 3),
        }
    finally:
        wait_quiet([server.proc.pid])  # the members' goodbyes are written before their rows go
        server.stop()
        retry(lambda: drop_lobbies(LOBBY_PREFIX, made))
    return lobby_figures_of(result, window, lobbies, extra_figures)


# --- the report -------------------------------------------------------------------------------

ARENA_COLUMNS = [
    ("server cores", "server_cores", "{:.2f}"),
    ("µs/room-tick", "us_per_room_tick", "{:,.0f}"),
    ("patch p50/p99 ms", ("patch_p50_ms", "patch_p99_ms"), "{:.0f}/{:.0f}"),
    ("missed %", "missed_pct", "{:.1f}"),
    ("input→visible p50/p99 ms", ("visible_p50_ms", "visible_p99_ms"), "{:.0f}/{:.0f}"),
    ("bytes/patch", "bytes_per_patch", "{:,.0f}"),
    ("RSS MiB", "rss_mib", "{:,.0f}"),
    ("client cores", "client_cores", "{:.2f}"),
]
ARENA_RATIOS = ["server_cores", "us_per_room_tick", "patch_p99_ms", "visible_p50_ms", "bytes_per_patch", "rss_mib"]
LOBBY_COLUMNS = [
    ("server cores", "server_cores", "{:.3f}"),
    ("µs/delivery", "us_per_delivery", "{:,.1f}"),
    ("µs/delivery with Redis", "us_per_delivery_with_redis", "{:,.1f}"),
    ("deliveries/s", "deliveries_per_s", "{:,.0f}"),
    ("latency p50/p99 ms", ("latency_p50_ms", "latency_p99_ms"), "{:.1f}/{:.1f}"),
    ("lost", "lost", "{}"),
    ("bytes/delivery", "bytes_per_delivery", "{:,.0f}"),
    ("RSS MiB", "rss_mib", "{:,.0f}"),
    ("client cores", "client_cores", "{:.2f}"),
]
LOBBY_RATIOS = [
    "server_cores",
    "us_per_delivery",
    "us_per_delivery_with_redis",
    "latency_p99_ms",
    "bytes_per_delivery",
    "rss_mib",
]
# scenario -> (the size column's heading, columns, the figures with a platform / colyseus ratio)
REPORTS = {
    "arena": ("rooms of 4", ARENA_COLUMNS, ARENA_RATIOS),
    "lobby": ("lobbies", LOBBY_COLUMNS, LOBBY_RATIOS),
}


def cell(row: dict, key, form: str) -> str:
    keys = key if isinstance(key, tuple) else (key,)
    return form.format(*(row[k] for k in keys))


def ratio_cell(colyseus: dict, platform: dict, key, ratios: list[str] = ARENA_RATIOS) -> str:
    """platform / colyseus of the column's figure in ``ratios`` (the p99 of a p50/p99 pair, say), else blank."""
    keys = [k for k in (key if isinstance(key, tuple) else (key,)) if k in ratios]
    if not keys or not colyseus[keys[0]]:
        return ""
    return f"{platform[keys[0]] / colyseus[keys[0]]:.2f}×"


def table(results: list[dict], scenario: str = "arena") -> str:
    size, columns, ratios = REPORTS[scenario]
    head = [size, "side", *(name for name, _, _ in columns)]
    rows = []
    for entry in results:
        for side in SIDES:
            if side in entry:
                rows.append([str(entry["rooms"]), side, *(cell(entry[side], k, f) for _, k, f in columns)])
        for side in SIDES[1:]:
            if "colyseus" in entry and side in entry:
                c, p = entry["colyseus"], entry[side]
                ratio_row = [ratio_cell(c, p, k, ratios) for _, k, _ in columns]
                rows.append([str(entry["rooms"]), f"{side} / colyseus", *ratio_row])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = [" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


PLOTS = {
    "arena": (
        [
            ("server CPU (cores)", "server_cores"),
            ("µs of server CPU per room-tick", "us_per_room_tick"),
            ("patch interval p99 (ms)", "patch_p99_ms"),
            ("input to visible p50 (ms)", "visible_p50_ms"),
        ],
        "rooms of 4 at 20 Hz, one server process",
        "The arena side by side with Colyseus 0.18 (same run, same load generator)",
    ),
    "lobby": (
        [
            ("server CPU (cores)", "server_cores"),
            ("µs of server CPU per delivery", "us_per_delivery"),
            ("deliveries per second", "deliveries_per_s"),
            ("latency send to receive p99 (ms)", "latency_p99_ms"),
        ],
        "lobbies, one server process",
        "The lobby fan-out side by side with Colyseus 0.18 (same run, same load generator)",
    ),
}


def write_plot(results: list[dict], path: str, scenario: str = "arena") -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"note: matplotlib is not installed, no plot written ({path}); `pip install matplotlib` for it")
        return
    panels, xlabel, title = PLOTS[scenario]
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    for ax, (panel_title, key) in zip(axes.flat, panels, strict=True):
        highest = 0.0
        for side, style in zip(SIDES, ("o-", "s-", "^-", "d-"), strict=True):
            points = [(e["rooms"], e[side][key]) for e in results if side in e]
            if points:
                ax.plot(*zip(*points, strict=True), style, label=side)
                highest = max(highest, *(value for _, value in points))
        ax.set_title(panel_title)
        ax.set_xlabel(xlabel)
        ax.set_ylim(0, highest * 1.15 or 1)  # from zero, with room above the highest point
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"plot written to {path}")


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for tool in ("node", "npm", "taskset", "redis-server"):
        if shutil.which(tool) is None:
            print(f"side_by_side: {tool} is needed and not on PATH", file=sys.stderr)
            return 2
    if (os.cpu_count() or 1) < 2:
        print("side_by_side: needs 2 cores (the server on one, the load generator on the other)", file=sys.stderr)
        return 2
    from figures import prepare_platform

    # SIGTERM (make, timeout) unwinds like Ctrl-C: every server and the private Redis are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    npm_install()
    run_dir = Path(tempfile.mkdtemp(prefix="gp-side-by-side-"))
    results = []
    with PrivateRedis(args.redis_port) as redis:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=args.database_url,
            REDIS_URL=redis.url,
            SECRET_KEY=args.secret_key,
            DEBUG="0",
            WEB_CONCURRENCY=str(args.workers),  # make serve WORKERS=
            DJANGO_SETTINGS_MODULE="gameplatform.settings",
        )
        if set(args.side_list) & ENCODINGS.keys() and not prepare_platform(env):
            return 1
        lobby = args.scenario == "lobby"
        colyseus, platform = (run_colyseus_lobby, run_platform_lobby) if lobby else (run_colyseus, run_platform)
        unit = "lobbies" if lobby else "rooms"
        try:
            for rooms in args.sizes:
                entry = {"rooms": rooms}
                if "colyseus" in args.side_list:
                    entry["colyseus"] = colyseus(rooms, args)
                    print(f"{rooms} {unit}, colyseus: {json.dumps(entry['colyseus'])}", flush=True)
                for side, encoding in ENCODINGS.items():
                    if side in args.side_list:
                        entry[side] = platform(rooms, args, env, redis, run_dir, encoding)
                        print(f"{rooms} {unit}, {side}: {json.dumps(entry[side])}", flush=True)
                results.append(entry)
        finally:
            on_core(None)
    print()
    print(table(results, args.scenario))
    if args.scenario == "lobby":
        print(
            f"platform server CPU: its uvicorn process{'es' if args.workers > 1 else ''} ({args.workers})"
            " and their database worker processes together;"
            " its private Redis apart (the 'with Redis' column)"
        )
    if args.json:
        payload = {"scenario": args.scenario, "warmup_s": args.warmup, "seconds": args.seconds, "results": results}
        if args.scenario == "lobby":
            payload.update(members=args.members, senders=args.senders, interval_s=args.interval)
        Path(args.json).write_text(json.dumps(payload))
    if args.plot:
        write_plot(results, args.plot, args.scenario)
    return 0


if __name__ == "__main__":
    sys.exit(main())
