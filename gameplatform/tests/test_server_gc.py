"""A server process runs the collector's full pass far less often than CPython's defaults (``SERVER_GC_THRESHOLD``).

Each case loads the ASGI application in a fresh interpreter, as a server does, and reads the
collector's state there (this test process's collector is not the server's).
"""

import json
import os
import subprocess
import sys

from gameplatform.tests.live import ROOT

PROBE = (
    "import gc, json; before = [gc.get_threshold(), gc.get_freeze_count()]; import gameplatform.asgi;"
    " print(json.dumps([before, [gc.get_threshold(), gc.get_freeze_count()]]))"
)


def loaded_server_gc(**env) -> tuple[tuple[list[int], int], tuple[list[int], int]]:
    """The collector's (thresholds, frozen objects) before the application is loaded, and after."""
    environment = {**os.environ, "SECRET_KEY": "gc-test", "DJANGO_SETTINGS_MODULE": "gameplatform.settings", **env}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    before, after = json.loads(done.stdout.strip().splitlines()[-1])
    return tuple(before), tuple(after)


def test_a_loaded_server_freezes_its_start_up_objects_and_puts_off_the_full_collection():
    (_, frozen_before), (threshold, frozen) = loaded_server_gc()
    assert threshold == [700, 10, 1_000]  # the full pass after 1,000 middle ones, not 10
    assert frozen - frozen_before > 10_000  # Django, the apps, the routes: never scanned again


def test_server_gc_threshold_sets_the_youngest_generations_threshold():
    _, (threshold, _) = loaded_server_gc(SERVER_GC_THRESHOLD="2000")
    assert threshold == [2_000, 10, 1_000]


def test_server_gc_threshold_0_keeps_cpythons_collector_as_it_is():
    before, after = loaded_server_gc(SERVER_GC_THRESHOLD="0")
    assert after == before  # the interpreter's own thresholds, nothing more frozen
