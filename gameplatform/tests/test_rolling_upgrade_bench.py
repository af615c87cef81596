"""bench/rolling_upgrade.py, the rolling-upgrade figure (docs/benchmarks.md): its quick run replaces
every server process of the local cluster, one by one, while bots play tic-tac-toe and the arena
through nginx, and no game is ended by the deploy and no input is lost. The full figure comes
from runs by hand."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from conftest import requires_binaries, requires_postgres
from gameplatform.tests.live import ROOT
from gameplatform.tests.test_cluster_faults import cluster_unavailable, consecutive_free_ports

# Loads the whole machine: `make test` runs it alone, after the tests it runs side by side.
pytestmark = [pytest.mark.serial, pytest.mark.cluster]


def test_the_command_explains_itself():
    done = subprocess.run(
        [sys.executable, "bench/rolling_upgrade.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert "--quick" in done.stdout and "--modes" in done.stdout


@requires_postgres
@requires_binaries(cluster_unavailable())
@pytest.mark.timeout(420)
def test_the_quick_run_replaces_every_server_with_no_game_ended_and_no_input_lost(tmp_path):
    out = tmp_path / "rolling.json"
    done = subprocess.run(
        [sys.executable, "bench/rolling_upgrade.py", "--quick", "--json", str(out), "--plot", str(tmp_path / "r.svg")]
        + ["--base-port", str(consecutive_free_ports(41))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
        env={**os.environ, "DATABASE_URL": settings.DATABASE_URL},
    )
    told = f"\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.returncode == 0, f"the bench failed (exit {done.returncode}):{told}"
    result = json.loads(out.read_text())
    assert [r["server"] for r in result["servers_replaced"]] == ["server-1", "server-2", "server-3", "server-4"]
    assert result["games_started"] > 0 and result["games_ended_by_platform"] == 0 and result["inputs_lost"] == 0
    assert result["sockets_reopened"] > 0, told  # the deploy reached the players, and they came back
    assert (tmp_path / "r.svg").read_text().startswith("<svg")
