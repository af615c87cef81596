"""The WebSocket protocol's own cost, without the platform: uvicorn's websockets-sansio against ours.

    .venv/bin/python bench/prepared_frames.py                    # 500 sockets, 20 broadcasts, 3 rounds
    .venv/bin/python bench/prepared_frames.py --sockets 1000 --rounds 5

For each protocol in turn (and again, ``--rounds`` times, alternating, since a shared machine drifts):
one uvicorn process (uvloop, httptools, the Makefile's WebSocket flags) on the first core serving a
tiny ASGI app of this file (no Django, no Redis), this script's clients on the second. It opens
``--sockets`` idle sockets, ``--concurrency`` at a time: handshakes per second, server CPU ms per
handshake, server RSS KiB per socket. Then the app broadcasts ``--broadcasts`` frames of ``--size``
bytes to every socket, timed inside the server: through ASGI ``websocket.send`` (what the kit does
today) and, under ours, through ``preparedws.prepared_frames`` (one ``prepare``, a ``sink.write``
per socket). The clients read every frame. Traffic to 127.0.0.1 only.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTOCOLS = {"websockets-sansio": "websockets-sansio", "ours": "preparedws:PreparedFramesProtocol"}
PREPARED = "preparedws.prepared_frames"  # preparedws.PREPARED_FRAMES (this script runs without the package)

# --- the server's side: a tiny app ------------------------------------------------------------------

sockets: list = []  # (send, sink or None) of every idle socket


async def app(scope, receive, send) -> None:
    if scope["type"] != "websocket":
        return
    await receive()
    await send({"type": "websocket.accept"})
    if scope["path"] == "/control":
        await control(receive, send)
        return
    prepared = scope["extensions"].get(PREPARED)
    sockets.append((send, prepared["sink"] if prepared else None, prepared["prepare"] if prepared else None))
    while (await receive())["type"] != "websocket.disconnect":
        pass


async def control(receive, send) -> None:
    """``{"via": "asgi"|"sink", "count": n, "size": b}``: broadcast, answer the server's seconds per frame."""
    while (message := await receive())["type"] == "websocket.receive":
        order = json.loads(message["text"])
        payload = "x" * order["size"]
        started = time.perf_counter()
        for _ in range(order["count"]):
            if order["via"] == "sink":
                frame = sockets[0][2](payload)
                for _, sink, _ in sockets:
                    sink.write(frame)
            else:
                for socket_send, _, _ in sockets:
                    await socket_send({"type": "websocket.send", "text": payload})
            await asyncio.sleep(0)
        elapsed = time.perf_counter() - started
        await send({"type": "websocket.send", "text": json.dumps(elapsed / order["count"] / len(sockets))})


# --- the bench's side -------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def start_on_first_core(cmd: list[str]) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=ROOT, preexec_fn=lambda: os.sched_setaffinity(0, {0}))


async def measure(protocol: str, args: argparse.Namespace) -> dict:
    from websockets.asyncio.client import connect

    port = args.port
    cmd = [sys.executable, "-m", "uvicorn", "--no-access-log", "--log-level", "warning", "--loop", "uvloop"]
    cmd += ["--http", "httptools", "--ws", PROTOCOLS[protocol], "--ws-per-message-deflate", "false"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--app-dir", str(ROOT / "bench"), "prepared_frames:app"]
    server = start_on_first_core(cmd)
    url = f"ws://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                control = await connect(url + "/control", compression=None, ping_interval=None, max_size=None)
                break
            except OSError:
                await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)
        cpu0, rss0, started = cpu_seconds(server.pid), rss_kib(server.pid), time.perf_counter()
        limit = asyncio.Semaphore(args.concurrency)

        async def open_one():
            async with limit:
                return await connect(url + "/idle", compression=None, ping_interval=None, max_size=None)

        clients = await asyncio.gather(*(open_one() for _ in range(args.sockets)))
        elapsed, cpu = time.perf_counter() - started, cpu_seconds(server.pid) - cpu0
        await asyncio.sleep(0.5)
        figures = {
            "protocol": protocol,
            "handshakes_per_s": round(args.sockets / elapsed),
            "server_cpu_ms_per_handshake": round(1000 * cpu / args.sockets, 3),
            "server_kib_per_socket": round((rss_kib(server.pid) - rss0) / args.sockets, 1),
        }
        readers = [asyncio.ensure_future(read(ws)) for ws in clients]
        for via in ("asgi", "sink") if protocol == "ours" else ("asgi",):
            await control.send(json.dumps({"via": via, "count": args.broadcasts, "size": args.size}))
            per_frame = json.loads(await control.recv())
            figures[f"server_us_per_frame_{via}"] = round(per_frame * 1e6, 2)
        for ws in clients:
            ws.transport.abort()
        for reader in readers:
            reader.cancel()
        await control.close()
        return figures
    finally:
        server.terminate()
        server.wait(10)


async def read(ws) -> None:
    async for _ in ws:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--broadcasts", type=int, default=20)
    parser.add_argument("--size", type=int, default=200, help="bytes of each broadcast frame's text")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=8798)
    args = parser.parse_args()
    os.sched_setaffinity(0, {1 % (os.cpu_count() or 1)})
    results = []
    for _ in range(args.rounds):
        for protocol in PROTOCOLS:
            results.append(asyncio.run(measure(protocol, args)))
            print(json.dumps(results[-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
