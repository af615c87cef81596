"""The platform's figures in one command: start the servers, measure, stop them, print one table.

    .venv/bin/python bench/figures.py                 # full sizes: several minutes
    .venv/bin/python bench/figures.py --quick         # smoke run with small sizes
    .venv/bin/python bench/figures.py --only rest,lobby --json out.json --plot out.png

It starts the platform as deployed (``make serve``): two uvicorn worker processes on one
port over PostgreSQL and Redis, after ``manage.py migrate``, and waits until both workers
are up and ``/api/status/`` answers. The idle-socket measurement starts one more, single
uvicorn process on the next port; ``scale`` one more with a single worker on the port after.
Every server is stopped at the end, also on errors or Ctrl-C (process groups).

Measurements (``--only`` takes these names):

  rest     GET /api/me/ with a JWT through wrk at 16/32/64 connections (and the servers' CPU per
           request); /api/status/ at 32
  lobby    4 lobbies x 64 members, 16 senders per lobby under the rate limit: deliveries/s,
           lost, latency send -> receive, server CPU per delivery
  queue    1000 players join the matchmaking queue at once: errors, exactly one game each,
           seconds until everyone is matched
  moves    1000 tic-tac-toe games, each moving once every 2 s: mover's round trip, lost
  idle     15,000 idle authenticated sockets on one process: handshakes/s, KiB per socket,
           then SIGTERM with the sockets open: seconds to exit, warnings in its log
  logins   sequential POST /api/auth/login/ of one user for 5 s
  scale    lobby fan-out with 1 and with 2 server processes at offered rates that saturate one

By default it uses its own PostgreSQL database and Redis database number (created if missing,
never flushed): ``--database-url`` / ``--redis-url`` to change them. It never sends traffic
anywhere but 127.0.0.1. The plot needs matplotlib, which the project does not install: without
it the plot is skipped with a note.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # the bench scripts import each other by module name too

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import asdict, dataclass, replace  # noqa: E402

import httpx  # noqa: E402
from procstat import cpu_seconds  # noqa: E402
from websockets.asyncio.client import connect as ws_connect  # noqa: E402

HOST = "127.0.0.1"  # the only address this script sends traffic to
APP = "gameplatform.asgi:application"
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
UVICORN = VENV_BIN / "uvicorn"
WS_PROTOCOL = "preparedws:PreparedFramesProtocol"
# The flags of the Makefile's UVICORN (``make serve``).
UVICORN_FLAGS = (
    f"--no-access-log --ws {WS_PROTOCOL} --ws-per-message-deflate false"
    " --ws-max-size 16777216 --timeout-graceful-shutdown 10"
).split()
WRK = shutil.which("wrk") or "/usr/bin/wrk"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/gp_platform_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
LOBBY_SEND_INTERVAL = 0.7  # 3 messages in any 2 s per user is the limit: one every ~0.67 s, with a margin
MARK = "pbench@"  # chat text is MARK + the sender's perf_counter(); found in frames without a JSON decode
MEASUREMENTS = ["rest", "logins", "queue", "lobby", "moves", "scale", "idle"]


@dataclass
class Sizes:
    rest_seconds: int = 10
    rest_connections: tuple = (16, 32, 64)
    lobby_lobbies: int = 4
    lobby_members: int = 64
    lobby_senders: int = 16
    lobby_seconds: float = 20.0
    queue_players: int = 1000
    queue_connections: int = 200
    move_games: int = 1000
    move_period: float = 2.0
    move_seconds: float = 20.0  # a tic-tac-toe game has 9 moves at most: 18 s at one move per 2 s
    idle_sockets: int = 15_000
    idle_concurrency: int = 200
    login_seconds: float = 5.0
    scale_lobbies: int = 8
    scale_members: int = 64
    scale_rates: tuple = (8192, 16384, 32768)
    scale_seconds: float = 8.0


QUICK = Sizes(
    rest_seconds=1,
    lobby_lobbies=2,
    lobby_members=32,
    lobby_senders=8,
    lobby_seconds=4.0,
    queue_players=200,
    move_games=200,
    move_seconds=4.0,
    idle_sockets=1000,
    login_seconds=2.0,
    scale_lobbies=2,
    scale_rates=(8192,),
    scale_seconds=2.0,
)


# --- targets and the table ----------------------------------------------------------------


@dataclass
class Figure:
    measurement: str
    key: str
    label: str
    unit: str
    op: str | None = None  # ">=", "<=", "<", "==", or None (shown, no target)
    target: float | str | None = None  # a number, or the key of another figure (e.g. "players")


FIGURES = [
    Figure("rest", "me_c16_rps", "GET /api/me/ c=16", "req/s"),
    Figure("rest", "me_c16_p99_ms", "GET /api/me/ c=16 p99", "ms"),
    Figure("rest", "me_c32_rps", "GET /api/me/ c=32", "req/s", ">=", 700),
    Figure("rest", "me_c32_p99_ms", "GET /api/me/ c=32 p99", "ms", "<=", 100),
    Figure("rest", "me_c64_rps", "GET /api/me/ c=64", "req/s"),
    Figure("rest", "me_c64_p99_ms", "GET /api/me/ c=64 p99", "ms"),
    Figure("rest", "status_c32_rps", "GET /api/status/ c=32", "req/s"),
    Figure("rest", "me_server_cpu_us_per_request", "GET /api/me/ server CPU per request", "us"),
    Figure("rest", "errors", "non-2xx + socket errors", "count"),
    Figure("logins", "logins_per_s", "sequential logins, one user", "/s", ">=", 40),
    Figure("logins", "p50_ms", "login p50", "ms"),
    Figure("logins", "errors", "login errors", "count"),
    Figure("queue", "errors", "join errors (non-200)", "count", "==", 0),
    Figure("queue", "in_one_game", "players in exactly one game", "players", "==", "players"),
    Figure("queue", "seconds_all_matched", "all matched after", "s", "<", 2),
    Figure("queue", "join_p99_ms", "join p99", "ms"),
    Figure("lobby", "deliveries_per_s", "lobby deliveries", "/s"),
    Figure("lobby", "lost", "lobby lost (expected - received)", "count", "==", 0),
    Figure("lobby", "p50_ms", "lobby send -> receive p50", "ms"),
    Figure("lobby", "p99_ms", "lobby send -> receive p99", "ms", "<=", 10),
    Figure("lobby", "cpu_us_per_delivery", "lobby server CPU per delivery", "us", "<=", 50),
    Figure("moves", "moves_per_s", "moves", "/s"),
    Figure("moves", "p50_ms", "move round trip p50", "ms"),
    Figure("moves", "p99_ms", "move round trip p99", "ms", "<=", 50),
    Figure("moves", "lost", "moves lost", "count", "==", 0),
    Figure("scale", "one_process_per_s", "fan-out, 1 process", "/s", ">=", 20_000),
    Figure("scale", "two_process_per_s", "fan-out, 2 processes", "/s"),
    Figure("scale", "ratio", "fan-out 2 / 1 processes", "x", ">=", 1.8),
    Figure("idle", "opened", "idle sockets open", "sockets", "==", "requested"),
    Figure("idle", "handshakes_per_s", "idle handshakes", "/s", ">=", 500),
    Figure("idle", "kib_per_socket", "server RSS per idle socket", "KiB", "<=", 20),
    Figure("idle", "stop_seconds", "SIGTERM -> exit, sockets open", "s", "<=", 10),
    Figure("idle", "took_too_long", "'took too long' / timeout lines", "count", "==", 0),
    Figure("idle", "warnings", "warning + error lines in its log", "count", "==", 0),
    Figure("idle", "tracebacks", "tracebacks in its log", "count", "==", 0),
]


def target_value(fig: Figure, result: dict):
    return result.get(fig.target) if isinstance(fig.target, str) else fig.target


def is_met(fig: Figure, value, target) -> bool | None:
    if fig.op is None:
        return None
    if value is None or target is None:
        return False
    return {
        ">=": value >= target,
        "<=": value <= target,
        "<": value < target,
        "==": value == target,
    }[fig.op]


def table_rows(results: dict, measurements: list[str] = MEASUREMENTS, figures: list[Figure] = FIGURES) -> list[dict]:
    """One row per figure of each measurement run, in order; a result may name a figure itself
    (``<key>_label``: what it was measured at), else the figure's label is shown."""
    rows = []
    for name in measurements:
        if name not in results:
            continue
        result = results[name]
        if "error" in result:
            rows.append({"measurement": name, "figure": "FAILED", "value": result["error"], "unit": "", "target": ""})
            continue
        for fig in (f for f in figures if f.measurement == name):
            value, target = result.get(fig.key), target_value(fig, result)
            met = is_met(fig, value, target)
            rows.append(
                {
                    "measurement": name,
                    "figure": result.get(f"{fig.key}_label", fig.label),
                    "key": fig.key,
                    "value": value,
                    "unit": fig.unit,
                    "op": fig.op,
                    "target": f"{fig.op} {fmt(target)}" if fig.op else "",
                    "target_value": target,
                    "met": met,
                }
            )
    return rows


def fmt(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}" if abs(value) >= 0.01 else f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_table(rows: list[dict]) -> None:
    header = ("measurement", "figure", "value", "unit", "target", "met")
    lines = [
        (
            r["measurement"],
            r["figure"],
            fmt(r["value"]),
            r["unit"],
            r["target"],
            {True: "met", False: "NOT MET", None: ""}[r.get("met")],
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=True)]
    print()
    for n, line in enumerate([header, *lines]):
        cells = [
            str(c).rjust(w) if i == 2 else str(c).ljust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    judged = [r for r in rows if r.get("met") is not None]
    print(f"\n{sum(r['met'] for r in judged)} of {len(judged)} targets met")


def write_plot(rows: list[dict], path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        print(f"note: matplotlib is not installed, no plot written ({path}); `pip install matplotlib` for it")
        return
    bars = [
        r
        for r in rows
        if r.get("op") and isinstance(r["value"], (int, float)) and isinstance(r["target_value"], (int, float))
        if r["target_value"] > 0 and r["value"] > 0
    ]
    if not bars:
        print("note: no figure with a positive target to plot")
        return
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(bars) + 2), 5))
    ratios = [r["value"] / r["target_value"] for r in bars]
    colors = ["tab:green" if r["met"] else "tab:red" for r in bars]
    labels = [f"{r['measurement']}: {r['figure']}\n({r['op']} {fmt(r['target_value'])} {r['unit']})" for r in bars]
    ax.bar(range(len(bars)), ratios, color=colors)
    ax.axhline(1.0, color="black", linewidth=1)
    ax.set_yscale("log")
    plain = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.set_xticks(range(len(bars)), labels, rotation=35, ha="right", fontsize=8)
    ax.set_ylabel("measured / target (log)")
    ax.set_title("gameplatform bench: measured / target (green met, red not met; '<=' targets want < 1)")
    for x, (ratio, r) in enumerate(zip(ratios, bars, strict=True)):
        ax.annotate(fmt(r["value"]), (x, ratio), ha="center", va="bottom", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"plot written to {path}")


# --- servers ------------------------------------------------------------------------------


def own_cpu_seconds() -> float:
    """This (client) process's CPU time: the clients share the machine's 2 cores with the servers."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children_of(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    kids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return kids


def spawned_children(pid: int) -> list[int]:
    """The children of ``pid`` that multiprocessing's ``spawn`` started: uvicorn's workers of a
    supervisor, or a server's database worker processes (``DB_PROCESSES``)."""
    found = []
    for kid in children_of(pid):
        try:
            if b"spawn_main" in Path(f"/proc/{kid}/cmdline").read_bytes():
                found.append(kid)
        except OSError:
            pass
    return sorted(found)


RUNNING: list["Server"] = []  # servers to kill if this script is terminated


def server_ports(first: int, count: int) -> list[int]:
    """The ports of ``count`` servers: ``first`` and the ones after it, or, with ``first`` 0, ports
    the system has free now, asked for together so they differ. A test gives 0: a fixed port, or
    the one after a free one, may be any client's ephemeral port at that moment (one was: "address
    already in use" under load)."""
    if first:
        return [first + k for k in range(count)]
    held = [socket.socket() for _ in range(count)]
    try:
        for held_socket in held:
            held_socket.bind((HOST, 0))
        return [held_socket.getsockname()[1] for held_socket in held]
    finally:
        for held_socket in held:
            held_socket.close()


class Server:
    """uvicorn on HOST:port in a process group of its own; ``workers=None``: one process, no supervisor."""

    def __init__(
        self,
        port: int,
        env: dict,
        log_path: Path,
        workers: int | None = 2,
        nofile: int | None = None,
        ws: str | None = None,
    ):
        self.port, self.env, self.log_path, self.workers, self.nofile = port, env, log_path, workers, nofile
        self.ws = ws  # another WebSocket protocol than the Makefile's (uvicorn's ``--ws``)
        self.proc: subprocess.Popen | None = None
        self.base = f"http://{HOST}:{port}"

    def command(self) -> list[str]:
        """The server's command line (bench/asgi_servers.py gives other servers theirs)."""
        cmd = [str(UVICORN), *UVICORN_FLAGS]
        if self.ws:
            cmd[cmd.index("--ws") + 1] = self.ws
        if self.workers:
            cmd += ["--workers", str(self.workers)]
        return cmd + ["--host", HOST, "--port", str(self.port), APP]

    def start(self, timeout: float = 90.0) -> "Server":
        cmd = self.command()
        if self.nofile:
            # Raise the server's open-file limit to what many sockets need (to the hard limit if lower).
            raise_limit = f'ulimit -n {self.nofile} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"'
            cmd = ["sh", "-c", raise_limit, "sh", *cmd]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        RUNNING.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"server on port {self.port} exited at start-up; see {self.log_path}")
            if len(self.pids()) >= (self.workers or 1) and self._status_ok():
                return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"server on port {self.port} not ready after {timeout:.0f} s; see {self.log_path}")

    def _status_ok(self) -> bool:
        try:
            return httpx.get(f"{self.base}/api/status/", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def pids(self) -> list[int]:
        """The processes that serve: the uvicorn workers (not the supervisor, not multiprocessing's tracker)."""
        if (self.workers or 1) == 1:  # uvicorn runs a single worker in the process itself
            return [self.proc.pid]
        return spawned_children(self.proc.pid)

    def stop(self, timeout: float = 30.0) -> float | None:
        """SIGTERM, wait up to ``timeout``; then SIGKILL the whole group. Seconds to a clean exit, or None."""
        if self.proc is None:
            return None
        began, clean = time.monotonic(), None
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=timeout)
            clean = time.monotonic() - began
        except subprocess.TimeoutExpired:
            pass
        finally:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # workers left behind, if any
            except (ProcessLookupError, PermissionError):
                pass
            if self.proc.poll() is None:
                self.proc.wait(timeout=10)
            if self in RUNNING:
                RUNNING.remove(self)
        return clean


def terminated(signum, frame) -> None:
    """SIGTERM (make, timeout): stop every server we started, then leave at once. The bench rows
    left in the database are removed by the next run (each measurement first drops its prefix)."""
    for server in list(RUNNING):
        server.stop(timeout=5)
    os._exit(128 + signum)


# Exit codes of the benches the tests run (this one, game_starts, liveops): 0 every goal met, 1 a
# goal missed, 2 the platform could not be set up, 3 the bench itself broke. Python leaves with 1 on
# an uncaught exception; that would read as "a goal missed" to a caller that accepts a miss (the
# tests do, on a loaded machine).
BROKE = 3


def exit_with(main) -> None:
    """Leave with ``main()``'s code, or with BROKE and the traceback if it raised; either way with
    no server of ours left running (one that started before another failed to was, once, until the
    machine stopped: it held its port and its database connections)."""
    try:
        code = main()
    except Exception:
        traceback.print_exc()
        code = BROKE
    finally:
        for server in list(RUNNING):
            server.stop(timeout=5)
    sys.exit(code)


# --- shared client helpers ----------------------------------------------------------------


def run_async(coro):
    """Run a coroutine on uvloop when available (as the servers do): the client shares the 2 cores."""
    try:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(coro)
    except ImportError:
        return asyncio.run(coro)


async def ws_open(url: str, token: str, open_timeout: float = 30.0):
    return await ws_connect(
        url,
        additional_headers={"Authorization": f"Bearer {token}"},
        compression=None,
        ping_interval=None,
        max_queue=None,
        close_timeout=2,
        open_timeout=open_timeout,
    )


async def next_frame(ws, kind: str, timeout: float = 10.0) -> dict:
    """The next frame of type ``kind`` (others skipped); an ``error`` frame raises."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind:
                return frame
            if frame["type"] == "error":
                raise RuntimeError(f"error frame while waiting for {kind}: {frame}")


async def close_all(sockets: list, batch: int = 500) -> None:
    for start in range(0, len(sockets), batch):
        await asyncio.gather(*(ws.close() for ws in sockets[start : start + batch]), return_exceptions=True)


def ms(seconds: float | None) -> float | None:
    return None if seconds is None or seconds != seconds else round(seconds * 1000, 2)


def wait_quiet(pids: list[int], limit: float = 30.0, busy: float = 0.15) -> None:
    """Wait (at most ``limit`` s) until the servers use less than ``busy`` of a core: the closes of
    the sockets (database writes) are done before the bench deletes the rows they touch."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            before = cpu_seconds(pids)
            time.sleep(0.5)
            if cpu_seconds(pids) - before < busy * 0.5:
                return
        except OSError:  # a server went away
            return


def retry(action, attempts: int = 5) -> None:
    """Clean-up that may meet a server's last writes (a deadlock, a row just added): try again."""
    from django.db import DatabaseError

    for attempt in range(attempts):
        try:
            return action()
        except DatabaseError:
            if attempt == attempts - 1:
                raise
            time.sleep(1)


def drop_games_of(user_ids: list[int]) -> None:
    from game.models import Game

    Game.objects.filter(players__user_id__in=user_ids).delete()


def fresh_users(prefix: str, count: int) -> list:
    """bench/queue_fill.py's ``make_users``, after removing the games an interrupted run left behind."""
    from queue_fill import make_users

    from accounts.models import User

    drop_games_of(list(User.objects.filter(username__startswith=f"{prefix}_").values_list("pk", flat=True)))
    return make_users(prefix, count)


# --- 1. rest ------------------------------------------------------------------------------


def wrk(url: str, connections: int, seconds: int, token: str | None = None) -> dict:
    cmd = [WRK, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    figures = {"rps": None, "p50_ms": None, "p99_ms": None, "errors": 0, "requests": 0}
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            figures["rps"] = float(parts[1])
        elif len(parts) > 2 and parts[1:3] == ["requests", "in"]:  # "12345 requests in 10.00s, 4.5MB read"
            figures["requests"] = int(parts[0])
        elif len(parts) == 2 and parts[0] in ("50%", "99%"):
            number = parts[1].rstrip("usm")
            figures[f"p{parts[0][:-1]}_ms"] = round(float(number) * units[parts[1][len(number) :]], 2)
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            figures["errors"] += int(parts[-1])
        elif line.strip().startswith("Socket errors:"):
            figures["errors"] += sum(int(p.strip(",")) for p in parts if p.strip(",").isdigit())
    return figures


def measure_rest(server: Server, sizes: Sizes) -> dict:
    from queue_fill import drop_users, make_users

    ((_, token),) = make_users("pbrest", 1)
    pids = server.pids()
    try:
        result, errors, cpu, requests = {}, 0, 0.0, 0
        for conns in sizes.rest_connections:
            before = cpu_seconds(pids)
            figures = wrk(f"{server.base}/api/me/", conns, sizes.rest_seconds, token)
            cpu, requests = cpu + cpu_seconds(pids) - before, requests + figures["requests"]
            result[f"me_c{conns}_rps"], result[f"me_c{conns}_p99_ms"] = figures["rps"], figures["p99_ms"]
            result[f"me_c{conns}_p50_ms"] = figures["p50_ms"]
            errors += figures["errors"]
        # The server processes' CPU over every /api/me/ run, per request (bench/capacity.py's rest_us).
        result["me_server_cpu_us_per_request"] = round(cpu / requests * 1e6) if requests else None
        figures = wrk(f"{server.base}/api/status/", 32, sizes.rest_seconds)
        result["status_c32_rps"], result["status_c32_p99_ms"] = figures["rps"], figures["p99_ms"]
        result["errors"] = errors + figures["errors"]
        return result
    finally:
        drop_users("pbrest")


# --- 6. logins ----------------------------------------------------------------------------


def measure_logins(server: Server, sizes: Sizes) -> dict:
    from queue_fill import percentile

    from accounts.models import User

    username, password = "pblogin_1", "bench-Password-7c1e"
    User.objects.filter(username=username).delete()
    User.objects.create_user(username=username, email="pblogin@bench.invalid", password=password)
    latencies, errors = [], 0
    try:
        with httpx.Client(base_url=server.base, timeout=10) as client:
            began = time.perf_counter()
            deadline = began + sizes.login_seconds
            while time.perf_counter() < deadline and len(latencies) + errors < 100_000:
                t0 = time.perf_counter()
                response = client.post("/api/auth/login/", json={"username": username, "password": password})
                if response.status_code == 200 and "access" in response.json():
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors += 1
            elapsed = time.perf_counter() - began
    finally:
        User.objects.filter(username=username).delete()
    return {
        "logins": len(latencies),
        "logins_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": ms(percentile(latencies, 50)),
        "p99_ms": ms(percentile(latencies, 99)),
        "errors": errors,
    }


# --- 3. queue -----------------------------------------------------------------------------


def wait_all_seated(user_ids: list[int], began: float, deadline: float) -> float | None:
    """Poll the database until every user has a game seat; the perf_counter time then, or None."""
    from django.db import connection

    from game.models import GamePlayer

    try:
        while time.perf_counter() < deadline:
            if GamePlayer.objects.filter(user_id__in=user_ids).count() >= len(user_ids):
                return time.perf_counter()
            time.sleep(0.02)
        return None
    finally:
        connection.close()


async def post_json(port: int, path: str, body: dict, token: str) -> int:
    """One POST on a connection of its own, as a player's browser would: the HTTP status.

    Plain HTTP/1.1 over asyncio streams instead of one shared httpx client: httpx's pool
    assigns queued requests to connections in O(requests x connections) on every event
    (encode/httpcore#1035), and with 1,000 requests over 200 connections the load
    generator spent the whole measurement in that loop while the servers sat idle.
    """
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(head + payload)
        status = int((await reader.readline()).split()[1])
        await reader.read()  # headers and body, until the server closes
        return status
    finally:
        writer.close()


async def queue_burst(port: int, players: list, connections: int, timeout: float) -> dict:
    """Every player joins at once; at most ``connections`` requests are open at a time."""
    user_ids = [user.pk for user, _ in players]
    gate = asyncio.Semaphore(connections)
    start = asyncio.Event()

    async def join(token: str):
        await start.wait()
        async with gate:
            t0 = time.perf_counter()
            try:
                async with asyncio.timeout(30):
                    status = await post_json(port, "/api/matchmaking/join/", {"mode": "tictactoe"}, token)
                return status, time.perf_counter() - t0
            except (OSError, ValueError, IndexError, TimeoutError) as exc:
                return type(exc).__name__, time.perf_counter() - t0

    tasks = [asyncio.create_task(join(token)) for _, token in players]
    await asyncio.sleep(0.2)
    began = time.perf_counter()
    start.set()
    seated = asyncio.create_task(asyncio.to_thread(wait_all_seated, user_ids, began, began + timeout))
    answers = await asyncio.gather(*tasks)
    joined = time.perf_counter()
    all_seated = await seated
    return {"began": began, "joined": joined, "all_seated": all_seated, "answers": answers}


def measure_queue(server: Server, sizes: Sizes) -> dict:
    from queue_fill import drop_users, percentile

    from game.models import GamePlayer
    from matchmaking.models import QueueEntry

    players = fresh_users("pbqueue", sizes.queue_players - sizes.queue_players % 2)
    user_ids = [user.pk for user, _ in players]
    try:
        run = run_async(queue_burst(server.port, players, sizes.queue_connections, timeout=30.0))
        seats = Counter(GamePlayer.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True))
        codes = Counter(code for code, _ in run["answers"])
        matched_at = run["all_seated"]
        return {
            "players": len(players),
            "status_codes": {str(k): v for k, v in codes.items()},
            "errors": sum(v for k, v in codes.items() if k != 200),
            "in_one_game": sum(1 for uid in user_ids if seats.get(uid) == 1),
            "in_two_or_more_games": sum(1 for uid in user_ids if seats.get(uid, 0) > 1),
            "still_queued": QueueEntry.objects.filter(user_id__in=user_ids).count(),
            "seconds_all_matched": round(matched_at - run["began"], 3) if matched_at else None,
            "seconds_all_answered": round(run["joined"] - run["began"], 3),
            "join_p50_ms": ms(percentile([t for _, t in run["answers"]], 50)),
            "join_p99_ms": ms(percentile([t for _, t in run["answers"]], 99)),
        }
    finally:
        wait_quiet(server.pids())
        retry(lambda: drop_games_of(user_ids))
        QueueEntry.objects.filter(user_id__in=user_ids).delete()
        retry(lambda: drop_users("pbqueue"))


# --- 2. lobby (and 7. scale) --------------------------------------------------------------


def make_lobbies(prefix: str, lobbies: int, members: int) -> list[tuple[int, list[str]]]:
    """``lobbies`` fresh lobbies of ``members`` distinct users each (the rate limit is per user):
    [(lobby id, members' access tokens)], made through the services as bench/lobby_chat.py does."""
    from queue_fill import make_users

    from accounts.models import User
    from chat.lobbies import services

    users = make_users(prefix, lobbies * members)
    made = []
    for n in range(lobbies):
        group = users[n * members : (n + 1) * members]
        owner = group[0][0]
        User.objects.filter(pk=owner.pk).update(is_premium=True)
        owner.is_premium = True
        lobby = services.lobby_create(owner=owner, name=f"{prefix} {n}", max_participants=max(members, 2))
        for user, _ in group[1:]:
            services.lobby_join(lobby_id=lobby.pk, user=user)
        made.append((lobby.pk, [token for _, token in group]))
    return made


def drop_lobbies(prefix: str, lobbies: list[tuple[int, list[str]]]) -> None:
    from queue_fill import drop_users

    from chat.models import Lobby

    Lobby.objects.filter(pk__in=[lobby_id for lobby_id, _ in lobbies]).delete()
    drop_users(prefix)


class LobbyMember:
    """One member's socket: counts chat deliveries and their latency without decoding the JSON."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.latencies: list[float] = []
        self.refused = 0
        self.last = 0.0
        self.ws = None
        self.reader: asyncio.Task | None = None

    async def open(self) -> None:
        self.ws = await ws_open(self.url, self.token)
        await next_frame(self.ws, "lobby_state")
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        latencies, find = self.latencies, MARK
        async for text in self.ws:
            now = time.perf_counter()
            at = text.find(find)
            if at >= 0:
                at += len(find)
                latencies.append(now - float(text[at : text.index('"', at)]))
                self.last = now
            elif '"error"' in text:
                self.refused += 1

    async def send(self) -> None:
        await self.ws.send(json.dumps({"type": "chat_message", "message": f"{MARK}{time.perf_counter():.6f}"}))


async def open_lobby_members(port: int, lobbies: list[tuple[int, list[str]]]) -> list[list[LobbyMember]]:
    groups = [
        [LobbyMember(f"ws://{HOST}:{port}/ws/lobbies/{lobby_id}/", token) for token in tokens]
        for lobby_id, tokens in lobbies
    ]
    everyone = [m for g in groups for m in g]
    for start in range(0, len(everyone), 32):
        await asyncio.gather(*(m.open() for m in everyone[start : start + 32]))
    await asyncio.sleep(0.5)  # let the presence_join frames of the ramp-up go by
    return groups


async def close_lobby_members(groups: list[list[LobbyMember]]) -> None:
    everyone = [m for g in groups for m in g]
    for member in everyone:
        if member.reader is not None:
            member.reader.cancel()
    await close_all([m.ws for m in everyone if m.ws is not None])


async def lobby_fanout(
    groups: list[list[LobbyMember]], senders: int, interval: float, seconds: float, pids: list[int], drain: float
) -> dict:
    """``senders`` members of every lobby send one chat message every ``interval`` s for ``seconds``;
    every member (the sender too) must receive each. Figures over this run only."""
    from queue_fill import percentile

    everyone = [m for g in groups for m in g]
    for member in everyone:
        member.latencies.clear()
        member.refused, member.last = 0, 0.0
    sending = [(g, m) for g in groups for m in g[:senders]]
    rounds = max(1, int(seconds / interval))
    sent_per_group = Counter()

    async def sender(index: int, group: list, member: LobbyMember, began: float) -> None:
        offset = interval * index / len(sending)  # spread the senders over one interval
        for n in range(rounds):
            delay = began + offset + n * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await member.send()
            sent_per_group[id(group)] += 1

    cpu_before, client_before = cpu_seconds(pids), own_cpu_seconds()
    began = time.perf_counter()
    await asyncio.gather(*(sender(i, g, m, began) for i, (g, m) in enumerate(sending)))
    sent_done = time.perf_counter()
    expected = sum(sent_per_group[id(g)] * len(g) for g in groups)
    deadline = sent_done + drain
    while time.perf_counter() < deadline and sum(len(m.latencies) for m in everyone) < expected:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    cpu_used, client_used = cpu_seconds(pids) - cpu_before, own_cpu_seconds() - client_before
    received = sum(len(m.latencies) for m in everyone)
    finished = max((m.last for m in everyone), default=sent_done) or sent_done
    latencies = [lat for m in everyone for lat in m.latencies]
    elapsed = max(finished - began, 1e-9)
    return {
        "lobbies": len(groups),
        "members": len(groups[0]) if groups else 0,
        "senders_per_lobby": senders,
        "interval_s": round(interval, 3),
        "messages": sum(sent_per_group.values()),
        "offered_per_s": round(sum(len(g[:senders]) * len(g) for g in groups) / interval),
        "expected": expected,
        "received": received,
        "lost": expected - received,
        "refused": sum(m.refused for m in everyone),
        "deliveries_per_s": round(received / elapsed),
        "p50_ms": ms(percentile(latencies, 50)),
        "p99_ms": ms(percentile(latencies, 99)),
        "max_ms": ms(max(latencies, default=None)),
        "server_cpu_s": round(cpu_used, 3),
        "cpu_us_per_delivery": round(cpu_used / received * 1e6, 2) if received else None,
        "client_cpu_s": round(client_used, 3),
    }


def measure_lobby(server: Server, sizes: Sizes) -> dict:
    lobbies = make_lobbies("pblobby", sizes.lobby_lobbies, sizes.lobby_members)
    pids = server.pids()

    async def run() -> dict:
        groups = await open_lobby_members(server.port, lobbies)
        try:
            cpu_before = [cpu_seconds([p]) for p in pids]
            result = await lobby_fanout(
                groups, sizes.lobby_senders, LOBBY_SEND_INTERVAL, sizes.lobby_seconds, pids, drain=10.0
            )
            split = [cpu_seconds([p]) - c for p, c in zip(pids, cpu_before, strict=True)]
            result["server_cpu_split_s"] = [round(s, 2) for s in split]  # how the kernel spread the work
            return result
        finally:
            await close_lobby_members(groups)

    try:
        return run_async(run())
    finally:
        wait_quiet(pids)
        retry(lambda: drop_lobbies("pblobby", lobbies))


def measure_scale(server: Server, sizes: Sizes, env: dict, run_dir: Path, port: int) -> dict:
    """Fan-out at offered rates that saturate one process: with 1 and with 2 server processes.
    Every member of every lobby sends, at the interval that makes the offered rate."""
    members, count = sizes.scale_members, sizes.scale_lobbies
    lobbies = make_lobbies("pbscale", count, members)
    steps: dict[str, list] = {}

    def run_steps(target: Server) -> list[dict]:
        async def run() -> list[dict]:
            groups = await open_lobby_members(target.port, lobbies)
            results = []
            try:
                for n, rate in enumerate(sizes.scale_rates):
                    if n:
                        await asyncio.sleep(2.5)  # the senders' rate-limit windows (2 s) empty
                    interval = max(LOBBY_SEND_INTERVAL, count * members * members / rate)
                    results.append(
                        await lobby_fanout(groups, members, interval, sizes.scale_seconds, target.pids(), drain=10.0)
                    )
            finally:
                await close_lobby_members(groups)
            return results

        return run_async(run())

    single = Server(port, env, run_dir / "server-scale-1.log", workers=1)
    try:
        single.start()
        steps["one"] = run_steps(single)
        single.stop()
        wait_quiet(server.pids())
        steps["two"] = run_steps(server)
    finally:
        single.stop()
        wait_quiet(server.pids())
        retry(lambda: drop_lobbies("pbscale", lobbies))
    one = max(s["deliveries_per_s"] for s in steps["one"])
    two = max(s["deliveries_per_s"] for s in steps["two"])
    keep = ("offered_per_s", "deliveries_per_s", "lost", "refused", "p99_ms", "cpu_us_per_delivery")
    return {
        "one_process_per_s": one,
        "two_process_per_s": two,
        "ratio": round(two / one, 2) if one else None,
        "steps": {k: [{f: s[f] for f in keep} for s in v] for k, v in steps.items()},
    }


# --- 4. moves -----------------------------------------------------------------------------


async def state_where(ws, test, out: dict, timeout: float = 10.0) -> dict:
    """The next ``game_state`` that passes ``test``. Frames of one game made on two processes can
    arrive out of order (``game_state`` carries a ``version``, docs/domains/matchmaking.md: keep
    the highest); older ones are counted, skipped."""
    seen = out["versions"].get(id(ws), -1)
    while True:
        state = await next_frame(ws, "game_state", timeout)
        if state["version"] < seen:
            out["stale_frames"] += 1
            continue
        seen = out["versions"][id(ws)] = state["version"]
        if test(state):
            return state


async def play(base: str, game_id: int, tokens: list[str], moves: int, period: float, start: "Start", out: dict):
    """Both players connect and ready up; then from ``start`` on, one move every ``period`` s."""
    from game_moves import DRAW

    sockets = []
    try:
        async with start.connecting:
            for token in tokens:
                ws = await ws_open(f"{base}/ws/game/{game_id}/", token)
                sockets.append(ws)
                await state_where(ws, lambda s: True, out)
            for ws in sockets:
                await ws.send(json.dumps({"type": "player_ready"}))
            for ws in sockets:
                await state_where(ws, lambda s: s["state"] == "active", out)
        if start.event.is_set():
            raise TimeoutError("ready after the others had started")
        out["ready"] += 1
    except Exception as exc:  # noqa: BLE001 - a failed set-up is counted, not fatal
        out["setup_failed"].append(f"{type(exc).__name__}: {exc}"[:200])
        await close_all(sockets)
        return
    began = await start.wait()
    offset = period * start.slot()  # games spread over one period
    try:
        for n in range(moves):
            delay = began + offset + n * period - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            mover, other, cell = sockets[n % 2], sockets[(n + 1) % 2], DRAW[n]
            shows_move = lambda s, cell=cell: s["board"] is not None and s["board"][cell] is not None  # noqa: E731
            t0 = time.perf_counter()
            out["sent"] += 1
            try:
                await mover.send(json.dumps({"type": "player_move", "movement": {"cell": cell}}))
                await state_where(mover, shows_move, out)
                out["rtts"].append(time.perf_counter() - t0)
                out["rtts_by_move"][n].append(out["rtts"][-1])
                await state_where(other, shows_move, out)
            except Exception as exc:  # noqa: BLE001 - lost; this game stops
                out["errors"].append(f"{type(exc).__name__}: {exc}"[:200])
                return
    finally:
        # Closed when every game is done: closes (a database write each) must not crowd later moves.
        out["sockets"].extend(sockets)


class Start:
    """Games connect a few at a time, then all wait for one start time."""

    def __init__(self, games: int, concurrency: int = 32) -> None:
        self.connecting = asyncio.Semaphore(concurrency)
        self.event = asyncio.Event()
        self.began = 0.0
        self.games, self.slots = games, 0

    def go(self) -> None:
        self.began = time.perf_counter() + 0.5
        self.event.set()

    async def wait(self) -> float:
        await self.event.wait()
        return self.began

    def slot(self) -> float:
        self.slots += 1
        return (self.slots - 1) / max(1, self.games)


async def moves_run(port: int, games: list[tuple[int, list[str]]], moves: int, period: float) -> dict:
    out = {
        "ready": 0,
        "sent": 0,
        "rtts": [],
        "errors": [],
        "setup_failed": [],
        "stale_frames": 0,
        "versions": {},
        "sockets": [],
    }
    out["rtts_by_move"] = [[] for _ in range(moves)]
    start = Start(len(games))
    tasks = [asyncio.create_task(play(f"ws://{HOST}:{port}", g, t, moves, period, start, out)) for g, t in games]
    # Everyone connected and ready (or failed), within a bound.
    deadline = time.perf_counter() + 60 + len(games) * 0.1
    while out["ready"] + len(out["setup_failed"]) < len(games) and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    setup_s = time.perf_counter()
    start.go()
    done, pending = await asyncio.wait(tasks, timeout=moves * period + 60)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    await close_all(out["sockets"])
    out["setup_s"] = setup_s
    out["moves_s"] = time.perf_counter() - start.began
    return out


def measure_moves(server: Server, sizes: Sizes) -> dict:
    from queue_fill import drop_users, percentile

    from game.models import Game
    from game.services import game_create

    moves = max(1, min(9, int(sizes.move_seconds / sizes.move_period)))
    players = fresh_users("pbmoves", 2 * sizes.move_games)
    games = []
    try:
        for a, b in zip(players[0::2], players[1::2], strict=True):
            game = game_create(mode="tictactoe", players=[a[0].pk, b[0].pk])
            games.append((game.pk, [a[1], b[1]]))
        t0 = time.perf_counter()
        out = run_async(moves_run(server.port, games, moves, sizes.move_period))
        rtts = out["rtts"]
        return {
            "games": len(games),
            "games_ready": out["ready"],
            "setup_failed": len(out["setup_failed"]),
            "setup_s": round(out["setup_s"] - t0, 1),
            "moves_per_game": moves,
            "moves": out["sent"],
            "moves_per_s": round(len(rtts) / max(out["moves_s"], 1e-9), 1),
            "lost": len(games) * moves - len(rtts),  # every game was to make every move
            "p50_ms": ms(percentile(rtts, 50)),
            "p99_ms": ms(percentile(rtts, 99)),
            "max_ms": ms(max(rtts, default=None)),
            "p99_ms_by_move": [ms(percentile(r, 99)) for r in out["rtts_by_move"]],
            "stale_frames_skipped": out["stale_frames"],
            "first_errors": (out["errors"] + out["setup_failed"])[:3],
        }
    finally:
        wait_quiet(server.pids())
        retry(lambda: Game.objects.filter(pk__in=[g for g, _ in games]).delete())
        retry(lambda: drop_users("pbmoves"))


# --- 5. idle ------------------------------------------------------------------------------

IDLE_FIRST_FRAME = {"/ws/notifications/": "badge", "/ws/friends/status/": "presence_snapshot"}


async def idle_run(server: Server, tokens: list[str], path: str, concurrency: int) -> dict:
    url, first = f"ws://{HOST}:{server.port}{path}", IDLE_FIRST_FRAME[path]
    pid = server.proc.pid

    async def open_one(token: str, gate: asyncio.Semaphore, sockets: list, failures: Counter) -> None:
        async with gate:
            try:
                ws = await ws_open(url, token, open_timeout=60)
            except Exception as exc:  # noqa: BLE001 - counted
                failures[type(exc).__name__] += 1
                return
            try:
                await next_frame(ws, first, timeout=60)
                sockets.append(ws)
            except Exception as exc:  # noqa: BLE001 - counted
                failures[type(exc).__name__] += 1
                ws.transport.abort()

    # Warm-up: the first sockets load the consumer code and fill caches; not counted.
    warm, warm_failures = [], Counter()
    await asyncio.gather(*(open_one(t, asyncio.Semaphore(20), warm, warm_failures) for t in tokens[:20]))
    await close_all(warm)
    await asyncio.sleep(1.5)
    rss_before = rss_kib(pid)

    sockets, failures, gate = [], Counter(), asyncio.Semaphore(concurrency)
    server_cpu, client_cpu, began = cpu_seconds([pid]), own_cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(open_one(t, gate, sockets, failures) for t in tokens[20:]))
    opened_s = time.perf_counter() - began
    server_cpu, client_cpu = cpu_seconds([pid]) - server_cpu, own_cpu_seconds() - client_cpu
    await asyncio.sleep(2.0)  # the last sockets' start-up work settles
    rss_after = rss_kib(pid)

    # Stop with every socket open: how long to exit, and how it went.
    stop_began = time.perf_counter()
    server.proc.send_signal(signal.SIGTERM)
    while server.proc.poll() is None and time.perf_counter() - stop_began < 60:  # noqa: ASYNC110
        await asyncio.sleep(0.05)  # the loop keeps running: clients answer the servers' close frames
    stop_s = time.perf_counter() - stop_began if server.proc.poll() is not None else None
    closed_by_server = sum(1 for ws in sockets if ws.close_code is not None)
    for ws in sockets:
        ws.transport.abort()
    count = len(sockets)
    return {
        "path": path,
        "requested": len(tokens) - 20,
        "opened": count,
        "failures": dict(failures),
        "handshakes_per_s": round(count / opened_s, 1) if opened_s else None,
        "open_seconds": round(opened_s, 2),
        "server_cpu_ms_per_handshake": round(server_cpu / count * 1000, 2) if count else None,
        "client_cpu_ms_per_handshake": round(client_cpu / count * 1000, 2) if count else None,
        "rss_before_mib": round(rss_before / 1024, 1),
        "rss_after_mib": round(rss_after / 1024, 1),
        "kib_per_socket": round((rss_after - rss_before) / count, 2) if count else None,
        "stop_seconds": round(stop_s, 2) if stop_s is not None else None,
        "exit_code": server.proc.poll(),
        "closed_by_server": closed_by_server,
    }


def log_problems(text: str) -> dict:
    lines = text.splitlines()
    return {
        "took_too_long": sum(
            1 for x in lines if "took too long" in x or "timeout graceful shutdown exceeded" in x.lower()
        ),
        "warnings": sum(
            1
            for x in lines
            if x.startswith(("WARNING:", "ERROR:", "CRITICAL:"))
            or any(f'"level": "{lvl}"' in x for lvl in ("WARNING", "ERROR", "CRITICAL"))
        ),
        "tracebacks": text.count("Traceback"),
    }


def measure_idle(sizes: Sizes, env: dict, run_dir: Path, port: int, path: str) -> dict:
    from queue_fill import drop_users, make_users

    players = make_users("pbidle", sizes.idle_sockets + 20)
    log_path = run_dir / "server-idle.log"
    server = Server(port, env, log_path, workers=None, nofile=65536)
    try:
        server.start()
        result = run_async(idle_run(server, [t for _, t in players], path, sizes.idle_concurrency))
    finally:
        server.stop()
        retry(lambda: drop_users("pbidle"))
    result.update(log_problems(log_path.read_text(errors="replace")))
    result["log"] = str(log_path)
    return result


# --- main ---------------------------------------------------------------------------------


def raise_open_files(want: int = 65536) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for limits in ((want, max(want, hard)), (min(want, hard), hard)):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, limits)
            return limits[0]
        except (ValueError, OSError):
            continue
    return soft


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def migrate(env: dict) -> bool:
    """``manage.py migrate`` on the bench's database; its output printed when it fails."""
    done = subprocess.run(
        [str(PYTHON), "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        print(done.stdout[-2000:], done.stderr[-4000:], sep="\n")
    return done.returncode == 0


def prepare_platform(env: dict) -> bool:
    """This process on the servers' database, Redis and key (``env``), the database made if missing and
    migrated, Django set up: for a bench that makes its users and games itself. False when migrate failed."""
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG")})
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    ensure_database(env["DATABASE_URL"])
    if not migrate(env):
        return False
    from queue_fill import django_setup

    django_setup()
    return True


def server_environment(args) -> dict:
    """The servers' environment: the bench's database, Redis and key, DEBUG off; `--log-level` where a bench has it."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        SECRET_KEY=args.secret_key,
        DEBUG="0",
        RECONNECT_GRACE_SECONDS="600",  # games made in a burst are not abandoned while they wait
        DJANGO_SETTINGS_MODULE="gameplatform.settings",
    )
    if getattr(args, "log_level", ""):
        env["LOG_LEVEL"] = args.log_level
    return env


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of about a minute")
    parser.add_argument("--only", default="", help=f"comma list of: {','.join(MEASUREMENTS)}")
    parser.add_argument("--plot", default=None, help="PNG path (default: in the run's log folder; '' for none)")
    parser.add_argument("--json", default="", help="write every figure to this JSON file")
    parser.add_argument("--port", type=int, default=8765, help="the platform's port; idle uses +1, scale +2")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--secret-key", default="platform-bench-secret-key-of-32-bytes-or-more")
    parser.add_argument("--log-level", default="", help="LOG_LEVEL for the servers (default: the environment's)")
    parser.add_argument("--idle-path", default="/ws/friends/status/", choices=sorted(IDLE_FIRST_FRAME))
    parser.add_argument("--idle-sockets", type=int, default=0, help="override the idle socket count")
    parser.add_argument(
        "--move-games", type=int, default=0, help="override the number of games moving at once (one move / 2 s each)"
    )
    args = parser.parse_args()
    args.names = [n for n in args.only.split(",") if n] or list(MEASUREMENTS)
    unknown = set(args.names) - set(MEASUREMENTS)
    if unknown:
        parser.error(f"unknown measurement(s) {', '.join(sorted(unknown))}; choose from {', '.join(MEASUREMENTS)}")
    for host in (args.database_url, args.redis_url):
        if "127.0.0.1" not in host and "localhost" not in host:
            parser.error(f"{host}: this bench only talks to 127.0.0.1")
    return args


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, terminated)
    sizes = QUICK if args.quick else Sizes()
    if args.idle_sockets:
        sizes = replace(sizes, idle_sockets=args.idle_sockets)
    if args.move_games:
        sizes = replace(sizes, move_games=args.move_games)
    nofile = raise_open_files()
    env = server_environment(args)
    # This process makes the bench users, lobbies and games directly, on the servers' database.
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG")})
    os.environ.update(RECONNECT_GRACE_SECONDS="600", LOG_LEVEL="WARNING")
    run_dir = Path(tempfile.mkdtemp(prefix="gp-platform-bench-"))
    print(f"gameplatform bench ({'quick' if args.quick else 'full'}): {', '.join(args.names)}")
    print(f"database {args.database_url}, redis {args.redis_url}, logs in {run_dir}, open files {nofile}")

    ensure_database(args.database_url)
    if not migrate(env):
        return 1
    from queue_fill import django_setup

    django_setup()

    results: dict = {}
    platform = None
    started = time.perf_counter()
    try:
        for name in [n for n in MEASUREMENTS if n in args.names]:
            if name != "idle" and platform is None:
                try:
                    platform = Server(args.port, env, run_dir / "server-platform.log", workers=2).start()
                except RuntimeError as exc:
                    results[name] = {"error": f"the platform did not start: {exc}"}
                    print(results[name]["error"])
                    continue
                print(f"platform up on {platform.base}: worker pids {platform.pids()}")
            if name == "idle" and platform is not None:
                stop_s = platform.stop()  # the idle process gets the machine to itself
                print(f"platform stopped in {stop_s:.1f} s" if stop_s is not None else "platform killed")
                platform = None
            print(f"-- {name} ...", flush=True)
            t0 = time.perf_counter()
            try:
                if name == "rest":
                    results[name] = measure_rest(platform, sizes)
                elif name == "logins":
                    results[name] = measure_logins(platform, sizes)
                elif name == "queue":
                    results[name] = measure_queue(platform, sizes)
                elif name == "lobby":
                    results[name] = measure_lobby(platform, sizes)
                elif name == "moves":
                    results[name] = measure_moves(platform, sizes)
                elif name == "scale":
                    results[name] = measure_scale(platform, sizes, env, run_dir, args.port + 2)
                elif name == "idle":
                    results[name] = measure_idle(sizes, env, run_dir, args.port + 1, args.idle_path)
            except Exception as exc:  # noqa: BLE001 - one failed measurement does not stop the others
                traceback.print_exc()
                results[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            print(f"   {name} took {time.perf_counter() - t0:.1f} s: {json.dumps(results[name], default=str)}")
    finally:
        if platform is not None:
            stop_s = platform.stop()
            print(f"platform stopped in {stop_s:.1f} s" if stop_s is not None else "platform killed")

    rows = table_rows(results)
    print_table(rows)
    print(f"total {time.perf_counter() - started:.0f} s; server logs in {run_dir}")
    if args.json:
        payload = {"quick": args.quick, "sizes": asdict(sizes), "results": results, "table": rows}
        Path(args.json).write_text(json.dumps(payload, indent=2, default=str))
        print(f"figures written to {args.json}")
    if args.plot is None:
        args.plot = str(run_dir / "bench-platform.png")
    if args.plot:
        write_plot(rows, args.plot)
    return 0


if __name__ == "__main__":
    exit_with(main)
