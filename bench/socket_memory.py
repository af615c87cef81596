"""Where an idle socket's memory goes: the server's objects, the frameworks', the platform's.

    .venv/bin/python bench/socket_memory.py                     # 2,000 sockets
    .venv/bin/python bench/socket_memory.py --sockets 500 --top 30 --json out.json
    .venv/bin/python bench/socket_memory.py --server uvicorn            # uvicorn's websockets-sansio

One uvicorn process with ``make serve``'s flags (``bench/asgi_servers.py``'s ``uvicorn-prepared``, from the
same bench venv ``bench/.asgi-venv``), started under Python's ``tracemalloc``
(``bench/traced_server.py``), over a PostgreSQL database and a private Redis of the bench's own.
50 sockets on ``/ws/friends/status/`` warm it up (pools, caches, first-use imports), then a
snapshot; ``--sockets`` more, each waiting for its ``presence_snapshot``, then another. The
difference, per socket, is what an open idle socket holds, by who made each object: the code of the
innermost frame outside the standard library when it was allocated (an ``asyncio.Queue`` made by
uvicorn counts as uvicorn's; "the event loop" is what uvloop's C code made, tasks and handles).

Traced bytes are Python's allocations only; ``bench/asgi_servers.py`` measures the resident
memory without tracing (the two agreed within 10 % here). Tracing slows the server several times:
this bench measures memory, not speed. Traffic to 127.0.0.1 only; its users are removed at the end.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sysconfig  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections import Counter  # noqa: E402

WARMUP = 50
STDLIB = sysconfig.get_paths()["stdlib"]
LOOP_FRAMES = ("asyncio/runners.py", "uvicorn/_compat.py", "uvicorn/server.py")
# Who made an object: the first of these in the allocating frame's path, from the innermost frame out.
OWNERS = (
    ("our protocol", "/preparedws/"),  # --server uvicorn-prepared: the server's part too
    ("uvicorn", "/uvicorn/"),
    ("websockets", "/websockets/"),
    ("Channels", "/channels/"),
    ("Channels", "/channels_redis/"),
    ("Django", "/django/"),
    ("psycopg", "/psycopg"),
    ("redis-py", "/redis/"),
)
SERVER = ("our protocol", "uvicorn", "websockets", "the event loop")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=2000, help="idle sockets opened after the warm-up")
    parser.add_argument("--top", type=int, default=15, help="lines of the biggest allocation sites")
    parser.add_argument("--json", default="", help="write the figures to this JSON file")
    parser.add_argument(
        "--server",
        default="uvicorn-prepared",
        help="which of bench/asgi_servers.py's uvicorn lines to trace: uvicorn-prepared (make serve's) or uvicorn"
        " (websockets-sansio)",
    )
    parser.add_argument("--port", type=int, default=8797)
    parser.add_argument("--redis-port", type=int, default=6397, help="the private Redis")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/gp_asgi_bench")
    parser.add_argument("--secret-key", default="platform-bench-secret-key-of-32-bytes-or-more")
    return parser.parse_args(argv)


def owner(traceback: tracemalloc.Traceback) -> str:
    """Who made the object: the innermost frame that is not the standard library's."""
    frames = list(reversed(traceback))  # innermost first
    if any(frames[0].filename.endswith(f) for f in LOOP_FRAMES):
        return "the event loop"  # made in C under the loop's run: tasks, handles
    for frame in frames:
        if frame.filename.startswith(STDLIB) and "site-packages" not in frame.filename:
            continue
        for name, fragment in OWNERS:
            if fragment in frame.filename:
                return name
        if "site-packages" in frame.filename:
            return "other libraries"
        return "the platform"
    return "the standard library"


def site(frame: tracemalloc.Frame) -> str:
    name = frame.filename
    for root in ("site-packages/", f"{HERE.parent}/", f"{STDLIB}/"):
        name = name.split(root)[-1]
    return f"{name}:{frame.lineno}"


def wait_for(path: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"no snapshot at {path}")
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import asgi_servers
    from figures import HOST, fresh_users, prepare_platform, raise_open_files, retry, run_async
    from queue_fill import drop_users
    from side_by_side import PrivateRedis

    problem = asgi_servers.ensure_venv()
    if problem:
        print(f"socket_memory: the bench's venv: {problem}", file=sys.stderr)
        return 2
    # SIGTERM (make, timeout) unwinds like Ctrl-C: the traced server, the bench's users and the
    # private Redis are all cleaned up on the way out.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    raise_open_files()
    run_dir = Path(tempfile.mkdtemp(prefix="gp-socket-memory-"))
    prefix = run_dir / "snapshot"
    uvicorn = asgi_servers.SPEC_BY_NAME[args.server]
    assert uvicorn.bind == "uvicorn", f"--server {args.server}: only uvicorn's lines run under the tracer"
    spec = asgi_servers.Spec(
        "traced uvicorn", ("python", str(HERE / "traced_server.py"), str(prefix), *uvicorn.argv[1:]), "uvicorn", ()
    )
    with PrivateRedis(args.redis_port) as redis:
        server_args = argparse.Namespace(database_url=args.database_url, secret_key=args.secret_key)
        env = asgi_servers.server_environment(server_args, redis)
        if not prepare_platform(env):
            return 1
        tokens = [token for _, token in fresh_users(asgi_servers.PREFIX, WARMUP + args.sockets)]
        server = asgi_servers.make_server(spec, args.port, env, run_dir / "server.log")
        try:
            server.start(timeout=120)
            pid = next(p for p in server.pids() if "traced_server" in Path(f"/proc/{p}/cmdline").read_text())
            url = f"ws://{HOST}:{args.port}{asgi_servers.PATH}"

            async def open_and_snapshot() -> tuple[int, Counter]:
                warm, _ = await asgi_servers.open_idle(url, tokens[:WARMUP], WARMUP)
                await asyncio.sleep(2)
                os.kill(pid, signal.SIGUSR1)
                await asyncio.to_thread(wait_for, Path(f"{prefix}-0.done"))
                sockets, failures = await asgi_servers.open_idle(url, tokens[WARMUP:], 100)
                await asyncio.sleep(3)  # the last sockets' presence and first frames settle
                os.kill(pid, signal.SIGUSR1)
                await asyncio.to_thread(wait_for, Path(f"{prefix}-1.done"))
                for ws in warm + sockets:
                    ws.transport.abort()
                return len(sockets), failures

            opened, failures = run_async(open_and_snapshot())
        finally:
            server.stop(timeout=60)
            retry(lambda: drop_users(asgi_servers.PREFIX))
    if not opened:
        print(f"socket_memory: no socket opened: {dict(failures)}", file=sys.stderr)
        return 1
    before = tracemalloc.Snapshot.load(f"{prefix}-0")
    after = tracemalloc.Snapshot.load(f"{prefix}-1")
    diffs = after.compare_to(before, "traceback")
    by_owner: Counter = Counter()
    for diff in diffs:
        by_owner[owner(diff.traceback)] += diff.size_diff
    total = sum(by_owner.values())
    server_bytes = sum(by_owner[name] for name in SERVER)
    print(f"{opened} idle sockets on {asgi_servers.PATH} (failures: {dict(failures) or 'none'})")
    per_socket, server_part = total / opened / 1024, server_bytes / opened / 1024
    print(f"traced per socket: {per_socket:.1f} KiB, of which the server {server_part:.1f} KiB")
    print()
    print(f"{'who made it':<22} | bytes per socket | share")
    print(f"{'-' * 22}-+------------------+------")
    for name, size in by_owner.most_common():
        print(f"{name:<22} | {size / opened:16,.0f} | {100 * size / total:4.0f} %")
    print()
    print(f"The {args.top} biggest allocation sites (innermost frame), bytes and objects per socket:")
    by_line = after.compare_to(before, "lineno")[: args.top]
    for diff in by_line:
        frame = diff.traceback[0]
        print(f"  {diff.size_diff / opened:7,.0f} B {diff.count_diff / opened:5.1f}  {site(frame)}")
    if args.json:
        payload = {
            "sockets": opened,
            "kib_per_socket": total / opened / 1024,
            "server_kib_per_socket": server_bytes / opened / 1024,
            "bytes_per_socket_by_owner": {name: size / opened for name, size in by_owner.items()},
        }
        Path(args.json).write_text(json.dumps(payload, indent=2))
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
