"""uvicorn under ``tracemalloc``, for ``bench/socket_memory.py``: not a way to run the platform.

    python bench/traced_server.py SNAPSHOT_PREFIX [uvicorn's arguments...]

Tracing starts before uvicorn is imported, with ``TRACE_FRAMES`` frames per allocation (10 by
default), so every object the server, the frameworks and the platform make is traced. Each SIGUSR1
runs a full collection (only what is still referenced counts) and writes a snapshot to
``SNAPSHOT_PREFIX-<n>`` (n = 0, 1, ...), then ``SNAPSHOT_PREFIX-<n>.done`` when it is complete.
"""

import gc
import os
import signal
import sys
import tracemalloc

tracemalloc.start(int(os.environ.get("TRACE_FRAMES", "10")))

PREFIX = sys.argv[1]
taken = 0


def write_snapshot(*_) -> None:
    global taken
    gc.collect()
    path = f"{PREFIX}-{taken}"
    tracemalloc.take_snapshot().dump(path)
    open(f"{path}.done", "w").close()
    taken += 1


signal.signal(signal.SIGUSR1, write_snapshot)

import uvicorn.main  # noqa: E402 - traced from here on

sys.argv = ["uvicorn", *sys.argv[2:]]
uvicorn.main.main()
