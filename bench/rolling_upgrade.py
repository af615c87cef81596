"""The rolling-upgrade figure: every server process replaced, one by one, under live games.

    .venv/bin/python bench/rolling_upgrade.py                 # 4 modes x 40 bots, 150 s, every server replaced
    .venv/bin/python bench/rolling_upgrade.py --quick         # CI's small run: 2 modes x 6 bots, 30 s
    .venv/bin/python bench/rolling_upgrade.py --json run.json --plot run.svg

It starts the local cluster (``deploy/cluster/cluster.py``: four uvicorn processes behind nginx,
the channel layer on three Redis servers, Redis through Sentinel, pgbouncer, a database of its own
on the PostgreSQL of ``DATABASE_URL``), then the load test's bots (``gameplatform_client.loadtest``:
guests that queue, play a game to its end through the Python SDK and queue again) for every mode
of ``--modes``, all through nginx. Once the games run, each server process in turn is stopped
as a deploy stops it (SIGTERM: it takes no new room, hands its rooms over to the others and closes
its sockets 1012) and a new process is started on its port, until every process has been replaced;
the next one goes once the new one answers ``/readyz``.

What it reports (and writes with ``--json``):

- games started, finished, and **ended by the platform** (``abandoned`` or ``aborted`` in the
  database: a game the deploy cost its players), and games still unfinished after the run;
- **inputs lost**: frames the bots sent with a ``ref`` that were never answered (the SDK's call
  timed out), and every error the bots met by its code (``timeout`` counts every wait run out: a
  match, a turn, an answer);
- the **longest a player waited** for a frame's answer (the round trip's maximum) and its p99;
- the sockets the SDK opened again after a 1012, and openings a stopping server refused (503).

A deploy is good when no game was ended by it and no input was lost: the command exits 1 otherwise.
Ports: ``--base-port`` and the 41 after it (default: a free run below the ephemeral range).
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "client" / "python"))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

import psycopg  # noqa: E402
from gameplatform_client import loadtest  # noqa: E402

from deploy.cluster.cluster import Cluster, layout, missing_binaries  # noqa: E402

MODES = ("tictactoe", "arena", "relay", "battleship")
LAYOUT_PORTS = 41  # layout(): nginx at the base port, pgbouncer at base + 40
STOP_TIMEOUT = 40.0  # a stopping process's drain and handover, at most (then SIGKILL: counted)
ENDED_BY_PLATFORM = ("abandoned", "aborted")


def free_base_port(count: int = LAYOUT_PORTS) -> int:
    """A base port with ``count`` free ports from it, below the kernel's ephemeral range (a port in
    that range may go to an outgoing connection before the cluster binds it)."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    chooser = random.SystemRandom()
    for _ in range(50):
        base = chooser.randrange(20000, low - count)
        with_all = []
        try:
            for port in range(base, base + count):
                probe = socket.socket()
                with_all.append(probe)
                probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for probe in with_all:
                probe.close()
        return base
    raise RuntimeError(f"no {count} consecutive free ports")


async def roll(cluster: Cluster, start_after: float, gap: float, replaced: list[dict]) -> None:
    """Replace every server process in turn, as a rolling deploy does."""
    began = time.monotonic()
    await asyncio.sleep(start_after)
    for server in cluster.servers:
        stopping = time.monotonic()
        await asyncio.to_thread(server.stop, signal.SIGTERM, STOP_TIMEOUT)
        stopped = time.monotonic()
        await asyncio.to_thread(cluster.restart, server)
        replaced.append(
            {
                "server": server.name,
                "at_s": round(stopping - began, 1),
                "drain_s": round(stopped - stopping, 2),
                "ready_s": round(time.monotonic() - stopped, 2),
            }
        )
        await asyncio.sleep(gap)


def games_by_reason(cluster: Cluster, game_ids: set[int], settle: float = 15.0) -> tuple[Counter, int]:
    """How the bots' games ended, by the database's reason; and how many it has not ended after
    ``settle`` seconds (a result the players saw reaches the database a moment later)."""
    if not game_ids:
        return Counter(), 0
    give_up = time.monotonic() + settle
    with psycopg.connect(cluster.database_url(through_pgbouncer=False)) as conn:
        while True:
            rows = conn.execute("SELECT state, reason FROM game_game WHERE id = ANY(%s)", [sorted(game_ids)]).fetchall()
            unfinished = sum(1 for state, _ in rows if state != "finished")
            if not unfinished or time.monotonic() > give_up:
                break
            time.sleep(0.5)
    return Counter(reason for state, reason in rows if state == "finished"), unfinished


async def play(cluster: Cluster, args) -> dict:
    options = [
        loadtest.Options(url=cluster.url, mode=mode, bots=args.bots, duration=args.duration, ramp=args.ramp)
        for mode in args.modes
    ]
    replaced: list[dict] = []
    # The roll starts once the first games run, and every process is new before the run's end.
    start_after = args.ramp + min(10.0, args.duration / 6)
    gap = max(1.0, (args.duration - start_after) / len(cluster.servers) / 3)
    roller = asyncio.ensure_future(roll(cluster, start_after, gap, replaced))
    runs = await asyncio.gather(*(loadtest.run(option) for option in options))
    await roller
    per_mode = {option.mode: loadtest.summary(stats, option) for option, stats in zip(options, runs, strict=True)}
    started = set().union(*(stats.games_started for stats in runs))
    reasons, unfinished = games_by_reason(cluster, started)
    trips = [s for stats in runs for _, s in stats.round_trips]
    errors = sum((Counter(result["errors"]) for result in per_mode.values()), Counter())
    return {
        "modes": list(args.modes),
        "bots_per_mode": args.bots,
        "duration_s": args.duration,
        "servers_replaced": replaced,
        "games_started": len(started),
        "games_finished": sum(result["games_finished"] for result in per_mode.values()),
        "games_by_reason": dict(reasons),
        "games_ended_by_platform": sum(reasons[reason] for reason in ENDED_BY_PLATFORM),
        "games_unfinished": unfinished,
        "inputs_lost": sum(result["frames_unanswered"] for result in per_mode.values()),
        "errors": dict(errors.most_common()),
        "frames_answered": len(trips),
        "longest_wait_ms": round(max(trips, default=0.0) * 1000, 1),
        "wait_p99_ms": round(loadtest.percentile(trips, 99) * 1000, 1),
        "sockets_reopened": sum(result["restarts"]["sockets_reopened"] for result in per_mode.values()),
        "openings_refused": sum(result["restarts"]["openings_refused"] for result in per_mode.values()),
        "per_mode": {
            mode: {k: v for k, v in r.items() if k not in ("round_trips", "inputs_visible")}
            for mode, r in per_mode.items()
        },  # fmt: skip
        "round_trips": [point for result in per_mode.values() for point in result["round_trips"]],
    }


def report(result: dict) -> str:
    lines = [
        f"rolling upgrade: {', '.join(result['modes'])} x {result['bots_per_mode']} bots for "
        f"{result['duration_s']:g} s; every server process replaced",
        "",
        *(
            f"  {r['server']} at {r['at_s']:>5.1f} s: drained in {r['drain_s']:.2f} s, new process ready in "
            f"{r['ready_s']:.2f} s"
            for r in result["servers_replaced"]
        ),
        "",
        f"games started            {result['games_started']}",
        f"games finished           {result['games_finished']}  (by reason: {result['games_by_reason']})",
        f"games ended by platform  {result['games_ended_by_platform']}",
        f"games unfinished         {result['games_unfinished']}",
        f"inputs lost              {result['inputs_lost']}",
        f"frames answered          {result['frames_answered']}",
        f"longest wait             {result['longest_wait_ms']:.0f} ms  (p99 {result['wait_p99_ms']:.0f} ms)",
        f"sockets reopened (1012)  {result['sockets_reopened']}",
        f"openings refused (503)   {result['openings_refused']}",
        f"errors                   {result['errors'] or 'none'}",
    ]
    return "\n".join(lines)


def plot(result: dict, path: str) -> None:
    """The round trips over the run (the load test's chart), each replacement marked."""
    chart = loadtest.svg_plot(
        {"mode": "all modes", "bots": result["bots_per_mode"] * len(result["modes"]),
         "elapsed_s": result["duration_s"], "round_trips": result["round_trips"]}
    )  # fmt: skip
    marks = "".join(
        f'<text x="70" y="{60 + 14 * n}" fill="#555">{r["server"]} replaced at {r["at_s"]:.0f} s</text>'
        for n, r in enumerate(result["servers_replaced"])
    )
    Path(path).write_text(chart.replace("</svg>", marks + "</svg>"))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", type=lambda text: tuple(text.split(",")), default=MODES)
    parser.add_argument("--bots", type=int, default=40, help="bots per mode (default 40)")
    parser.add_argument("--duration", type=float, default=150.0, help="seconds of play (default 150)")
    parser.add_argument("--ramp", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true", help="CI's run: tictactoe and arena, 6 bots each, 30 s")
    parser.add_argument("--base-port", type=int, default=0)
    parser.add_argument("--json", help="write every figure here")
    parser.add_argument("--plot", help="write the round trips' chart here (SVG)")
    args = parser.parse_args(argv)
    if args.quick:
        args.modes, args.bots, args.duration, args.ramp = ("tictactoe", "arena"), 6, 30.0, 2.0
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    missing = missing_binaries()
    if missing:
        print(f"the cluster needs {', '.join(missing)}", file=sys.stderr)
        return 2
    postgres = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    env = {"REGISTRATIONS_PER_ADDRESS": "1000000", "QUEUE_FILL_SECONDS": "0"}  # every bot is 127.0.0.1
    cluster = Cluster(
        ports=layout(args.base_port or free_base_port()), postgres=postgres,
        database=f"gameplatform_rolling_{os.getpid()}", env=env, quiet=True,
    )  # fmt: skip
    cluster.start()
    try:
        result = asyncio.run(play(cluster, args))
    finally:
        cluster.stop()
    print(report(result))
    if args.json:
        Path(args.json).write_text(json.dumps({k: v for k, v in result.items() if k != "round_trips"}, indent=2))
    if args.plot:
        plot(result, args.plot)
    return 0 if result["games_ended_by_platform"] == 0 and result["inputs_lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
