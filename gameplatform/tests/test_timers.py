import asyncio

import pytest
from django.test import override_settings

from gameplatform.operations import timers


@pytest.fixture
def only_a_ticking_job(monkeypatch):
    ticks = []
    monkeypatch.setattr(timers, "JOBS", {"tick": timers.Job(name="tick", every=0.05, func=lambda: ticks.append(1))})
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
    await asyncio.sleep(0.3)

    assert sent == ["lifespan.startup.complete", "lifespan.startup.complete", "lifespan.shutdown.complete"]
    # One loop per process runs the jobs, however often start-up is asked for.
    assert 3 <= len(only_a_ticking_job) <= 8


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
