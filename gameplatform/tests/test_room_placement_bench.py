"""bench/room_placement.py, new rooms under skewed arrivals with ``local`` and ``load`` placement
(docs/benchmarks.md): it runs end to end on a small size, prints both, spreads the rooms under
``load`` and leaves no key behind. The figures themselves come from runs by hand."""

import json
import os
import subprocess
import sys

import redis

from conftest import requires_redis
from gameplatform.tests.live import ROOT


@requires_redis
def test_the_bench_spreads_skewed_rooms_under_load_placement_and_leaves_no_key_behind(settings):
    done = subprocess.run(
        [sys.executable, "bench/room_placement.py", "--redis-url", settings.REDIS_URL, "--rooms", "30"]
        + ["--gap", "0.1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "gameplatform.settings"},
    )
    assert done.returncode == 0, done.stderr
    local, load = (json.loads(line) for line in done.stdout.splitlines()[:2])
    assert local["rooms"] == [30, 0, 0]
    # Three seconds of arrivals, three reports: the first process keeps the most, none gets under 5.
    assert sum(load["rooms"]) == 30 and min(load["rooms"]) >= 5 and load["largest_share"] < 0.6, load
    assert "process 0" in done.stdout  # the bars
    assert not list(redis.Redis.from_url(settings.REDIS_URL).scan_iter(match="room:bench-placement-*"))
