"""How the benches the tests run leave (bench/figures.py, ``exit_with``): with their code, and with
no server of theirs left running, whether they finished or broke."""

import subprocess
import sys

from gameplatform.tests.live import ROOT

# A bench that started one server and broke before the next: the server here is a stand-in (a
# process of its own that would outlive the bench), registered as the bench's servers are.
BROKEN_BENCH = """
import subprocess, sys
sys.path.insert(0, "bench")
import figures

class Started:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        figures.RUNNING.append(self)
        print(self.proc.pid, flush=True)

    def stop(self, timeout=30.0):
        self.proc.kill()
        self.proc.wait(timeout)
        figures.RUNNING.remove(self)

def main():
    Started()
    raise RuntimeError("server on port 1 exited at start-up")

figures.exit_with(main)
"""


def test_a_bench_that_breaks_says_so_and_leaves_no_server_running():
    ran = subprocess.run([sys.executable, "-c", BROKEN_BENCH], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert ran.returncode == 3, ran.stderr
    assert "RuntimeError: server on port 1 exited at start-up" in ran.stderr
    pid = int(ran.stdout.split()[0])
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().split()[2]
    except FileNotFoundError:
        state = "gone"
    assert state in ("gone", "Z")
