"""Database work from the event loop: concurrent, bounded, every connection given back, 503 when busy."""

import asyncio
import json
import threading

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.db import DataError, connection, transaction

from conftest import access_token_for, requires_postgres
from gameplatform.broadcast.realtime import broadcast_on_commit, outbox_var
from gameplatform.core.errors import ApplicationError
from gameplatform.data import db
from gameplatform.operations import timers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def small_pool(settings):
    """One worker and room for one more unit in the queue: easy to fill on purpose."""
    db.reset_pool()
    settings.DB_WORKERS, settings.DB_QUEUE_LIMIT = 1, 1
    yield db.get_pool()
    db.reset_pool()


class Blocker:
    """A unit of work that holds its worker until released."""

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()

    def __call__(self) -> str:
        self.started.set()
        self.release.wait(10)
        return "done"


async def fill(pool: db.WorkPool) -> tuple[Blocker, list[asyncio.Task]]:
    """Occupy every worker and every queue place of ``pool``."""
    blocker = Blocker()
    tasks = [asyncio.ensure_future(db.run(blocker)) for _ in range(pool.limit)]
    await asyncio.to_thread(blocker.started.wait, 5)
    assert pool.pending == pool.limit
    return blocker, tasks


def _count_users() -> int:
    return get_user_model().objects.count()


@requires_postgres
async def test_thousands_of_units_leave_every_pooled_connection_in_the_pool():
    pool = connection.pool
    before = pool.get_stats()
    in_use_before = before["pool_size"] - before["pool_available"]  # the test's own connection
    results = []
    for _ in range(10):
        results += await asyncio.gather(*(db.run(_count_users) for _ in range(200)))
    assert results == [0] * 2000

    stats = pool.get_stats()
    # Every connection a worker used is back in the pool, idle; no request waited in vain.
    assert stats["pool_size"] - stats["pool_available"] == in_use_before
    assert stats.get("requests_errors", 0) == 0


def _fail_inside_a_transaction() -> None:
    """A unit that dies with a database error in the middle of a transaction (a fault)."""
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=0).exists()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1/0")


def _refuse_inside_a_transaction() -> None:
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=0).exists()
        raise ApplicationError("No.", code="refused")


@requires_postgres
async def test_a_long_run_of_timers_faults_and_sockets_leaves_the_pool_whole(ws_connect, alice):
    pool = connection.pool
    before = pool.get_stats()
    in_use_before = before["pool_size"] - before["pool_available"]
    timers.discover()
    for n in range(20):
        await db.run_always(timers.run_due, n * 100.0)  # every job, as a server's timer round runs them
        with pytest.raises(DataError):
            await db.run(_fail_inside_a_transaction)
        with pytest.raises(ApplicationError):
            await db.run(_refuse_inside_a_transaction)
        ws, connected, _ = await ws_connect("/ws/notifications/", alice)
        assert connected
        await ws.receive_json_from(timeout=5)  # the badge: a unit of database work
        await ws.disconnect()
    stats = pool.get_stats()
    # Every connection is back, idle, and the pool still serves: nothing was lost to a fault.
    assert stats["pool_size"] - stats["pool_available"] == in_use_before
    assert await db.run(_count_users) >= 1


@requires_postgres  # SQLite runs every unit on the one sync thread
async def test_units_run_side_by_side_on_several_workers(settings):
    db.reset_pool()
    settings.DB_WORKERS = 4
    try:
        barrier = threading.Barrier(4, timeout=5)
        # Four units that each wait for the other three: only concurrent workers get through.
        assert await asyncio.gather(*(db.run(barrier.wait) for _ in range(4)))
    finally:
        db.reset_pool()


async def test_a_full_queue_refuses_more_work_without_running_it(small_pool):
    blocker, tasks = await fill(small_pool)
    ran = threading.Event()
    with pytest.raises(db.Overloaded) as refused:
        await db.run(ran.set)
    assert refused.value.code == "overloaded" and refused.value.retry_after > 0
    assert not ran.is_set()

    blocker.release.set()
    assert await asyncio.gather(*tasks) == ["done", "done"]
    # Room again once the queue drained.
    assert await db.run(lambda: "again") == "again"


async def test_clean_up_work_is_never_refused(small_pool):
    blocker, tasks = await fill(small_pool)
    cleanup = asyncio.ensure_future(db.run_always(lambda: "cleaned"))
    blocker.release.set()
    assert await cleanup == "cleaned"
    await asyncio.gather(*tasks)


async def test_rest_answers_503_overloaded_with_retry_after_when_the_queue_is_full(small_pool, make_user):
    from gameplatform.asgi import application

    user = await db.run(make_user)  # a worker unit: its connection goes back
    transport = httpx.ASGITransport(app=application)
    headers = {"Authorization": f"Bearer {access_token_for(user)}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        blocker, tasks = await fill(small_pool)
        busy = await client.get("/api/me/", headers=headers)
        blocker.release.set()
        await asyncio.gather(*tasks)
        calm = await client.get("/api/me/", headers=headers)

    assert busy.status_code == 503
    assert busy.json()["code"] == "overloaded"
    assert int(busy.headers["Retry-After"]) >= 1
    assert calm.status_code == 200 and calm.json()["username"] == user.username


async def test_a_socket_opened_when_the_queue_is_full_hears_overloaded_then_closes_1013(small_pool, ws_connect, alice):
    blocker, tasks = await fill(small_pool)
    try:
        ws, connected, _ = await ws_connect("/ws/notifications/", alice)
        assert connected
        frame = await ws.receive_json_from(timeout=3)
        assert frame["type"] == "error" and frame["code"] == "overloaded" and frame["retry_after"] > 0
        assert (await ws.receive_output(timeout=3)) == {"type": "websocket.close", "code": 1013}
    finally:
        blocker.release.set()
        await asyncio.gather(*tasks)


async def test_with_private_close_codes_an_overloaded_socket_closes_4013(small_pool, settings, ws_connect, alice):
    """WS_PRIVATE_CLOSE_CODES (the Makefile's daphne line): 4013 where the contract says 1013."""
    settings.WS_PRIVATE_CLOSE_CODES = True
    blocker, tasks = await fill(small_pool)
    try:
        ws, connected, _ = await ws_connect("/ws/notifications/", alice)
        assert connected
        assert (await ws.receive_json_from(timeout=3))["code"] == "overloaded"
        assert (await ws.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4013}
    finally:
        blocker.release.set()
        await asyncio.gather(*tasks)


def _post(group: str, fail: bool) -> str:
    with transaction.atomic():
        broadcast_on_commit(group, {"type": "note", "n": 1})
        if fail:
            raise RuntimeError("rolled back")
    # Still inside the unit: the frame waits in the outbox, it was not sent from this thread.
    return json.loads(outbox_var.get()[0]["text"])["type"]


async def test_broadcasts_of_a_unit_leave_from_the_loop_after_commit_and_never_after_a_rollback(monkeypatch):
    from gameplatform.broadcast.hub import get_hub

    class Member:
        user_id = 1
        texts: list[str] = []

        async def hub_deliver(self, message: dict) -> None:
            self.texts.append(message["text"])

    member = Member()
    for group in ("g1", "g2"):
        await get_hub().join(group, member)
    publishers: list[str] = []
    real_publish = db.publish

    async def watched_publish(messages, layer=None):
        publishers.append(threading.current_thread().name)
        await real_publish(messages, layer)

    monkeypatch.setattr(db, "publish", watched_publish)
    assert await db.run(_post, "g1", False) == "note"
    with pytest.raises(RuntimeError):
        await db.run(_post, "g2", True)
    await asyncio.sleep(0.3)

    assert member.texts == ['{"type":"note","n":1}']
    assert publishers == [threading.current_thread().name]  # the loop's thread, not a worker
    for group in ("g1", "g2"):
        await get_hub().leave(group, member)


async def test_a_body_over_the_limit_is_answered_413_before_any_work(settings):
    from gameplatform.asgi import application

    settings.HTTP_MAX_BODY_BYTES = 1024
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        response = await client.post("/api/auth/register/", content=b'{"username": "' + b"x" * 2000 + b'"}')
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large.", "code": "too_large"}
    assert await db.run(lambda: get_user_model().objects.count()) == 0
