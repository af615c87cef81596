import asyncio
import threading
import time

import pytest
from django.test import override_settings

from gameplatform.operations import timers


class Ticks(list):
    """The ticks of a job, and ``first``: set at the first."""

    def __init__(self):
        super().__init__()
        self.first = threading.Event()

    def tick(self) -> None:
        self.append(1)
        self.first.set()


@pytest.fixture
def only_a_ticking_job(monkeypatch):
    ticks = Ticks()
    monkeypatch.setattr(timers, "JOBS", {"tick": timers.Job(name="tick", every=0.05, func=ticks.tick)})
    monkeypatch.setattr(timers, "discover", lambda: timers.JOBS)
    return ticks


# No database worker processes: their start and stop would stretch the lifespan the ticks are counted over.
@override_settings(RUN_TIMERS_IN_SERVER=True, DB_PROCESSES=0)
async def test_server_starts_its_timers_at_lifespan_startup_once(only_a_ticking_job):
    from gameplatform.asgi import application
    from gameplatform.data import db

    await asyncio.to_thread(db.reset_processes)  # those an earlier test of this process started

    inbox = asyncio.Queue()
    sent = []

    async def send(message):
        sent.append(message["type"])

    for _ in range(2):
        await inbox.put({"type": "lifespan.startup"})
    await inbox.put({"type": "lifespan.shutdown"})
    await application({"type": "lifespan"}, inbox.get, send)
    assert sent == ["lifespan.startup.complete", "lifespan.startup.complete", "lifespan.shutdown.complete"]

    # One loop per process runs the jobs, however often start-up is asked for: the job ticks at one
    # loop's pace, every 0.05 s. Counted from its first tick, which a loaded machine may delay (the
    # first round waits for the lease and a database worker; once, in CI, past the 0.3 s this test
    # used to count from the start).
    assert await asyncio.to_thread(only_a_ticking_job.first.wait, 10), "the job never ran"
    first, began = len(only_a_ticking_job), time.monotonic()
    await asyncio.sleep(0.3)
    ticks = len(only_a_ticking_job) - first
    assert 2 <= ticks <= (time.monotonic() - began) / 0.05 + 2


async def test_a_failing_job_does_not_stop_the_others(monkeypatch):
    ran = []

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(
        timers,
        "JOBS",
        {
            "broken": timers.Job(name="broken", every=0.05, func=broken),
            "fine": timers.Job(name="fine", every=0.05, func=lambda: ran.append(1)),
        },
    )
    timers.run_due(now=0)
    timers.run_due(now=1)
    assert ran == [1, 1]
