"""How many server processes, Redis servers and PostgreSQL cores N concurrent players need.

    .venv/bin/python bench/capacity.py                       # 10k, 100k and 1M players
    .venv/bin/python bench/capacity.py --players 250000 --world-share 0.8 --position-hz 10
    .venv/bin/python bench/capacity.py --help                # every input, its default and its source
    .venv/bin/python bench/figures.py --json out.json        # (make bench) then: the costs it measured
    .venv/bin/python bench/capacity.py --from out.json

A model, not a measurement: it multiplies what one player does per second (the profile below,
an assumption to replace with your game's own) by what each operation costs (the CPU figures the
benches printed, docs/benchmarks.md; each input names its source), and divides by what one
process, one Redis server and one PostgreSQL core can take at a planning load (60 % of a core
for a server process, 50 % for Redis) so that a failed part's load fits on the others (the
failure test, ``make cluster-test``, shows each part's recovery). Everything is printed per
resource so a wrong input is easy to spot. docs/operations/past-one-machine.md explains the results.

The defaults are the latest documented figures. ``--from`` reads the inputs ``make bench`` measures
(``FROM_BENCH``) from the JSON of ``bench/figures.py --json``; the others are not measured by it and
keep their defaults (``NOT_FROM_BENCH`` says where each comes from); an option given on the command
line wins over both.
"""

import argparse
import json
import math
from dataclasses import dataclass, fields
from pathlib import Path


@dataclass
class Inputs:
    # --- the players (assumptions: a session of a lobby-and-match game with a shared world) ---
    sockets_per_player: float = 2.0  # notifications, plus one of lobby / world / game
    session_minutes: float = 30.0  # each socket is opened again this often (handshakes)
    rest_per_minute: float = 2.0  # REST requests per player per minute
    chat_per_minute: float = 1.0  # lobby or world chat messages per player per minute
    chat_audience: float = 20.0  # sockets each chat message reaches (a lobby's members)
    game_share: float = 0.3  # players in a turn-based game at any moment
    move_seconds: float = 5.0  # one move per player every this many seconds
    moves_per_game: float = 7.0  # a tic-tac-toe game lasts 5 to 9 moves
    world_share: float = 0.5  # players in the shared world at any moment
    position_hz: float = 4.0  # position updates each world player sends per second
    area_size: float = 10.0  # characters per area (each update reaches the others)

    # --- CPU per operation, from the benches (docs/benchmarks.md; microseconds of one core) ---
    rest_us: float = 1500.0  # GET /api/me/, in turns: 1.36-1.68 ms server CPU per request (4th machine)
    handshake_us: float = 4600.0  # a socket handshake: 3.7-5.5 ms (2,000 handshakes, 15,000 idle sockets)
    chat_us: float = 1500.0  # a chat message: one statement and a publish, taken as one REST request
    delivery_us: float = 77.0  # a frame written to one socket (lobby fan-out: 76-77 us)
    move_us: float = 5600.0  # a move, game churn included (bench/rooms.py: 0.6-0.8 core for 112-137 moves/s)
    position_delivery_us: float = 60.0  # a position relayed to one socket (bench/world_positions.py: 46-76 us)
    socket_kib: float = 28.7  # memory per open socket (15,000 idle sockets)
    process_mib: float = 120.0  # a server process's own memory before sockets (the cluster's uvicorn RSS)
    db_processes_mib: float = 110.0  # its database worker process (DB_PROCESSES, 1): about 110 MiB RSS
    process_cpu_target: float = 0.6  # a process is planned at this share of its core

    # --- Redis (redis-benchmark on the CI-class 2-core machine: ~95k GET/INCR/EVAL, 112k PUBLISH/s) ---
    redis_ops_per_second: float = 95000.0  # one Redis server, one core
    redis_target: float = 0.5  # planned share of that
    # A published message's copy to each subscribed process, in ops: 10 subscribers added about 65 %
    # to a PUBLISH's Redis CPU (3.8 -> 6.3 us per publish); rounded up.
    pubsub_copy_ops: float = 0.1
    redis_ops_per_rest: float = 1.0  # a rate limit or a cache read (assumption)
    redis_ops_per_chat: float = 2.0  # the chat rate limit (a script) and the message's publish bookkeeping
    redis_ops_per_move: float = 2.0  # the input budget and the room snapshot (grouped writes)
    redis_ops_per_handshake: float = 4.0  # ticket or token cache, presence open, close later, a rate limit
    presence_beat_seconds: float = 20.0  # a process refreshes its sockets' presence (one call per socket)

    # --- PostgreSQL (bench: a move's two statements cost PostgreSQL 3.7 ms on the slower machine) ---
    pg_us_per_statement: float = 1850.0  # an upper figure: a contended 2-core machine, commit included
    statements_per_rest: float = 2.0  # the token's user and the answer
    statements_per_chat: float = 1.0  # INSERT ... WHERE EXISTS (membership)
    statements_per_game: float = 10.0  # seats, start, result, ratings, leaderboard (moves live in the room)
    statements_per_handshake: float = 1.0  # the token's user
    pool_per_process: int = 10  # DB_POOL_MAX_SIZE default (DB_WORKERS + 4), and 2 for its DB_PROCESSES worker
    pg_cpu_target: float = 0.6


# input: (measurement, figure, factor to the input's unit) in bench/figures.py's JSON ("results").
FROM_BENCH = {
    "rest_us": ("rest", "me_server_cpu_us_per_request", 1.0),
    "chat_us": ("rest", "me_server_cpu_us_per_request", 1.0),  # a chat message is taken as one REST request
    "handshake_us": ("idle", "server_cpu_ms_per_handshake", 1000.0),
    "delivery_us": ("lobby", "cpu_us_per_delivery", 1.0),
    "socket_kib": ("idle", "kib_per_socket", 1.0),
    "process_mib": ("idle", "rss_before_mib", 1.0),  # the idle process after its warm-up sockets
}
# The measured inputs make bench does not measure, and where their defaults come from.
NOT_FROM_BENCH = {
    "move_us": "bench/rooms.py moves: the server process's share of a core (read by hand) / moves per second",
    "position_delivery_us": "bench/world_positions.py --pids: server CPU per delivery",
    "redis_ops_per_second": "redis-benchmark -q -t get,incr,eval,publish on the same machine",
    "pubsub_copy_ops": "redis-benchmark PUBLISH with and without 10 subscribers (Redis CPU per publish)",
    "pg_us_per_statement": "PostgreSQL's own CPU over a moves run / its statements (read by hand)",
}


def inputs_from_bench(payload: dict) -> tuple[dict[str, float], list[str]]:
    """The inputs a ``bench/figures.py --json`` file measured, and those it lacked (that measurement
    not run, failed, or from a version of the bench without that figure)."""
    results = payload.get("results", {})
    found, lacked = {}, []
    for name, (measurement, figure, factor) in FROM_BENCH.items():
        value = results.get(measurement, {}).get(figure)
        if isinstance(value, int | float) and value > 0:
            found[name] = round(value * factor, 3)
        else:
            lacked.append(name)
    return found, lacked


@dataclass
class Plan:
    players: int
    server_cores: float
    servers: int
    memory_gib: float
    layer_ops: float
    layer_shards: int
    redis_ops: float
    redis_primaries: int
    statements: float
    pg_cores: float
    pg_connections: int
    client_connections: int
    reconnect_seconds: float


def plan(players: int, i: Inputs) -> Plan:
    sockets = players * i.sockets_per_player
    per_second = {
        "handshakes": sockets / (i.session_minutes * 60),
        "rest": players * i.rest_per_minute / 60,
        "chat": players * i.chat_per_minute / 60,
        "moves": players * i.game_share / i.move_seconds,
        "positions": players * i.world_share * i.position_hz,
    }
    games = per_second["moves"] / i.moves_per_game
    position_deliveries = per_second["positions"] * max(i.area_size - 1, 0)
    cpu_us = (
        per_second["handshakes"] * i.handshake_us
        + per_second["rest"] * i.rest_us
        + per_second["chat"] * (i.chat_us + i.chat_audience * i.delivery_us)
        + per_second["moves"] * i.move_us
        + position_deliveries * i.position_delivery_us
    )
    server_cores = cpu_us / 1e6
    # N processes for the load at the planned share, one more so that any one may die.
    servers = max(2, math.ceil(server_cores / i.process_cpu_target) + 1)
    memory_gib = (servers * (i.process_mib + i.db_processes_mib) + sockets * i.socket_kib / 1024) / 1024

    # The layer: each publish costs Redis one op, plus a copy per process subscribed to its group
    # (a group's members are spread over the processes: up to one process each).
    def fanout(group_size: float) -> float:
        return 1 + i.pubsub_copy_ops * min(servers, group_size)

    layer_ops = (
        per_second["chat"] * fanout(i.chat_audience)
        + per_second["moves"] * (fanout(1) + fanout(2))  # to the room's owner, then the frames to both players
        + per_second["positions"] * fanout(i.area_size)
        + per_second["handshakes"] * fanout(1)  # the subscription's marker
    )
    layer_shards = max(1, math.ceil(layer_ops / (i.redis_ops_per_second * i.redis_target)))
    redis_ops = (
        per_second["rest"] * i.redis_ops_per_rest
        + per_second["chat"] * i.redis_ops_per_chat
        + per_second["moves"] * i.redis_ops_per_move
        + per_second["handshakes"] * i.redis_ops_per_handshake
        + sockets / i.presence_beat_seconds
    )
    redis_primaries = max(1, math.ceil(redis_ops / (i.redis_ops_per_second * i.redis_target)))
    statements = (
        per_second["rest"] * i.statements_per_rest
        + per_second["chat"] * i.statements_per_chat
        + games * i.statements_per_game
        + per_second["handshakes"] * i.statements_per_handshake
    )
    pg_cores = statements * i.pg_us_per_statement / 1e6 / i.pg_cpu_target
    # pgbouncer: every process's pool on the client side; about two busy connections per core behind it.
    client_connections = servers * i.pool_per_process
    pg_connections = max(10, math.ceil(pg_cores * 2))
    # A process dies: its sockets reconnect to the others, bound by the CPU they have to spare.
    spare_cores = max(servers - 1 - server_cores, 0.05)
    reconnect_seconds = (sockets / servers) * i.handshake_us / 1e6 / spare_cores
    return Plan(
        players=players,
        server_cores=server_cores,
        servers=servers,
        memory_gib=memory_gib,
        layer_ops=layer_ops,
        layer_shards=layer_shards,
        redis_ops=redis_ops,
        redis_primaries=redis_primaries,
        statements=statements,
        pg_cores=pg_cores,
        pg_connections=pg_connections,
        client_connections=client_connections,
        reconnect_seconds=reconnect_seconds,
    )


ROWS = [
    ("server CPU (cores)", lambda p: f"{p.server_cores:,.1f}"),
    ("server processes (1 core each, N+1)", lambda p: f"{p.servers:,}"),
    ("server memory (GiB, all processes)", lambda p: f"{p.memory_gib:,.1f}"),
    ("channel layer (Redis ops/s)", lambda p: f"{p.layer_ops:,.0f}"),
    ("layer shards (CHANNEL_REDIS_URLS)", lambda p: f"{p.layer_shards:,}"),
    ("Sentinel Redis (ops/s)", lambda p: f"{p.redis_ops:,.0f}"),
    ("Redis primaries for it", lambda p: f"{p.redis_primaries:,}"),
    ("PostgreSQL statements/s", lambda p: f"{p.statements:,.0f}"),
    ("PostgreSQL cores", lambda p: f"{p.pg_cores:,.1f}"),
    ("pgbouncer clients / server connections", lambda p: f"{p.client_connections:,} / {p.pg_connections:,}"),
    ("a process dies: handshake CPU to take its sockets (s)", lambda p: f"{p.reconnect_seconds:,.2f}"),
]


def table(plans: list[Plan]) -> str:
    width = max(len(name) for name, _ in ROWS)
    head = f"{'concurrent players':<{width}}" + "".join(f"{p.players:>16,}" for p in plans)
    lines = [head, "-" * len(head)]
    for name, cell in ROWS:
        lines.append(f"{name:<{width}}" + "".join(f"{cell(p):>16}" for p in plans))
    return "\n".join(lines)


# Past these one part is no longer one machine (assumptions: a large but ordinary server).
PG_CORES_ONE_MACHINE = 64


def notes(plans: list[Plan]) -> list[str]:
    said = []
    for p in plans:
        if p.redis_primaries > 1:
            said.append(
                f"{p.players:,} players: the Sentinel Redis needs {p.redis_primaries} primaries; the platform has one"
                " (REDIS_URL): split presence, rate limits and the cache over several, or use faster Redis machines"
            )
        if p.pg_cores > PG_CORES_ONE_MACHINE:
            said.append(
                f"{p.players:,} players: {p.pg_cores:,.0f} PostgreSQL cores at this cost per statement is past"
                f" one machine ({PG_CORES_ONE_MACHINE} cores): measure --pg-us-per-statement on the real database"
                " first (the default is a contended 2-core figure), then split by app (chat, games, world)"
            )
    return said


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--players", type=lambda s: [int(x) for x in s.split(",")], default=[10_000, 100_000, 1_000_000]
    )
    parser.add_argument(
        "--from",
        dest="bench_json",
        metavar="JSON",
        help="the JSON of bench/figures.py --json (make bench): the per-operation costs it measured",
    )
    defaults = Inputs()
    for f in fields(Inputs):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(getattr(defaults, f.name)), default=None)
    args = parser.parse_args(argv)
    measured, lacked = {}, []
    if args.bench_json:
        payload = json.loads(Path(args.bench_json).read_text())
        measured, lacked = inputs_from_bench(payload)
    given = {f.name: getattr(args, f.name) for f in fields(Inputs) if getattr(args, f.name) is not None}
    inputs = Inputs(**{**measured, **given})
    print("inputs (the source of each default: bench/capacity.py, docs/benchmarks.md):")
    for f in fields(Inputs):
        if f.name in given:
            mark = "  (given)"
        elif f.name in measured:
            measurement, figure, _ = FROM_BENCH[f.name]
            mark = f"  (from {args.bench_json}: {measurement}.{figure})"
        else:
            mark = ""
        print(f"  {f.name:<26} {getattr(inputs, f.name):>10g}{mark}")
    if args.bench_json:
        if payload.get("quick"):
            print(f"note: {args.bench_json} is a --quick run: small sizes, rough figures")
        if lacked:
            print(f"not in {args.bench_json} (defaults kept): {', '.join(lacked)}")
        print("not measured by make bench (defaults kept):")
        for name, source in NOT_FROM_BENCH.items():
            print(f"  {name:<26} {source}")
    print()
    plans = [plan(n, inputs) for n in args.players]
    print(table(plans))
    for line in notes(plans):
        print(f"\nnote: {line}")


if __name__ == "__main__":
    main()
