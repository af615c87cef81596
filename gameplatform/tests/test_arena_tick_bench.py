"""bench/arena_tick.py, the CPU of a room's steps without I/O (docs/benchmarks.md): it runs end to
end on small sizes and prints a line for each measurement. The figures come from runs by hand."""

import re
import subprocess
import sys

import pytest

from gameplatform.tests.live import ROOT

# Times itself or loads the whole machine: `make test` runs it alone, after the tests it runs side by side.
pytestmark = pytest.mark.serial


def test_the_bench_prints_a_tick_of_each_mode_and_a_tictactoe_move_with_its_snapshot():
    done = subprocess.run(
        [sys.executable, "bench/arena_tick.py", "--runs", "1", "--ticks", "40"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    empty, arena, move = done.stdout.splitlines()
    assert empty.startswith("empty ") and arena.startswith("arena ") and "µs per tick" in arena
    figures = r"tictactoe move: median +[\d.]+ µs \(step and frames\), then +[\d.]+ µs for its snapshot"
    assert re.fullmatch(figures, move)
