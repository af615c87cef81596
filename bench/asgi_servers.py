"""The ASGI server's own cost per socket and per frame: uvicorn against the alternatives, in one run.

    .venv/bin/python bench/asgi_servers.py                       # 2,000 sockets, 100 at once, 10 s of pings
    .venv/bin/python bench/asgi_servers.py --sockets 300 --servers uvicorn,granian --json out.json --plot out.png

For each server in ``--servers``, one after the other: ONE process of it serving
``gameplatform.asgi:application`` on 127.0.0.1, pinned to the first core, this script (the load
generator) pinned to the second, over a PostgreSQL database of the bench's own (created and migrated
if missing) and a private Redis it starts (``--redis-port``, nothing saved; emptied before each
server so no server meets another's presence) and shuts down at the end.

  uvicorn            the Makefile's UVICORN flags with uvicorn's own ``--ws websockets-sansio`` (uvloop
                     and httptools are what its ``auto`` picks): ``make serve`` until 2026-11-27
  uvicorn-prepared   the Makefile's UVICORN line, ``make serve``: ``--ws
                     preparedws:PreparedFramesProtocol``, our own protocol on
                     websockets' Sans-I/O API (issue #54)
  uvicorn-wsproto    the same with ``--ws wsproto``
  uvicorn-websockets the same with ``--ws websockets`` (the legacy ``websockets`` protocol)
  hypercorn          ``-k uvloop -w 0``: one process (``-w 1`` runs a daemonic worker, where the
                     application's database worker process cannot start)
  granian            ``--interface asgi``, one worker, one runtime thread, uvloop (Rust HTTP and WebSocket)
  daphne             the Makefile's DAPHNE line (``WS_PRIVATE_CLOSE_CODES=1``)

First a smoke test of the application under the server, which must pass before it is measured:
a socket opens with a token and gets its first frame, ``ping`` is answered ``pong`` (with its
``ref``), a socket that offers the ``gameplatform.msgpack`` subprotocol is answered with it (the
``subprotocol`` key of ``websocket.accept``) and gets binary frames, a socket without a token is
closed 4401, a frame over the kit's limit closes 1009 (4009 under daphne's private codes). A server
that fails is reported with the reason and not measured, never silently skipped. Then:

  idle    ``--sockets`` authenticated sockets on ``/ws/friends/status/``, ``--concurrency`` at a
          time, after a warm-up of 50: handshakes per second, server CPU ms per handshake, server
          RSS KiB per socket (RSS with every socket open minus RSS before, over the sockets)
  return  every one of those sockets closed (2 s to settle), then opened again with the same
          token, ``--concurrency`` at a time: the handshakes of users the server saw seconds ago
          (a client reconnecting, a page opening its sockets), per second and in server CPU ms
  frames  with those sockets open, ``--pingers`` of them send ``{"type":"ping"}`` and wait for the
          ``pong`` in a loop for ``--frame-seconds``: server CPU µs per ping/pong (a frame in and one out)
  stop    SIGTERM with every socket open: seconds to exit, the close codes the sockets saw (1012
          is the application's lifespan shutdown; a server without lifespan closes otherwise)

"Server" CPU and RSS are of every process of the server (its session: a supervisor if any, the
process with the sockets, the application's database worker ``DB_PROCESSES``), read from /proc;
the JSON splits them per process. The servers get ``WS_FLOOD_FRAMES=1000000``: the pingers send
faster than the per-socket flood budget allows, on purpose (the budget is still checked per frame).

The servers that are not in the lock (hypercorn, granian, wsproto and their dependencies, pinned
with hashes in ``bench/asgi-servers.txt``) are NEVER dependencies of the platform: this script
installs them with ``requirements/runtime.txt`` (``--no-deps --require-hashes``) into a venv of the
bench's own, ``bench/.asgi-venv`` (gitignored; again when either file changes), and starts every
server from there, uvicorn and daphne too, so all run the same packages. Traffic to 127.0.0.1
only; the bench's users are removed at the end.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

ROOT = HERE.parent
VENV = HERE / ".asgi-venv"
VENV_BIN = VENV / "bin"
LOCK = ROOT / "requirements" / "runtime.txt"
EXTRA = HERE / "asgi-servers.txt"
PREFIX = "bench_asgi"
SERVER_CORE, CLIENT_CORE = 0, 1
PATH = "/ws/friends/status/"
FIRST_FRAME = "presence_snapshot"
WARMUP_SOCKETS = 50
MSGPACK = "gameplatform.msgpack"
MIB16 = "16777216"


@dataclass(frozen=True)
class Spec:
    """One ASGI server: its command (from the bench's venv), the modules it needs, extra environment."""

    name: str
    argv: tuple[str, ...]  # before the host, port and application
    bind: str  # how it takes the address: "uvicorn", "hypercorn", "granian" or "daphne"
    modules: tuple[str, ...]
    env: dict = field(default_factory=dict)
    too_large_close: int = 1009  # the close code a frame over WS_MAX_FRAME_BYTES should get

    def command(self, host: str, port: int, app: str) -> list[str]:
        exe = [str(VENV_BIN / self.argv[0]), *self.argv[1:]]
        if self.bind == "hypercorn":
            return [*exe, "--bind", f"{host}:{port}", app]
        if self.bind == "daphne":
            return [*exe, "-b", host, "-p", str(port), app]
        return [*exe, "--host", host, "--port", str(port), app]


UVICORN = (
    "uvicorn --no-access-log --ws-per-message-deflate false --ws-max-size 16777216 --timeout-graceful-shutdown 10"
).split()
SPECS = [
    Spec(
        "uvicorn", (*UVICORN, "--ws", "websockets-sansio"), "uvicorn", ("uvicorn", "uvloop", "httptools", "websockets")
    ),
    Spec(
        "uvicorn-prepared",
        (*UVICORN, "--ws", "preparedws:PreparedFramesProtocol"),
        "uvicorn",
        ("uvicorn", "uvloop", "httptools", "websockets"),
    ),
    Spec("uvicorn-wsproto", (*UVICORN, "--ws", "wsproto"), "uvicorn", ("uvicorn", "uvloop", "httptools", "wsproto")),
    Spec(
        "uvicorn-websockets",
        (*UVICORN, "--ws", "websockets"),
        "uvicorn",
        ("uvicorn", "uvicorn.protocols.websockets.websockets_impl"),
    ),
    Spec(
        "hypercorn", ("hypercorn", "-k", "uvloop", "-w", "0", "--graceful-timeout", "10"), "hypercorn", ("hypercorn",)
    ),
    Spec(
        "granian",
        (
            "granian",
            "--interface",
            "asgi",
            "--workers",
            "1",
            "--runtime-threads",
            "1",
            "--loop",
            "uvloop",
            "--no-access-log",
            "--workers-kill-timeout",
            "10",
        ),
        "granian",
        ("granian",),
    ),
    Spec(
        "daphne",
        (
            "daphne",
            "--access-log",
            "/dev/null",
            "--websocket-max-message-size",
            MIB16,
            "--websocket-max-frame-size",
            MIB16,
        ),
        "daphne",
        ("daphne",),
        env={"WS_PRIVATE_CLOSE_CODES": "1"},
        too_large_close=4009,
    ),
]
SPEC_BY_NAME = {spec.name: spec for spec in SPECS}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", default=",".join(SPEC_BY_NAME), help="comma list of the servers above")
    parser.add_argument("--sockets", type=int, default=2000, help="idle sockets opened on each server")
    parser.add_argument("--concurrency", type=int, default=100, help="handshakes under way at once")
    parser.add_argument("--pingers", type=int, default=200, help="of the open sockets, how many ping in a loop")
    parser.add_argument("--frame-seconds", type=float, default=10.0, help="how long they ping")
    parser.add_argument("--plot", default=str(HERE / "results" / "asgi_servers.png"), help="PNG path ('' for none)")
    parser.add_argument("--json", default="", help="write every figure to this JSON file")
    parser.add_argument("--port", type=int, default=8796, help="the servers' port")
    parser.add_argument("--redis-port", type=int, default=6395, help="the private Redis")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/gp_asgi_bench")
    parser.add_argument("--secret-key", default="platform-bench-secret-key-of-32-bytes-or-more")
    args = parser.parse_args(argv)
    args.server_list = [s for s in args.servers.split(",") if s]
    unknown = set(args.server_list) - set(SPEC_BY_NAME)
    if unknown or not args.server_list:
        parser.error(f"--servers takes {', '.join(SPEC_BY_NAME)} (not {', '.join(sorted(unknown))})")
    if "127.0.0.1" not in args.database_url and "localhost" not in args.database_url:
        parser.error(f"{args.database_url}: this bench only talks to 127.0.0.1")
    if args.pingers > args.sockets:
        parser.error("--pingers is at most --sockets")
    return args


# --- the bench's venv -------------------------------------------------------------------------


def venv_wanted() -> str:
    return hashlib.sha256(LOCK.read_bytes() + EXTRA.read_bytes()).hexdigest()


def ensure_venv() -> str | None:
    """bench/.asgi-venv with the lock and bench/asgi-servers.txt; None, or why it could not be made."""
    marker = VENV / ".installed"
    if marker.exists() and marker.read_text() == venv_wanted():
        return None
    print(f"==> installing {LOCK.relative_to(ROOT)} and {EXTRA.relative_to(ROOT)} into {VENV.relative_to(ROOT)}")
    if not (VENV_BIN / "python").exists():
        done = subprocess.run([sys.executable, "-m", "venv", str(VENV)], capture_output=True, text=True)
        if done.returncode:
            return f"python -m venv failed: {done.stderr.strip()[-300:]}"
    pip = [str(VENV_BIN / "pip"), "install", "--disable-pip-version-check", "-q", "--no-deps", "--require-hashes"]
    done = subprocess.run([*pip, "-r", str(LOCK), "-r", str(EXTRA)], capture_output=True, text=True)
    if done.returncode:
        return f"pip install failed: {done.stderr.strip()[-500:]}"
    marker.write_text(venv_wanted())
    return None


def missing_modules(spec: Spec) -> list[str]:
    """The modules of ``spec`` the bench's venv cannot import (the server could not be installed)."""
    code = "import importlib, sys\nfor m in sys.argv[1:]:\n    try: importlib.import_module(m)\n"
    code += "    except Exception as e: print(m, type(e).__name__, e)"
    done = subprocess.run(
        [str(VENV_BIN / "python"), "-W", "ignore", "-c", code, *spec.modules], capture_output=True, text=True
    )
    return [line for line in done.stdout.splitlines() if line] or ([done.stderr[-300:]] if done.returncode else [])


# --- processes --------------------------------------------------------------------------------


def on_core(core: int | None) -> None:
    """Pin this process (and so what it starts next) to one core; None: every core again."""
    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)) if core is None else {core})


def session_pids(sid: int) -> list[int]:
    """Every process of the session ``sid``: what a server started with start_new_session runs."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[3]) == sid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return sorted(found)


def socket_count(pid: int) -> int:
    try:
        return sum(1 for fd in Path(f"/proc/{pid}/fd").iterdir() if os.readlink(fd).startswith("socket:"))
    except OSError:
        return 0


def proc_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


class Snapshot:
    """CPU seconds and RSS KiB of each of a server's processes at one moment."""

    def __init__(self, pids: list[int]) -> None:
        from figures import rss_kib
        from procstat import cpu_seconds

        self.at = time.perf_counter()
        self.cpu, self.rss = {}, {}
        for pid in pids:
            try:
                self.cpu[pid], self.rss[pid] = cpu_seconds([pid]), rss_kib(pid)
            except OSError:
                pass  # gone

    def cpu_since(self, before: "Snapshot") -> dict[int, float]:
        return {pid: cpu - before.cpu.get(pid, 0.0) for pid, cpu in self.cpu.items()}

    def total_cpu_since(self, before: "Snapshot") -> float:
        return sum(self.cpu_since(before).values())

    def rss_total(self) -> int:
        return sum(self.rss.values())


def make_server(spec: Spec, port: int, env: dict, log_path: Path):
    from figures import HOST, Server, raise_open_files

    class AsgiServer(Server):
        """figures.Server with this spec's command; its processes are its whole session."""

        def command(self) -> list[str]:
            return spec.command(HOST, self.port, "gameplatform.asgi:application")

        def pids(self) -> list[int]:
            return session_pids(self.proc.pid) if self.proc else []

    return AsgiServer(port, {**env, **spec.env}, log_path, workers=None, nofile=raise_open_files())


# --- the client -------------------------------------------------------------------------------


async def open_socket(url: str, token: str | None, **kwargs):
    from websockets.asyncio.client import connect

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await connect(
        url,
        additional_headers=headers,
        compression=None,
        ping_interval=None,
        max_queue=None,
        close_timeout=2,
        open_timeout=60,
        **kwargs,
    )


async def closed_with(ws, timeout: float = 10.0) -> int | None:
    """Read until the server closes; its close code (None if it did not close in time)."""
    from websockets.exceptions import ConnectionClosed

    try:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    except ConnectionClosed:
        return ws.close_code
    except TimeoutError:
        return None


async def smoke(url: str, tokens: list[str], too_large_close: int) -> list[str]:
    """What the application needs of the server, each check in turn: the failures, [] when it passes."""
    import msgpack
    from figures import next_frame

    failures = []
    ws = await open_socket(url, tokens[0])
    try:
        await next_frame(ws, FIRST_FRAME, timeout=10)
        await ws.send(json.dumps({"type": "ping", "ref": "smoke"}))
        pong = await next_frame(ws, "pong", timeout=10)
        if pong.get("ref") != "smoke":
            failures.append(f"pong without its ref: {pong}")
        await ws.send("x" * (70 * 1024))  # over WS_MAX_FRAME_BYTES (64 KiB)
        code = await closed_with(ws)
        if code != too_large_close:
            failures.append(f"a frame over the limit closed {code}, not {too_large_close}")
    finally:
        await ws.close()
    ws = await open_socket(url, tokens[1], subprotocols=[MSGPACK])
    try:
        if ws.subprotocol != MSGPACK:
            failures.append(f"the msgpack subprotocol was not named in the handshake (got {ws.subprotocol!r})")
        first = await asyncio.wait_for(ws.recv(), 10)
        if not isinstance(first, bytes) or msgpack.unpackb(first).get("type") != FIRST_FRAME:
            failures.append(f"the msgpack socket's first frame is not binary {FIRST_FRAME}: {first[:80]!r}")
    finally:
        await ws.close()
    ws = await open_socket(url, None)
    try:
        code = await closed_with(ws)
        if code != 4401:
            failures.append(f"a socket without a token closed {code}, not 4401")
    finally:
        await ws.close()
    return failures


async def open_idle(url: str, tokens: list[str], concurrency: int) -> tuple[list, Counter]:
    from figures import next_frame

    sockets, failures, gate = [], Counter(), asyncio.Semaphore(concurrency)

    async def open_one(token: str) -> None:
        async with gate:
            try:
                ws = await open_socket(url, token)
            except Exception as exc:  # noqa: BLE001 - counted
                failures[f"open: {type(exc).__name__}"] += 1
                return
            try:
                await next_frame(ws, FIRST_FRAME, timeout=60)
                sockets.append(ws)
            except Exception as exc:  # noqa: BLE001 - counted
                failures[f"first frame: {type(exc).__name__}"] += 1
                ws.transport.abort()

    await asyncio.gather(*(open_one(t) for t in tokens))
    return sockets, failures


async def open_returning(server, url: str, sockets: list, concurrency: int) -> tuple[list, Counter, dict]:
    """``sockets`` closed, then opened again with the same tokens (their users come back): the new
    sockets, the failures, and the figures of the opening (from the closes settled to the last open)."""
    from figures import close_all, own_cpu_seconds

    tokens = [ws.request.headers["Authorization"].removeprefix("Bearer ") for ws in sockets]
    await close_all(sockets)
    await asyncio.sleep(2.0)  # the closes settle (presence, last seen) before the clock starts
    before, client_cpu = Snapshot(server.pids()), own_cpu_seconds()
    reopened, failures = await open_idle(url, tokens, concurrency)
    after, client_cpu = Snapshot(server.pids()), own_cpu_seconds() - client_cpu
    count = len(reopened)
    return (
        reopened,
        failures,
        {
            "returned": count,
            "returning_handshakes_per_s": round(count / (after.at - before.at), 1) if count else None,
            "returning_cpu_ms_per_handshake": round(after.total_cpu_since(before) / count * 1000, 2) if count else None,
            "returning_client_cpu_ms_per_handshake": round(client_cpu / count * 1000, 2) if count else None,
        },
    )


async def ping_loop(sockets: list, seconds: float) -> tuple[int, Counter, list[float]]:
    """Each socket: ping, wait for its pong, again, until ``seconds`` are over. Round trips, failures, latencies."""
    from figures import next_frame

    done, failures, latencies = 0, Counter(), []
    stop_at = time.perf_counter() + seconds

    async def pinger(ws, n: int) -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            sent = time.perf_counter()
            try:
                await ws.send(f'{{"type":"ping","ref":{n}}}')
                await next_frame(ws, "pong", timeout=10)
            except Exception as exc:  # noqa: BLE001 - counted
                failures[f"ping: {type(exc).__name__}"] += 1
                return
            done += 1
            if len(latencies) < 200_000:
                latencies.append(time.perf_counter() - sent)

    await asyncio.gather(*(pinger(ws, n) for n, ws in enumerate(sockets)))
    return done, failures, latencies


def percentile_ms(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))] * 1000, 2)


async def measure(server, tokens: list[str], args) -> dict:
    from figures import HOST, close_all, own_cpu_seconds

    url = f"ws://{HOST}:{server.port}{PATH}"
    warm, _ = await open_idle(url, tokens[:WARMUP_SOCKETS], args.concurrency)
    await close_all(warm)
    await asyncio.sleep(1.5)
    before, client_cpu = Snapshot(server.pids()), own_cpu_seconds()
    sockets, failures = await open_idle(url, tokens[WARMUP_SOCKETS:], args.concurrency)
    opened = Snapshot(server.pids())
    client_cpu = own_cpu_seconds() - client_cpu
    count, open_s = len(sockets), opened.at - before.at
    await asyncio.sleep(2.0)  # the last sockets' start-up work settles
    settled = Snapshot(server.pids())
    holder = max(settled.cpu, key=socket_count) if settled.cpu else None
    result = {
        "requested": len(tokens) - WARMUP_SOCKETS,
        "opened": count,
        "handshakes_per_s": round(count / open_s, 1) if count else None,
        "cpu_ms_per_handshake": round(opened.total_cpu_since(before) / count * 1000, 2) if count else None,
        "socket_process_cpu_ms_per_handshake": (
            round(opened.cpu_since(before).get(holder, 0.0) / count * 1000, 2) if count else None
        ),
        "client_cpu_ms_per_handshake": round(client_cpu / count * 1000, 2) if count else None,
        "rss_before_mib": round(before.rss_total() / 1024, 1),
        "rss_after_mib": round(settled.rss_total() / 1024, 1),
        "kib_per_socket": round((settled.rss_total() - before.rss_total()) / count, 2) if count else None,
        "processes": {f"{pid} {proc_name(pid)}": round(cpu, 2) for pid, cpu in opened.cpu_since(before).items()},
        "socket_process": f"{holder} {proc_name(holder)}" if holder else None,
    }
    sockets, returning_failures, returning = await open_returning(server, url, sockets, args.concurrency)
    result.update(returning)
    failures.update({f"returning {key}": count for key, count in returning_failures.items()})
    pingers = sockets[: args.pingers]
    before, client_cpu = Snapshot(server.pids()), own_cpu_seconds()
    trips, ping_failures, latencies = await ping_loop(pingers, args.frame_seconds)
    after = Snapshot(server.pids())
    client_cpu = own_cpu_seconds() - client_cpu
    result.update(
        pingers=len(pingers),
        round_trips=trips,
        round_trips_per_s=round(trips / (after.at - before.at), 1),
        us_per_ping_pong=round(after.total_cpu_since(before) / trips * 1e6, 1) if trips else None,
        socket_process_us_per_ping_pong=(
            round(after.cpu_since(before).get(holder, 0.0) / trips * 1e6, 1) if trips else None
        ),
        client_us_per_ping_pong=round(client_cpu / trips * 1e6, 1) if trips else None,
        ping_p50_ms=percentile_ms(latencies, 50),
        ping_p99_ms=percentile_ms(latencies, 99),
        server_cores_pinging=round(after.total_cpu_since(before) / (after.at - before.at), 2),
    )
    failures.update(ping_failures)
    result.update(await stop_with_sockets_open(server, sockets))
    result["failures"] = dict(failures)
    result["errors"] = sum(failures.values())
    return result


async def stop_with_sockets_open(server, sockets: list) -> dict:
    """SIGTERM with every socket open: seconds to exit and the close codes the sockets saw."""
    began = time.perf_counter()
    server.proc.send_signal(signal.SIGTERM)
    while server.proc.poll() is None and time.perf_counter() - began < 30:  # noqa: ASYNC110
        await asyncio.sleep(0.05)  # the loop runs on: the clients answer the servers' close frames
    stop_s = time.perf_counter() - began if server.proc.poll() is not None else None
    await asyncio.sleep(0.5)
    codes = Counter(str(ws.close_code) for ws in sockets)
    for ws in sockets:
        ws.transport.abort()
    return {
        "stop_seconds": round(stop_s, 2) if stop_s is not None else None,
        "close_codes_at_stop": dict(codes),
        "stop_close": ",".join(code for code, _ in codes.most_common()),
    }


# --- one server -------------------------------------------------------------------------------


def run_server(spec: Spec, args, env: dict, redis, run_dir: Path, tokens: list[str]) -> dict:
    from figures import HOST, run_async

    missing = missing_modules(spec)
    if missing:
        return {"status": "not installed", "reason": "; ".join(missing)[:300]}
    redis.client.flushall()  # the private Redis: no presence left over from the server before
    log_path = run_dir / f"{spec.name}.log"
    server = make_server(spec, args.port, env, log_path)
    on_core(SERVER_CORE)
    try:
        server.start(timeout=60)
    except RuntimeError as exc:
        return {"status": "failed", "reason": f"did not start: {exc}", "log": log_excerpt(log_path)}
    finally:
        on_core(CLIENT_CORE)
    try:
        url = f"ws://{HOST}:{args.port}{PATH}"
        try:
            failed = run_async(smoke(url, tokens[-2:], spec.too_large_close))
        except Exception as exc:  # noqa: BLE001 - the server fails the smoke test
            failed = [f"{type(exc).__name__}: {exc}"[:300]]
        if failed:
            return {"status": "failed", "reason": "; ".join(failed), "log": log_excerpt(log_path)}
        result = {"status": "measured", **run_async(measure(server, tokens[:-2], args))}
    finally:
        server.stop(timeout=30)
    result["log_problems"] = log_problems(log_path.read_text(errors="replace"))
    result["log"] = str(log_path)
    return result


LOG_MARKERS = ("WARNING", "ERROR", "CRITICAL", "Traceback", "panicked")


def log_problems(text: str) -> int:
    """Lines of a server's log that say something went wrong (a Python level, a traceback, a Rust panic)."""
    return sum(1 for line in text.splitlines() if any(marker in line for marker in LOG_MARKERS))


def log_excerpt(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-1500:]
    except OSError:
        return ""


# --- the report -------------------------------------------------------------------------------

COLUMNS = [
    ("handshakes/s", "handshakes_per_s", "{:,.0f}"),
    ("CPU ms/handshake", "cpu_ms_per_handshake", "{:.2f}"),
    ("returning/s", "returning_handshakes_per_s", "{:,.0f}"),
    ("CPU ms/returning", "returning_cpu_ms_per_handshake", "{:.2f}"),
    ("KiB/socket", "kib_per_socket", "{:.1f}"),
    ("µs CPU/ping-pong", "us_per_ping_pong", "{:,.0f}"),
    ("ping-pongs/s", "round_trips_per_s", "{:,.0f}"),
    ("stop s", "stop_seconds", "{:.1f}"),
    ("closed at stop", "stop_close", "{}"),
    ("errors", "errors", "{:d}"),
    ("log problems", "log_problems", "{:d}"),
]


def table(results: dict[str, dict]) -> str:
    """One row per server: its figures, or why it was not measured."""
    head = ["server", *(name for name, _, _ in COLUMNS)]
    rows = [
        [name, *(cell(r.get(key), form) for _, key, form in COLUMNS)]
        for name, r in results.items()
        if r.get("status") == "measured"
    ]
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in [head, *rows]]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    for name, r in results.items():
        if r.get("status") != "measured":
            lines.append(f"{name.ljust(widths[0])} | {r.get('status')}: {r.get('reason', '')}"[:200])
    return "\n".join(lines)


def cell(value, form: str) -> str:
    return "—" if value is None else form.format(value)


def write_plot(results: dict[str, dict], path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"note: matplotlib is not installed, no plot written ({path}); `pip install matplotlib` for it")
        return
    measured = {name: r for name, r in results.items() if r.get("status") == "measured"}
    if not measured:
        return
    fig, axes = plt.subplots(2, 3, figsize=(15, 7))
    for ax, (title, key, _) in zip(axes.flat, COLUMNS[:6], strict=True):
        names = list(measured)
        ax.bar(names, [measured[n].get(key) or 0 for n in names], color="tab:blue")
        ax.set_title(title)
        ax.tick_params(axis="x", labelrotation=30)
    fig.suptitle("ASGI servers, one process each, the same application (bench/asgi_servers.py)")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"plot written to {path}")


# --- main -------------------------------------------------------------------------------------


def server_environment(args, redis) -> dict:
    """The benches' server environment (``figures.server_environment``) with this bench's own
    Redis, one worker, no flood budget, and the bench's venv first on PATH."""
    from figures import server_environment as bench_environment

    env = bench_environment(
        argparse.Namespace(database_url=args.database_url, redis_url=redis.url, secret_key=args.secret_key)
    )
    env.update(
        WEB_CONCURRENCY="1",  # make serve WORKERS=1
        WS_FLOOD_FRAMES="1000000",  # the pingers go past the per-socket flood budget on purpose
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        VIRTUAL_ENV=str(VENV),
    )
    return env


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for tool in ("taskset", "redis-server"):
        if shutil.which(tool) is None:
            print(f"asgi_servers: {tool} is needed and not on PATH", file=sys.stderr)
            return 2
    if (os.cpu_count() or 1) < 2:
        print("asgi_servers: needs 2 cores (the server on one, the load generator on the other)", file=sys.stderr)
        return 2
    problem = ensure_venv()
    if problem:
        print(f"asgi_servers: the bench's venv: {problem}", file=sys.stderr)
    from figures import fresh_users, prepare_platform, raise_open_files, retry, terminated
    from queue_fill import drop_users
    from side_by_side import PrivateRedis

    signal.signal(signal.SIGTERM, terminated)  # stops the running server, then leaves
    raise_open_files()
    run_dir = Path(tempfile.mkdtemp(prefix="gp-asgi-servers-"))
    print(f"asgi servers bench: {', '.join(args.server_list)}; {args.sockets} sockets; logs in {run_dir}")
    results: dict[str, dict] = {}
    with PrivateRedis(args.redis_port) as redis:
        env = server_environment(args, redis)
        if not prepare_platform(env):
            return 1
        tokens = [token for _, token in fresh_users(PREFIX, WARMUP_SOCKETS + args.sockets + 2)]
        try:
            for name in args.server_list:
                print(f"-- {name} ...", flush=True)
                try:
                    results[name] = run_server(SPEC_BY_NAME[name], args, env, redis, run_dir, tokens)
                except Exception as exc:  # noqa: BLE001 - one server's crash does not stop the others
                    traceback.print_exc()
                    results[name] = {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"[:300]}
                print(f"   {name}: {json.dumps(results[name], default=str)}", flush=True)
        finally:
            on_core(None)
            retry(lambda: drop_users(PREFIX))
    print()
    print(table(results))
    if args.json:
        payload = {"sockets": args.sockets, "concurrency": args.concurrency, "pingers": args.pingers}
        payload.update(frame_seconds=args.frame_seconds, results=results)
        Path(args.json).write_text(json.dumps(payload, indent=2, default=str))
        print(f"figures written to {args.json}")
    if args.plot:
        write_plot(results, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
