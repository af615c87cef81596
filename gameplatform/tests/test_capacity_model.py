"""bench/capacity.py, the capacity model of docs/operations/past-one-machine.md: its arithmetic, its
command, its inputs read from a ``make bench`` JSON, and the manual's table being what it computes."""

import json
import re
import subprocess
import sys

from bench.capacity import FROM_BENCH, Inputs, inputs_from_bench, plan, table
from gameplatform.tests.live import ROOT

# The shape of bench/figures.py --json: the measurements it ran under "results" (rest and idle
# here, lobby failed, the others not run), with figures the model does not read beside them.
BENCH_RUN = {
    "quick": False,
    "results": {
        "rest": {"me_c32_rps": 1000.0, "me_server_cpu_us_per_request": 2000, "errors": 0},
        "idle": {"server_cpu_ms_per_handshake": 3.2, "kib_per_socket": 40.5, "rss_before_mib": 150.0},
        "lobby": {"error": "RuntimeError: the platform did not start"},
    },
}


def run_capacity(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "bench/capacity.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=True
    )
    return done.stdout


def printed_table(text: str) -> str:
    lines = text.splitlines()
    first = next(n for n, line in enumerate(lines) if line.startswith("concurrent players"))
    rows = lines[first:]
    end = next((n for n, line in enumerate(rows) if not line.strip() or line.startswith("```")), len(rows))
    return "\n".join(rows[:end])


def test_load_grows_with_the_players_and_one_spare_process_is_always_planned():
    inputs = Inputs()
    small, large = plan(10_000, inputs), plan(100_000, inputs)
    assert abs(large.server_cores - 10 * small.server_cores) < 1e-6 * large.server_cores
    assert abs(large.statements - 10 * small.statements) < 1e-6 * large.statements
    for p in (small, large):
        # The load fits at the planned share of a core with one process gone (N+1).
        assert (p.servers - 1) * inputs.process_cpu_target >= p.server_cores
        assert (
            p.layer_shards >= 1 and p.redis_primaries >= 1 and p.client_connections == p.servers * 10
        )  # 8 of the server, 2 of its database worker


def test_an_input_changes_only_what_depends_on_it():
    base, faster_db = plan(100_000, Inputs()), plan(100_000, Inputs(pg_us_per_statement=925.0))
    assert abs(faster_db.pg_cores - base.pg_cores / 2) < 1e-9
    assert (faster_db.servers, faster_db.layer_shards) == (base.servers, base.layer_shards)
    no_world = plan(100_000, Inputs(world_share=0.0))
    assert no_world.servers < base.servers and no_world.layer_ops < base.layer_ops


def test_the_command_prints_every_input_and_a_column_per_player_count():
    out = run_capacity("--players", "10000,100000,1000000", "--position-hz", "2")
    assert "position_hz" in out and "(given)" in out
    header = next(line for line in out.splitlines() if line.startswith("concurrent players"))
    assert header.split()[2:] == ["10,000", "100,000", "1,000,000"]
    for row in ("server processes", "layer shards", "Redis primaries", "PostgreSQL cores", "pgbouncer"):
        assert row in out


def test_a_bench_json_gives_the_costs_it_measured_and_the_others_keep_their_defaults():
    found, lacked = inputs_from_bench(BENCH_RUN)
    assert found == {
        "rest_us": 2000.0,
        "chat_us": 2000.0,  # a chat message is costed as a REST request
        "handshake_us": 3200.0,  # milliseconds in the bench, microseconds in the model
        "socket_kib": 40.5,
        "process_mib": 150.0,
    }
    assert lacked == ["delivery_us"]  # the lobby measurement failed
    assert set(found) | set(lacked) == set(FROM_BENCH)


def test_the_command_recomputes_the_table_from_a_bench_json(tmp_path):
    path = tmp_path / "out.json"
    path.write_text(json.dumps(BENCH_RUN))
    out = run_capacity("--from", str(path), "--players", "10000,100000", "--socket-kib", "30")
    measured = {**inputs_from_bench(BENCH_RUN)[0], "socket_kib": 30.0}  # the option wins over the file
    assert printed_table(out) == table([plan(n, Inputs(**measured)) for n in (10_000, 100_000)])
    assert printed_table(out) != table([plan(n, Inputs()) for n in (10_000, 100_000)])
    assert re.search(rf"handshake_us\s+3200\s+\(from {re.escape(str(path))}: idle\.server_cpu_ms_per_handshake\)", out)
    assert re.search(r"socket_kib\s+30\s+\(given\)", out)
    assert "(defaults kept): delivery_us" in out  # what the file lacked
    assert "redis_ops_per_second" in out.split("not measured by make bench")[1]


def test_the_manuals_table_is_what_the_defaults_compute():
    page = (ROOT / "docs" / "operations" / "past-one-machine.md").read_text()
    shown = printed_table(page.split("## How much for how many players")[1])
    assert shown == table([plan(n, Inputs()) for n in (10_000, 100_000, 1_000_000)])
