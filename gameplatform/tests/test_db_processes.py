"""The rooms' database work in worker processes (``DB_PROCESSES``, ``db.run_apart``): run apart
from the server's interpreter, their broadcasts published by the server, their errors handed
back as raised, a killed worker answered ``unavailable`` and replaced, no worker outliving its server."""

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model

from conftest import requires_postgres, requires_redis
from gameplatform.core.errors import Conflict, Unavailable
from gameplatform.data import db
from gameplatform.tests import units

pytestmark = [requires_postgres, requires_redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def two_processes(settings):
    db.reset_processes()
    settings.DB_PROCESSES = 2
    yield
    db.reset_processes()


async def test_a_unit_runs_in_a_worker_process_and_its_writes_are_in_the_database(two_processes):
    assert await db.run_apart(units.whose_process) != os.getpid()
    user_id = await db.run_apart(units.register_and_announce, username="apart", group="nobody")
    assert await db.run(_username, user_id) == "apart"


async def test_without_worker_processes_a_unit_runs_in_the_server_process(settings):
    db.reset_processes()
    settings.DB_PROCESSES = 0
    assert await db.run_apart(units.whose_process) == os.getpid()


async def test_without_redis_a_unit_runs_in_the_server_process(settings):
    """A worker is another process: without Redis its cache and presence would not be the server's."""
    db.reset_processes()
    settings.DB_PROCESSES, settings.REDIS_URL = 2, ""
    try:
        assert db.get_processes() is None
        assert await db.run_apart(units.whose_process) == os.getpid()
    finally:
        db.reset_processes()


async def test_what_a_unit_broadcasts_on_commit_is_published_by_the_server(two_processes):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("announcements", channel)
    try:
        await db.run_apart(units.register_and_announce, username="heard", group="announcements")
        message = await asyncio.wait_for(layer.receive(channel), 5)
    finally:
        await layer.group_discard("announcements", channel)
    assert '"username":"heard"' in message["text"].replace(" ", "")


async def test_an_application_error_comes_back_as_raised(two_processes):
    with pytest.raises(Conflict) as raised:
        await db.run_apart(units.refuse)
    assert raised.value.as_dict() == {"detail": "That seat is taken.", "code": "seat_taken", "seat": 2}
    assert raised.value.status_code == 409


async def test_an_error_that_cannot_be_pickled_comes_back_as_its_text(two_processes):
    with pytest.raises(RuntimeError, match="NeedsTwo: left and right"):
        await db.run_apart(units.raise_needs_two)


async def test_a_worker_killed_mid_unit_is_unavailable_and_the_next_unit_runs_on_a_new_one(two_processes, tmp_path):
    pid_file = tmp_path / "pid"
    unit = asyncio.ensure_future(db.run_apart(units.hold, pid_file=str(pid_file), seconds=30))
    deadline = time.monotonic() + 20
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the unit never started"
        await asyncio.sleep(0.05)
    killed = int(pid_file.read_text())
    os.kill(killed, signal.SIGKILL)
    with pytest.raises(Unavailable):
        await asyncio.wait_for(unit, 10)
    assert await db.run_apart(units.whose_process) not in (killed, os.getpid())


async def test_units_that_failed_with_a_broken_pool_never_stop_the_new_one(two_processes):
    """Several units fail with the same dead worker; the new pool that a later unit started
    stays, whichever of them lets the broken pool go last."""
    broken = db.get_processes()
    await asyncio.to_thread(db.drop_broken, broken)  # the first failed unit
    fresh = db.get_processes()
    assert fresh is not None and fresh is not broken
    running = asyncio.ensure_future(db.run_apart(units.sleep_then_whose_process, seconds=1.0))
    await asyncio.sleep(0.2)
    await asyncio.to_thread(db.drop_broken, broken)  # a slower unit of the same broken pool
    assert db.get_processes() is fresh
    assert await running not in (None, os.getpid())


def test_worker_processes_end_when_their_server_is_killed(tmp_path):
    """A server killed outright runs no shutdown: its workers see it gone and end."""
    script = textwrap.dedent(
        """
        import asyncio, os, sys, time
        import django
        os.environ["DB_PROCESSES"] = "2"
        django.setup()
        from gameplatform.data import db
        from gameplatform.tests import units

        async def main():
            pids = {await db.run_apart(units.whose_process) for _ in range(20)}
            print(" ".join(map(str, pids)), flush=True)

        asyncio.run(main())
        time.sleep(60)
        """
    )
    server = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, env={**os.environ}, stdout=subprocess.PIPE, text=True
    )
    try:
        workers = [int(pid) for pid in server.stdout.readline().split()]
        assert workers and server.pid not in workers
        assert all(Path(f"/proc/{pid}").exists() for pid in workers)
        server.kill()
        server.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers):
            assert time.monotonic() < deadline, f"workers {workers} outlived their server"
            time.sleep(0.1)
    finally:
        server.kill()
        server.wait(10)


def _username(user_id: int) -> str:
    return get_user_model().objects.get(pk=user_id).username


def _alive(pid: int) -> bool:
    """Running, and not a zombie waiting for its parent to read its exit."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
