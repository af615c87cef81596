"""bench/asgi_servers.py, the ASGI servers side by side (docs/benchmarks.md): its command answers --help,
the servers outside the lock are pinned with hashes in a file of the bench's own and are no dependency of
the platform, and its table reports a server that failed with the reason. The bench itself (minutes, two
cores, a venv of its own) is run by hand, not here."""

import subprocess
import sys

import pytest

from bench.asgi_servers import EXTRA, SPEC_BY_NAME, log_problems, table
from gameplatform.tests.live import ROOT

# Times itself or loads the whole machine: `make test` runs it alone, after the tests it runs side by side.
pytestmark = pytest.mark.serial


def test_the_command_explains_itself():
    done = subprocess.run(
        [sys.executable, "bench/asgi_servers.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert "--sockets" in done.stdout and "--servers" in done.stdout and "granian" in done.stdout


def test_the_other_servers_are_pinned_with_hashes_and_are_no_dependency_of_the_platform():
    pins = [line for line in EXTRA.read_text().splitlines() if line and not line.startswith(("#", " "))]
    assert {pin.split("==")[0] for pin in pins} >= {"hypercorn", "granian", "wsproto"}
    assert all("==" in pin and pin.endswith("\\") for pin in pins), pins  # exact versions, a hash below each
    lock = (ROOT / "requirements" / "runtime.txt").read_text() + (ROOT / "requirements" / "dev.txt").read_text()
    assert "hypercorn==" not in lock and "granian==" not in lock
    assert "bench/.asgi-venv/" in (ROOT / ".gitignore").read_text().split()


def test_the_baseline_is_the_makefiles_uvicorn():
    makefile = (ROOT / "Makefile").read_text()
    for flag in SPEC_BY_NAME["uvicorn"].argv[1:]:
        assert flag in makefile
    assert "WS_PRIVATE_CLOSE_CODES=1" in makefile and SPEC_BY_NAME["daphne"].env == {"WS_PRIVATE_CLOSE_CODES": "1"}


def test_the_table_reports_a_failed_server_with_its_reason():
    measured = {"status": "measured", "handshakes_per_s": 512.4, "cpu_ms_per_handshake": 1.4, "kib_per_socket": 20.0}
    measured.update(us_per_ping_pong=45.0, round_trips_per_s=9000.0, stop_seconds=0.5, stop_close="1012")
    measured.update(errors=0, log_problems=0)
    printed = table({"uvicorn": measured, "hypercorn": {"status": "failed", "reason": "did not start"}})
    lines = printed.splitlines()
    assert lines[2].startswith("uvicorn") and "512" in lines[2] and "1012" in lines[2]
    assert lines[-1].startswith("hypercorn") and "failed: did not start" in lines[-1]


def test_a_rust_panic_in_a_servers_log_is_a_problem():
    assert log_problems("[INFO] Stopping worker-1\nthread 'tokio-rt-worker' panicked at state.rs:364:9:\n") == 1
