"""Live operations under load (issue #50): reading them, a change reaching thousands of sockets, ingestion.

    .venv/bin/python bench/liveops.py                        # full sizes: several minutes
    .venv/bin/python bench/liveops.py --quick                # smoke run: 500 sockets, short runs
    .venv/bin/python bench/liveops.py --only read,push --json liveops.json --plot liveops.png

Two server processes (the Makefile's uvicorn line, one process each: A on ``--port``, B on the
next) over PostgreSQL and Redis, their timers running in them as ``make serve`` runs them. The
bench makes in its own database a staff member (``is_staff``, role ``liveops``) and, through the
staff REST routes on A, 50 flags (plain values, audience rules, percentage rollouts and A/B
experiments) and 5 live events running now (one a weekly recurrence), the kind of configuration
a game in production has. Measurements (``--only`` takes these names):

  read    ``GET /api/liveops/`` for an iOS player every flag and event applies to (50 flags, 5
          running events, the unread inbox count) against
          ``GET /api/me/`` of the same player, in the same run, at the same concurrency, on A
          (the experiments and rollouts the player is in are recorded at each read, an insert
          that ignores what is there):
          keep-alive connections from this process, the two alternated twice so that the
          machine's other load falls on both. Goal: at least 0.8x ``/api/me/``'s requests/s.
  ingest  ``POST /api/liveops/events/`` on A in batches of 50 events, every id distinct, from
          many players (each keeps under its 60 batches a minute), for 20 s: the events stored
          per second. Goal: 5,000 events/s.
  push    ``--sockets`` notification sockets (5,000), half on A, half on B, opened by a child
          process of the bench and kept open; each round the staff ``PUT``s a flag on A (t0) and
          every socket times its ``liveops_changed``. Goal: p99 from t0 at most 2 s. The service
          sends the push ``PUSH_DELAY`` (1.1 s) after the commit by design: every process looks
          at the flags' version at most once a second, and a client told earlier could refetch
          from a process that has not looked yet and read the old value (liveops/services.py).

The database and Redis db are the bench's own (``--database-url`` / ``--redis-url``; the database
is created if missing and migrated, never flushed). Its users, flags and live events are removed
at the end; the staff audit rows stay (the audit table refuses DELETE). Traffic goes to 127.0.0.1
only. The plot needs matplotlib, which the project does not install: without it the plot is
skipped with a note. Exit status 1 when a goal is missed.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# This file shares its name with the app: the app (the project's root) comes first, the other
# benches (figures, queue_fill, ...) after it, not before as the script's own folder would.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() not in (HERE, ROOT)] + [str(HERE)]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict, dataclass, replace  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import httpx  # noqa: E402
from figures import (  # noqa: E402
    HOST,
    Figure,
    close_all,
    ms,
    print_table,
    raise_open_files,
    retry,
    run_async,
    spawned_children,
    table_rows,
    terminated,
    write_plot,
    ws_open,
)
from procstat import cpu_seconds  # noqa: E402

PREFIX = "pbliveops"
NAME = "pbench-"  # the bench's flags and live events: their names start with it
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/gp_liveops_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
MEASUREMENTS = ["read", "ingest", "push"]
FLAGS, EVENTS, BATCH = 50, 5, 50
BATCHES_PER_PLAYER = 50  # under the 60 a minute each player may send
PUSH_FLAG = f"{NAME}push"


@dataclass
class Sizes:
    read_seconds: float = 10.0
    read_connections: int = 32
    ingest_players: int = 120
    ingest_connections: int = 16
    ingest_seconds: float = 20.0
    push_sockets: int = 5000
    push_rounds: int = 5


QUICK = Sizes(read_seconds=2.0, ingest_players=6, ingest_seconds=4.0, push_sockets=500, push_rounds=2)

FIGURES = [
    Figure("read", "me_rps", "GET /api/me/", "req/s"),
    Figure("read", "liveops_rps", "GET /api/liveops/ (50 flags, 5 events)", "req/s"),
    Figure("read", "ratio", "GET /api/liveops/ / GET /api/me/", "x", ">=", 0.8),
    Figure("read", "me_p99_ms", "GET /api/me/ p99", "ms"),
    Figure("read", "liveops_p99_ms", "GET /api/liveops/ p99", "ms"),
    Figure("read", "me_cpu_us", "server CPU per GET /api/me/", "us"),
    Figure("read", "liveops_cpu_us", "server CPU per GET /api/liveops/", "us"),
    Figure("read", "errors", "non-200 answers", "count", "==", 0),
    Figure("ingest", "events_per_s", "events ingested, batches of 50", "/s", ">=", 5000),
    Figure("ingest", "batch_p99_ms", "a batch's answer p99", "ms"),
    Figure("ingest", "cpu_us_per_event", "server CPU per event", "us"),
    Figure("ingest", "errors", "batches not 202 with 50 accepted", "count", "==", 0),
    Figure("push", "p50_ms", "staff PUT -> liveops_changed p50", "ms"),
    Figure("push", "p99_ms", "staff PUT -> liveops_changed p99", "ms", "<=", 2000),
    Figure("push", "max_ms", "staff PUT -> liveops_changed max", "ms"),
    Figure("push", "first_ms", "staff PUT -> first liveops_changed", "ms"),
    Figure("push", "missing", "sockets never told", "count", "==", 0),
    Figure("push", "put_ms", "the staff PUT's own answer, max", "ms"),
]


# --- the world: a staff member, 50 flags, 5 running live events ---------------------------------


def flag_bodies() -> list[dict]:
    """50 flags as a game in production has them: plain values, audiences, rollouts, experiments."""
    bodies = []
    for n in range(FLAGS):
        name, kind = f"{NAME}{n:02d}", n % 10
        if n == 0:
            name = PUSH_FLAG
        if kind < 4:  # plain remote config of every JSON type
            default = [n, f"value {n}", {"speed": n, "enabled": True}, [n, n + 1]][kind]
            bodies.append({"name": name, "defaultValue": default, "rules": []})
        elif kind < 7:  # an audience: a forced value for some players
            condition = [
                {"platform": "ios"},
                {"country": {"$in": ["FR", "BE", "CH"]}},
                {"level": {"$gte": 5}, "is_guest": False},
            ][kind - 4]
            bodies.append({"name": name, "defaultValue": 1, "rules": [{"condition": condition, "force": 2}]})
        elif kind < 9:  # a percentage rollout of a new value to 30 % of iOS players
            rollout = {"variations": ["old", "new"], "weights": [0, 1], "key": name, "hashAttribute": "id"}
            rule = {"condition": {"platform": "ios"}, **rollout, "coverage": 0.3}
            bodies.append({"name": name, "defaultValue": "old", "rules": [rule]})
        else:  # an A/B test every player is in (an exposure recorded at each read)
            rule = {"variations": ["a", "b"], "weights": [0.5, 0.5], "key": name, "hashAttribute": "id", "coverage": 1}
            bodies.append({"name": name, "defaultValue": "a", "rules": [rule]})
    return bodies


def event_bodies(now: datetime) -> list[dict]:
    """5 live events running now for an iOS player, one a weekly recurrence (its boundary, Monday
    12:00 UTC, outside a run: a boundary would push ``liveops_changed`` to every socket)."""

    def iso(moment: datetime) -> str:
        return moment.isoformat().replace("+00:00", "Z")

    bodies = []
    for n in range(EVENTS):
        body = {
            "name": f"{NAME}event-{n}",
            "value": {"banner": f"event {n}", "multiplier": n + 1},
            "starts_at": iso(now - timedelta(hours=1)),
            "ends_at": iso(now + timedelta(days=1)),
            "condition": {"platform": "ios"} if n % 2 else {},
            "join": "explicit" if n == 3 else "auto",
            "overrides": {f"{NAME}{10 + n:02d}": n} if n < 3 else {},
        }
        if n == 4:
            body.update(starts_at=iso(now - timedelta(days=30)), recurrence="0 12 * * 1", duration_seconds=7 * 86400)
        bodies.append(body)
    return bodies


def make_staff() -> str:
    from django.contrib.auth.models import Group
    from queue_fill import make_users

    from accounts.models import User
    from staff.roles import LIVEOPS

    ((staff, token),) = make_users(f"{PREFIX}staff", 1)
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    staff.groups.add(Group.objects.get(name=LIVEOPS))
    return token


def drop_world() -> None:
    """The bench's flags, live events and users (their events, exposures and attributes go with them)."""
    from queue_fill import drop_users

    from liveops.models import Flag
    from liveops.schedule.models import LiveEvent

    Flag.objects.filter(name__startswith=NAME).delete()
    LiveEvent.objects.filter(name__startswith=NAME).delete()
    for prefix in (PREFIX, f"{PREFIX}staff", f"{PREFIX}ingest", f"{PREFIX}crowd"):
        drop_users(prefix)


def configure(base: str, staff_token: str) -> None:
    """The 50 flags and 5 events, made through the staff REST routes."""
    headers = {"Authorization": f"Bearer {staff_token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        for body in flag_bodies():
            answer = http.post("/api/liveops/admin/flags/", json=body)
            if answer.status_code != 201:
                raise RuntimeError(f"flag {body['name']}: {answer.status_code} {answer.text[:300]}")
        for body in event_bodies(datetime.now(UTC)):
            answer = http.post("/api/liveops/admin/live-events/", json=body)
            if answer.status_code != 201:
                raise RuntimeError(f"live event {body['name']}: {answer.status_code} {answer.text[:300]}")


# --- a keep-alive HTTP/1.1 load generator ------------------------------------------------------


async def read_answer(reader) -> tuple[int, bytes]:
    """One HTTP/1.1 answer: its status and body (Content-Length or chunked)."""
    status = int((await reader.readline()).split()[1])
    length, chunked = None, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                return status, body
            body += await reader.readexactly(size)
            await reader.readline()
    return status, await reader.readexactly(length) if length else b""


def request_bytes(method: str, path: str, token: str, body: dict | None = None) -> bytes:
    payload = json.dumps(body).encode() if body is not None else b""
    head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {token}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
    return (head + "\r\n").encode() + payload


async def keep_alive_load(port: int, requests, connections: int, seconds: float | None = None) -> dict:
    """Send ``requests`` (an iterator of ``(request bytes, check)``) over ``connections`` keep-alive
    connections until it is exhausted or ``seconds`` pass; ``check(status, body)`` says whether
    the answer is right. Latencies and errors."""
    latencies, errors = [], 0
    deadline = time.perf_counter() + seconds if seconds else None

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            for request, check in requests:
                if deadline and time.perf_counter() >= deadline:
                    return
                t0 = time.perf_counter()
                writer.write(request)
                status, body = await read_answer(reader)
                latencies.append(time.perf_counter() - t0)
                if not check(status, body):
                    errors += 1
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return {"elapsed": time.perf_counter() - began, "latencies": latencies, "errors": errors}


def server_pids(server) -> list[int]:
    """The server process and its database worker processes (``DB_PROCESSES``): their CPU together."""
    return [server.proc.pid, *spawned_children(server.proc.pid)]


def percentile(values: list[float], pct: float) -> float | None:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))] if ordered else None


# --- read --------------------------------------------------------------------------------------


def forever(request: bytes, check):
    while True:
        yield request, check


def measure_read(server, sizes: Sizes) -> dict:
    from queue_fill import make_users

    from liveops.models import PlayerAttributes

    ((player, token),) = make_users(PREFIX, 1)
    PlayerAttributes.objects.create(user=player, platform="ios", country="FR", app_version="2.1.0")
    answer = httpx.get(f"{server.base}/api/liveops/", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    seen = answer.json()
    flags = [name for name in seen["flags"] if name.startswith(NAME)]
    events = [event for event in seen["live_events"] if event["name"].startswith(NAME)]
    if len(flags) != FLAGS or len(events) != EVENTS:
        raise RuntimeError(f"the player sees {len(flags)} of the bench's flags and {len(events)} of its events")

    def ok(status: int, body: bytes) -> bool:
        return status == 200

    runs = {"me": [], "liveops": []}
    pids = server_pids(server)
    for name in ("me", "liveops", "me", "liveops"):
        request = request_bytes("GET", f"/api/{name}/", token)
        cpu = cpu_seconds(pids)
        run = run_async(keep_alive_load(server.port, forever(request, ok), sizes.read_connections, sizes.read_seconds))
        run["cpu"] = cpu_seconds(pids) - cpu
        runs[name].append(run)
        time.sleep(0.5)
    result = {"connections": sizes.read_connections, "seconds_each": sizes.read_seconds * 2, "errors": 0}
    for name, done in runs.items():
        count = sum(len(r["latencies"]) for r in done)
        result[f"{name}_rps"] = round(count / sum(r["elapsed"] for r in done), 1)
        result[f"{name}_p50_ms"] = ms(percentile([x for r in done for x in r["latencies"]], 50))
        result[f"{name}_p99_ms"] = ms(percentile([x for r in done for x in r["latencies"]], 99))
        result[f"{name}_cpu_us"] = round(sum(r["cpu"] for r in done) / count * 1e6) if count else None
        result["errors"] += sum(r["errors"] for r in done)
    result["ratio"] = round(result["liveops_rps"] / result["me_rps"], 3) if result["me_rps"] else None
    result["liveops_bytes"] = len(answer.content)
    return result


# --- ingest ------------------------------------------------------------------------------------


def measure_ingest(server, sizes: Sizes) -> dict:
    from queue_fill import make_users

    players = make_users(f"{PREFIX}ingest", sizes.ingest_players)
    stamp, run = datetime.now(UTC).isoformat().replace("+00:00", "Z"), f"{time.time_ns():x}"

    def batch(player: int, token: str, k: int) -> bytes:
        events = [
            {
                "id": f"{run}-{player}-{k}-{i}",
                "name": ("level_up", "purchase", "session_start", "match_end")[i % 4],
                "timestamp": stamp,
                "value": float(i),
                "metadata": {"level": k, "mode": "arena"},
            }
            for i in range(BATCH)
        ]
        return request_bytes("POST", "/api/liveops/events/", token, {"events": events})

    def accepted_all(status: int, body: bytes) -> bool:
        return status == 202 and json.loads(body)["accepted"] == BATCH

    # Batch k of every player, then k + 1: each player's batches spread over the run.
    requests = iter(
        [(batch(n, token, k), accepted_all) for k in range(BATCHES_PER_PLAYER) for n, (_, token) in enumerate(players)]
    )
    pids = server_pids(server)
    cpu = cpu_seconds(pids)
    done = run_async(keep_alive_load(server.port, requests, sizes.ingest_connections, sizes.ingest_seconds))
    cpu = cpu_seconds(pids) - cpu
    from liveops.analytics.models import AnalyticsEvent

    stored = AnalyticsEvent.objects.filter(user__in=[user for user, _ in players]).count()
    batches = len(done["latencies"])
    return {
        "players": len(players),
        "batches": batches,
        "events_sent": batches * BATCH,
        "events_stored": stored,
        "seconds": round(done["elapsed"], 2),
        "events_per_s": round(stored / done["elapsed"], 1),
        "batch_p50_ms": ms(percentile(done["latencies"], 50)),
        "batch_p99_ms": ms(percentile(done["latencies"], 99)),
        "cpu_us_per_event": round(cpu / stored * 1e6, 1) if stored else None,
        "errors": done["errors"] + (batches * BATCH - stored),
    }


# --- push: the crowd's sockets, in a child process ------------------------------------------------


def crowd_main(conn, specs: list[tuple[str, str]]) -> None:
    """The child process: open every socket of ``specs`` [(url, token)], then answer the parent's
    ``arm`` (forget what was heard), ``collect`` (when each socket heard ``liveops_changed``
    since the arm: monotonic times, the machine's clock the parent reads too) and ``close``."""
    raise_open_files()
    run_async(crowd_run(conn, specs))


async def crowd_run(conn, specs: list[tuple[str, str]]) -> None:
    heard: dict[int, float] = {}
    everyone = asyncio.Event()
    dropped = [0]
    sockets: list = [None] * len(specs)

    async def open_one(index: int, url: str, token: str) -> None:
        ws = await ws_open(url, token, open_timeout=60)
        while json.loads(await ws.recv())["type"] != "badge":
            pass
        sockets[index] = ws

    async def read(index: int, ws) -> None:
        try:
            async for text in ws:
                if '"liveops_changed"' in text and index not in heard:
                    heard[index] = time.monotonic()
                    if len(heard) == len(specs):
                        everyone.set()
        except Exception:
            pass
        dropped[0] += 1

    errors = []
    for start in range(0, len(specs), 50):
        batch = range(start, min(start + 50, len(specs)))
        done = await asyncio.gather(*(open_one(i, *specs[i]) for i in batch), return_exceptions=True)
        errors += [repr(e) for e in done if isinstance(e, BaseException)]
    opened = [(i, ws) for i, ws in enumerate(sockets) if ws is not None]
    readers = [asyncio.create_task(read(i, ws)) for i, ws in opened]
    conn.send(("ready", len(opened), errors[:5]))
    while True:
        command = await asyncio.to_thread(conn.recv)
        if command == "arm":
            heard.clear()
            everyone.clear()
            conn.send("armed")
        elif command[0] == "collect":
            try:
                await asyncio.wait_for(everyone.wait(), command[1])
            except TimeoutError:
                pass
            conn.send((dict(heard), dropped[0]))
        elif command == "close":
            for task in readers:
                task.cancel()
            await close_all([ws for _, ws in opened])
            conn.send("closed")
            return


class Crowd:
    def __init__(self, specs: list[tuple[str, str]]) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child_conn = context.Pipe()
        self.proc = context.Process(target=crowd_main, args=(child_conn, specs), daemon=True)

    def open(self, timeout: float = 600.0) -> int:
        self.proc.start()
        if not self.conn.poll(timeout):
            raise RuntimeError("the crowd's sockets did not open in time")
        _, opened, errors = self.conn.recv()
        if errors:
            print(f"  crowd: {len(errors)}+ sockets failed to open, e.g. {errors[0]}")
        return opened

    def arm(self) -> None:
        self.conn.send("arm")
        self.conn.recv()

    def collect(self, timeout: float) -> tuple[dict[int, float], int]:
        self.conn.send(("collect", timeout))
        return self.conn.recv()

    def close(self) -> None:
        if self.proc.is_alive():
            try:
                self.conn.send("close")
                self.conn.poll(60) and self.conn.recv()
            except (OSError, EOFError):
                pass
            self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()


def measure_push(servers: list, sizes: Sizes, staff_token: str, timeout: float = 10.0) -> dict:
    from queue_fill import make_users

    users = make_users(f"{PREFIX}crowd", sizes.push_sockets)
    ws_bases = [s.base.replace("http", "ws", 1) for s in servers]
    specs = [(f"{ws_bases[n % 2]}/ws/notifications/", token) for n, (_, token) in enumerate(users)]
    crowd = Crowd(specs)
    try:
        began = time.monotonic()
        opened = crowd.open()
        print(f"   crowd: {opened} of {len(specs)} sockets open in {time.monotonic() - began:.1f} s", flush=True)
        time.sleep(2)
        delays, rounds, missing, put_s = [], [], 0, []
        headers = {"Authorization": f"Bearer {staff_token}"}
        with httpx.Client(base_url=servers[0].base, headers=headers, timeout=30) as http:
            for round_no in range(sizes.push_rounds):
                crowd.arm()
                body = {"defaultValue": round_no + 100, "rules": []}
                t0 = time.monotonic()
                answer = http.put(f"/api/liveops/admin/flags/{PUSH_FLAG}/", json=body)
                put_s.append(time.monotonic() - t0)
                if answer.status_code != 200:
                    raise RuntimeError(f"the staff PUT answered {answer.status_code}: {answer.text[:300]}")
                heard, dropped = crowd.collect(timeout)
                these = sorted(at - t0 for at in heard.values())
                delays += these
                missing += opened - len(heard)
                by_process = {p: [heard[i] - t0 for i in heard if i % 2 == k] for k, p in enumerate("AB")}
                row = {
                    "heard": len(heard),
                    "first_ms": ms(these[0]) if these else None,
                    "p99_ms": ms(percentile(these, 99)),
                    "max_ms": ms(these[-1]) if these else None,
                    "max_ms_by_process": {p: ms(max(v, default=None)) for p, v in by_process.items()},
                    "dropped": dropped,
                }
                rounds.append(row)
                print(f"   round {round_no + 1}: {json.dumps(row)}", flush=True)
                time.sleep(2)
    finally:
        crowd.close()
    return {
        "sockets": opened,
        "rounds": len(rounds),
        "first_ms": min((r["first_ms"] for r in rounds if r["first_ms"] is not None), default=None),
        "p50_ms": ms(percentile(delays, 50)),
        "p99_ms": ms(percentile(delays, 99)),
        "max_ms": ms(max(delays, default=None)),
        "missing": missing + (len(specs) - opened),
        "put_ms": ms(max(put_s, default=None)),
        "detail": rounds,
        "delays_s": delays,
    }


# --- the run -----------------------------------------------------------------------------------


def plot(result: dict, rows: list[dict], path: str) -> None:
    """The goals (bench/figures.py's bars) and, beside them, every socket's delay of the push."""
    write_plot(rows, path)
    delays = result.get("push", {}).get("delays_s")
    if not delays:
        return
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(7, 4))
    ordered = sorted(delays)
    ax.plot(ordered, [(n + 1) / len(ordered) for n in range(len(ordered))])
    ax.axvline(2.0, color="grey", linestyle="--", label="goal")
    ax.set_xlabel("seconds from the staff's PUT to the socket's liveops_changed")
    ax.set_ylabel("share of sockets")
    ax.set_title(f"a flag change reaching {result['push']['sockets']} sockets on two processes")
    ax.legend()
    fig.tight_layout()
    push_path = str(Path(path).with_name(Path(path).stem + "-push.png"))
    fig.savefig(push_path)
    print(f"plot: {push_path}")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: 500 sockets, short runs")
    parser.add_argument("--only", default="", help=f"comma list of: {','.join(MEASUREMENTS)}")
    parser.add_argument("--sockets", type=int, default=0, help="push: the notification sockets (default 5,000)")
    parser.add_argument("--rounds", type=int, default=0, help="push: flag changes timed (default 5)")
    parser.add_argument("--port", type=int, default=8980, help="process A; B on the next; 0: free ports")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--secret-key", default="bench-secret-key-not-for-production-0123456789")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--plot", help="write a plot of the figures here (needs matplotlib)")
    args = parser.parse_args(argv)
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
    sizes = QUICK if args.quick else Sizes()
    sizes = replace(
        sizes, push_sockets=args.sockets or sizes.push_sockets, push_rounds=args.rounds or sizes.push_rounds
    )
    signal.signal(signal.SIGTERM, terminated)
    raise_open_files()

    from figures import prepare_platform, server_environment, server_ports
    from game_starts import MakefileServer

    env = server_environment(args)
    env.update(LOG_LEVEL="WARNING")
    if not prepare_platform(env):
        return 2
    run_dir = Path(tempfile.mkdtemp(prefix="liveops-"))
    print(f"liveops bench ({'quick' if args.quick else 'full'}): {', '.join(args.names)}; load {os.getloadavg()}")
    servers, results = [], {}
    try:
        retry(drop_world)
        staff_token = make_staff()
        for k, port in enumerate(server_ports(args.port, 2)):
            server = MakefileServer("uvicorn", port, env, run_dir / f"server-{'AB'[k]}.log")
            server.nofile = 16384
            servers.append(server.start())
        configure(servers[0].base, staff_token)
        time.sleep(1.5)  # both processes look at the new version
        for name in [n for n in MEASUREMENTS if n in args.names]:
            print(f"-- {name} ... (load {os.getloadavg()[0]:.1f})", flush=True)
            t0 = time.monotonic()
            if name == "read":
                results[name] = measure_read(servers[0], sizes)
            elif name == "ingest":
                results[name] = measure_ingest(servers[0], sizes)
            elif name == "push":
                results[name] = measure_push(servers, sizes, staff_token)
            shown = {k: v for k, v in results[name].items() if k != "delays_s"}
            print(f"   {name} took {time.monotonic() - t0:.1f} s: {json.dumps(shown)}", flush=True)
    finally:
        for server in servers:
            server.stop()
        retry(drop_world)
    rows = table_rows(results, MEASUREMENTS, FIGURES)
    print_table(rows)
    print(f"load average at the end {os.getloadavg()}; sizes {asdict(sizes)}; server logs in {run_dir}")
    if args.json:
        Path(args.json).write_text(json.dumps({"sizes": asdict(sizes), "results": results}, indent=2))
    if args.plot:
        plot(results, rows, args.plot)
    return 1 if any(r.get("met") is False for r in rows) else 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameplatform.settings")
    from figures import exit_with

    exit_with(main)
