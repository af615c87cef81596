"""bench/socket_memory.py, where an idle socket's memory goes (docs/benchmarks.md): its command answers
--help, and an allocation counts for the code that made it, the server's, a framework's or the
platform's. The bench itself (a traced server, 2,000 sockets, minutes) is run by hand, not here."""

import subprocess
import sys
import sysconfig
import tracemalloc

import pytest

from bench.socket_memory import owner
from gameplatform.tests.live import ROOT

# Times itself or loads the whole machine: `make test` runs it alone, after the tests it runs side by side.
pytestmark = pytest.mark.serial

STDLIB = sysconfig.get_paths()["stdlib"]
SITE = f"{ROOT}/.venv/lib/python3.11/site-packages"


def made_by(*frames: str) -> str:
    """The owner of an allocation whose frames are given innermost first, as ``path:line``."""
    parsed = tuple((path, int(line)) for path, _, line in (frame.rpartition(":") for frame in frames))
    return owner(tracemalloc.Traceback(parsed))


def test_the_command_explains_itself():
    done = subprocess.run(
        [sys.executable, "bench/socket_memory.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert "--sockets" in done.stdout and "--top" in done.stdout


def test_an_object_counts_for_the_innermost_code_outside_the_standard_library():
    queue_of_uvicorn = (f"{STDLIB}/asyncio/queues.py:48", f"{SITE}/uvicorn/protocols/websockets/impl.py:87")
    assert made_by(*queue_of_uvicorn) == "uvicorn"
    assert made_by(f"{SITE}/websockets/datastructures.py:196", f"{SITE}/uvicorn/x.py:1") == "websockets"
    assert made_by(f"{SITE}/channels/routing.py:118", f"{ROOT}/gameplatform/sockets/wsauth.py:89") == "Channels"
    assert made_by(f"{ROOT}/gameplatform/sockets/consumers.py:252", f"{SITE}/channels/consumer.py:95") == "the platform"
    assert made_by(f"{ROOT}/preparedws/protocol.py:160", f"{SITE}/uvicorn/server.py:1") == "our protocol"
    assert made_by(f"{SITE}/msgpack/fallback.py:3") == "other libraries"


def test_what_the_loops_c_code_makes_counts_for_the_event_loop():
    assert made_by(f"{STDLIB}/asyncio/runners.py:118", f"{SITE}/uvicorn/_compat.py:30") == "the event loop"
