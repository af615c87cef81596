"""Database work from the event loop: concurrent, bounded, a connection kept per worker and checked, 503 when busy."""

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


def _in_use(pool) -> int:
    stats = pool.get_stats()
    return stats["pool_size"] - stats["pool_available"]


@requires_postgres
async def test_thousands_of_units_hold_one_connection_per_worker_and_stopping_gives_them_back():
    pool = connection.pool
    db.reset_pool()
    in_use_before = _in_use(pool)  # the test's own connection
    results = []
    for _ in range(10):
        results += await asyncio.gather(*(db.run(_count_users) for _ in range(200)))
    assert results == [0] * 2000

    # Each worker keeps one connection between units, never more; no request waited in vain.
    assert in_use_before < _in_use(pool) <= in_use_before + db.get_pool().workers
    assert pool.get_stats().get("requests_errors", 0) == 0
    db.reset_pool()
    # Stopped, every worker gave its connection back: the pool is whole.
    assert _in_use(pool) == in_use_before


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@requires_postgres
async def test_a_workers_second_unit_reuses_its_connection_without_asking_the_pool(small_pool):
    first = await db.run(_backend_pid)
    requests = connection.pool.get_stats().get("requests_num", 0)
    later = {await db.run(_backend_pid) for _ in range(50)}
    assert later == {first}
    assert connection.pool.get_stats().get("requests_num", 0) == requests  # no checkout per unit


def _terminate(pid: int) -> None:
    import psycopg

    from gameplatform.testhelpers import wait_until

    keys = ("dbname", "user", "password", "host", "port")
    params = {k: v for k, v in connection.get_connection_params().items() if k in keys}
    with psycopg.connect(psycopg.conninfo.make_conninfo(**params), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        gone = "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = %s"
        wait_until(lambda: admin.execute(gone, [pid]).fetchone()[0], timeout=10, what="the backend exited")


@requires_postgres
async def test_a_kept_connection_terminated_between_units_is_replaced_and_the_next_unit_succeeds(small_pool):
    pid = await db.run(_backend_pid)
    await asyncio.to_thread(_terminate, pid)
    again = await db.run(_backend_pid)
    assert again != pid
    assert await db.run(_backend_pid) == again  # and the new one is kept in turn


def _leave_a_transaction_open() -> None:
    connection.set_autocommit(False)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE left_behind (n int)")


def _state() -> tuple[bool, bool]:
    from psycopg.pq import TransactionStatus

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'left_behind'")
        leftover = cursor.fetchone()[0] > 0
    return connection.get_autocommit() and connection.connection.info.transaction_status == TransactionStatus.IDLE, (
        leftover
    )


@requires_postgres
async def test_a_unit_that_leaves_a_transaction_open_passes_nothing_to_the_next_unit(small_pool):
    await db.run(_leave_a_transaction_open)
    clean, leftover = await db.run(_state)
    assert clean and not leftover  # given back and rolled back, not kept


@requires_postgres
async def test_a_unit_answered_unavailable_when_the_database_refuses_and_the_next_one_succeeds(small_pool):
    from django.db import OperationalError

    pid = await db.run(_backend_pid)

    def terminate_own_backend() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    with pytest.raises(OperationalError):  # what the kit answers 503 ``unavailable`` (errors.is_outage)
        await db.run(terminate_own_backend)
    assert await db.run(_backend_pid) != pid


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
    db.reset_pool()
    in_use_before = _in_use(pool)
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
    # At most a connection per worker is kept, the pool still serves, and stopped, the workers
    # give every connection back: nothing was lost to a fault.
    assert _in_use(pool) <= in_use_before + db.get_pool().workers
    assert await db.run(_count_users) >= 1
    db.reset_pool()
    assert _in_use(pool) == in_use_before


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
