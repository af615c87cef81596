"""One arena game watched by many spectators on one server process: what each delivery costs.

    .venv/bin/python bench/spectators.py                      # 1,000 spectators, 20 s windows
    .venv/bin/python bench/spectators.py --spectators 200 --seconds 10 --json spectators.json

One uvicorn process (the Makefile's flags) over PostgreSQL and Redis runs one arena game (20 Hz)
whose first player changes direction every second, so every tick changes the view. For
``--seconds`` it is measured with its two players only, then with ``--spectators`` sockets on
``/ws/game/{id}/?watch=1`` as well: the server's CPU in each window (from /proc), the frames the
spectators got, and each patch's latency from its tick to the second player and to every
spectator. CPU per spectator delivery is the second window's CPU less the first's, over the
spectators' frames.

A tick's time is its place on the room's 20 Hz grid (a room ticks at fixed times of its clock),
anchored at the earliest arrival of any patch in the run: the latencies leave out that fastest
delivery's own (a lower bound, short by well under a millisecond on loopback). The client reads
its sockets with a bare WebSocket reader (handshake, frame headers, the tick of each patch,
pings answered): a full client library reading 20,000 frames a second in one process falls
behind the server, and the figures then measure the client (``client_cores_watched`` says how
busy it was). Client and server share the machine's cores.

The room makes one spectators' view a tick and publishes it once to the game's spectators' group;
the process hands it to each of its spectators' sockets. Traffic to 127.0.0.1 only; its own
database and Redis db (``--database-url``, ``--redis-url``); the bench's users and game are
removed at the end.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import base64  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from figures import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    Server,
    ensure_database,
    fresh_users,
    migrate,
    own_cpu_seconds,
    raise_open_files,
    retry,
    run_async,
    server_environment,
    terminated,
)
from procstat import cpu_seconds, machine_cpu_seconds  # noqa: E402

PREFIX = "bench_spec"
PATCH_HEAD = b'{"type":"state_patch","tick":'
TICK_SECONDS = 1 / 20  # the arena's tick rate


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share / 100 * len(ordered)))]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


class Reader(asyncio.Protocol):
    """A WebSocket client socket that only reads, cheaply: the frames' arrival times, no parsing.

    One Python process reading 1,000 sockets at 20 frames a second each through a full client
    library spends more than a core on the reading alone, and falls behind the server: the lag
    and the frame count then measure the client. This reader does the opening handshake, notes
    the arrival of every ``state_patch`` by its tick, counts frames, answers pings and sends text
    frames (masked, as a client must); nothing else."""

    def __init__(self, path: str, port: int, token: str) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n"
        ).encode()
        self.buffer = b""
        self.upgraded = False
        self.opened = asyncio.get_running_loop().create_future()  # the first game_state
        self.seen: dict[int, float] = {}  # tick -> when its patch arrived
        self.frames = 0
        self.over = False  # a game_over frame came
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed before its game_state: {exc}"))

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buffer += data
        if not self.upgraded:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            if not head.startswith(b"HTTP/1.1 101"):
                self.opened.set_exception(ConnectionError(head.split(b"\r\n", 1)[0].decode()))
                self.transport.close()
                return
            self.upgraded, self.buffer = True, rest
        while len(self.buffer) >= 2:
            opcode, length, start = self.buffer[0] & 0x0F, self.buffer[1] & 0x7F, 2
            if length == 126:
                if len(self.buffer) < 4:
                    return
                length, start = int.from_bytes(self.buffer[2:4], "big"), 4
            elif length == 127:
                if len(self.buffer) < 10:
                    return
                length, start = int.from_bytes(self.buffer[2:10], "big"), 10
            if len(self.buffer) < start + length:
                return
            payload, self.buffer = self.buffer[start : start + length], self.buffer[start + length :]
            if opcode == 0x9:  # ping: pong with its payload
                self.send(payload, opcode=0xA)
            elif opcode == 0x1:
                self.frames += 1
                self.text(payload, now)

    def text(self, payload: bytes, now: float) -> None:
        if payload.startswith(PATCH_HEAD):
            self.seen[int(payload[len(PATCH_HEAD) : payload.index(b",", len(PATCH_HEAD))])] = now
        elif payload.startswith(b'{"type":"game_over"'):
            self.over = True
        elif not self.opened.done() and json.loads(payload).get("type") == "game_state":
            self.opened.set_result(None)

    def send(self, payload: bytes, opcode: int = 0x1) -> None:
        mask = os.urandom(4)
        size = len(payload)
        head = bytes([0x80 | opcode]) + (
            bytes([0x80 | size]) if size < 126 else bytes([0xFE]) + size.to_bytes(2, "big")
        )
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(head + mask + masked)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.send((1000).to_bytes(2, "big"), opcode=0x8)
            self.transport.close()


async def reader_open(port: int, path: str, token: str) -> Reader:
    loop = asyncio.get_running_loop()
    _, reader = await loop.create_connection(lambda: Reader(path, port, token), "127.0.0.1", port)
    async with asyncio.timeout(30):
        await reader.opened
    return reader


def tick_origin(readers: list[Reader]) -> float:
    """When tick 0 was due, as the earliest arrival of any tick's patch less that tick's place on
    the room's 20 Hz grid (the room ticks at fixed times of its own clock; a late tick is late on
    that grid). Latencies measured from it leave out the fastest delivery's own: a lower bound."""
    return min(at - tick * TICK_SECONDS for reader in readers for tick, at in reader.seen.items())


def latencies(reader: Reader, origin: float, since: float, until: float) -> list[float]:
    """Tick -> arrival of each of the reader's patches of the ticks due in [since, until)."""
    return [
        at - (origin + tick * TICK_SECONDS)
        for tick, at in reader.seen.items()
        if since <= origin + tick * TICK_SECONDS < until
    ]


async def window(seconds: float, pids: list[int]) -> tuple[float, float, float, float, float]:
    """(start, end, server cores, this client's cores, the whole machine's busy cores) over ``seconds``."""
    cpu0, own0, busy0, t0 = cpu_seconds(pids), own_cpu_seconds(), machine_cpu_seconds()[0], time.perf_counter()
    await asyncio.sleep(seconds)
    t1 = time.perf_counter()
    cores = [cpu_seconds(pids) - cpu0, own_cpu_seconds() - own0, machine_cpu_seconds()[0] - busy0]
    return t0, t1, *(used / (t1 - t0) for used in cores)


async def run(args, port: int, game_id: int, tokens: list[str], pids: list[int]) -> dict:
    path = f"/ws/game/{game_id}/"
    players = [await reader_open(port, path, token) for token in tokens[:2]]
    for player in players:
        player.send(b'{"type":"player_ready"}')
    stop = asyncio.Event()

    async def steer() -> None:  # every tick changes the view: the first player runs, turning each second
        direction = 1.0
        while not stop.is_set():
            players[0].send(json.dumps({"type": "input", "data": {"dx": direction, "dy": 0.3}}).encode())
            direction = -direction
            await asyncio.sleep(1.0)

    lags: list[float] = []  # this client's own loop: how late a 10 ms sleep wakes (its readers wait as long)

    async def probe() -> None:
        while not stop.is_set():
            began = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - began - 0.01)

    steering, probing = asyncio.create_task(steer()), asyncio.create_task(probe())
    await asyncio.sleep(2.0)  # the game starts, the view moves
    alone = await window(args.seconds, pids)

    watchers: list[Reader] = []
    for start in range(0, args.spectators, 100):
        batch = tokens[2 + start : 2 + min(args.spectators, start + 100)]
        watchers += await asyncio.gather(*(reader_open(port, f"{path}?watch=1", token) for token in batch))
    await asyncio.sleep(2.0)  # settled
    before = sum(w.frames for w in watchers)
    lags.clear()
    watched = await window(args.seconds, pids)
    client_lag = list(lags)
    delivered = sum(w.frames for w in watchers) - before
    stop.set()
    steering.cancel()
    probing.cancel()
    for reader in [*players, *watchers]:
        reader.close()
    origin = tick_origin([players[1], *watchers])
    player_alone = latencies(players[1], origin, *alone[:2])
    player_watched = latencies(players[1], origin, *watched[:2])
    spectators = [lag for w in watchers for lag in latencies(w, origin, *watched[:2])]
    elapsed = watched[1] - watched[0]
    per_second = delivered / elapsed
    ticks = len(player_watched)
    return {
        "spectators": len(watchers),
        "window_s": round(elapsed, 1),
        "game_over_during_run": any(r.over for r in [*players, *watchers]),
        "server_cores_players_only": round(alone[2], 3),
        "server_cores_watched": round(watched[2], 3),
        "client_cores_watched": round(watched[3], 3),
        "client_loop_lag_p99_ms": ms(percentile(client_lag, 99)),  # the client's own share of the latencies
        "machine_busy_cores_players_only": round(alone[4], 2),  # everything running, other work included
        "machine_busy_cores_watched": round(watched[4], 2),
        "player_patches_per_s": round(ticks / elapsed, 1),
        "spectator_frames_per_s": round(per_second),
        "spectator_patches_missing": ticks * len(watchers) - len(spectators),
        "cpu_us_per_spectator_delivery": round((watched[2] - alone[2]) / per_second * 1e6, 1) if per_second else None,
        "tick_to_player_alone_p50_ms": ms(percentile(player_alone, 50)),
        "tick_to_player_alone_p99_ms": ms(percentile(player_alone, 99)),
        "tick_to_player_p50_ms": ms(percentile(player_watched, 50)),
        "tick_to_player_p99_ms": ms(percentile(player_watched, 99)),
        "tick_to_spectator_p50_ms": ms(percentile(spectators, 50)),
        "tick_to_spectator_p99_ms": ms(percentile(spectators, 99)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spectators", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0, help="each window's length")
    parser.add_argument("--json", default="", help="write the figures to this JSON file")
    parser.add_argument("--port", type=int, default=8776)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--secret-key", default="platform-bench-secret-key-of-32-bytes-or-more")
    args = parser.parse_args()
    for url in (args.database_url, args.redis_url):
        if "127.0.0.1" not in url and "localhost" not in url:
            parser.error(f"{url}: this bench only talks to 127.0.0.1")
    signal.signal(signal.SIGTERM, terminated)
    env = server_environment(args)
    env.pop("WEB_CONCURRENCY", None)  # one process
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG")})
    os.environ.update(LOG_LEVEL="WARNING")
    ensure_database(args.database_url)
    if not migrate(env):
        return 1
    from queue_fill import django_setup, drop_users

    django_setup()
    from game.models import Game
    from game.services import game_create

    users = fresh_users(PREFIX, 2 + args.spectators)
    game = game_create(mode="arena", players=[users[0][0].pk, users[1][0].pk])
    run_dir = Path(tempfile.mkdtemp(prefix="gp-spectators-bench-"))
    server = Server(args.port, env, run_dir / "server.log", workers=None, nofile=raise_open_files()).start()
    try:
        figures = run_async(run(args, server.port, game.pk, [token for _, token in users], server.pids()))
    finally:
        server.stop()
        retry(lambda: Game.objects.filter(pk=game.pk).delete())
        retry(lambda: drop_users(PREFIX))
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
