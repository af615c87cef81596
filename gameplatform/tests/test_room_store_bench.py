"""bench/room_store.py, the server's CPU for the room store's calls (docs/benchmarks.md): it runs
end to end on small sizes, prints a figure for each call, and leaves no key behind in the Redis it
was given. The figures themselves come from runs by hand on a Redis of the bench's own."""

import os
import subprocess
import sys

import pytest
import redis

from conftest import requires_redis
from gameplatform.tests.live import ROOT

# Times itself or loads the whole machine: `make test` runs it alone, after the tests it runs side by side.
pytestmark = pytest.mark.serial


@requires_redis
def test_the_bench_prints_each_calls_cost_and_leaves_no_key_behind(settings):
    done = subprocess.run(
        [sys.executable, "bench/room_store.py", "--redis-url", settings.REDIS_URL, "--rooms", "1,3"]
        + ["--writes", "4", "--rounds", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "gameplatform.settings"},
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "a write of   1 rooms (snapshot and log segment each)",
        "a write of   3 rooms (snapshot and log segment each)",
        "a room's claim and snapshot read",
        "a socket's seat number",
    ]
    assert all(float(line.split(":")[1].split()[0]) > 0 for line in lines[1:])
    assert not list(redis.Redis.from_url(settings.REDIS_URL).scan_iter(match="room:bench-*"))
