"""bench/room_ticks_stepped.py, a room-tick of bench/rooms.py stepped by the script (docs/benchmarks.md):
each round it runs is one tick of every room, whatever the time it takes, so its counts repeat.
The figures come from runs by hand."""

import os
import re
import subprocess
import sys

import pytest

from conftest import requires_redis
from gameplatform.tests.live import ROOT

# Times itself or loads the whole machine: `make test` runs it alone, after the tests it runs side by side.
pytestmark = pytest.mark.serial


@requires_redis
def test_the_bench_steps_every_room_a_tick_a_round_and_prints_its_cpu(settings):
    done = subprocess.run(
        [sys.executable, "bench/room_ticks_stepped.py", "--redis-url", settings.REDIS_URL, "--rooms", "3"]
        + ["--rounds", "20"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "gameplatform.settings"},
    )
    assert done.returncode == 0, done.stderr
    figures = r"(\d+) room-ticks \(3 rooms, 20 rounds\), \d+ state patches: [\d.]+ us CPU per room-tick"
    ticks = int(re.fullmatch(figures, done.stdout.strip()).group(1))
    assert 57 <= ticks <= 63  # 60, but for a tick a process stalled half a tick may take or skip
