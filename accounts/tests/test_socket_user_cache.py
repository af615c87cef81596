"""A socket's handshake takes its user from the process's short-lived copy of the row
(``gameplatform.sockets.usercache``): no query for a user whose row it holds, and nothing it holds
outlives a ban, a lock, a logout everywhere or a deletion, made in this process or in another
(which tells this one through Redis). On the real PostgreSQL and Redis."""

import contextlib
import json
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts.locks import LOCKED_FOREVER, account_lock
from accounts.models import User
from accounts.services import user_delete
from accounts.sessions import sessions_end
from conftest import access_token_for, requires_postgres, requires_redis
from gameplatform.data import db
from gameplatform.data.redis import get_redis
from gameplatform.sockets import usercache
from gameplatform.sockets.wsauth import JWTAuthMiddleware, OriginCheck
from gameplatform.testhelpers import eventually
from gameplatform.tests.consumers import test_urlpatterns
from gameplatform.tests.live import ROOT
from gameplatform.tests.test_faults import own_redis, requires_redis_server  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgres, requires_redis]

application = OriginCheck(JWTAuthMiddleware(URLRouter(test_urlpatterns)))


def issued_earlier(user, seconds: int = 10) -> str:
    """An access token of ``user`` issued ``seconds`` ago (a session from before its end)."""
    token = AccessToken.for_user(user)
    token["iat"] = int(time.time()) - seconds
    return str(token)


async def handshake(token: str, opened: list):
    """A socket with ``token`` on the kit's echo route; (accepted and open, the close code if closed, the error)."""
    communicator = WebsocketCommunicator(
        application,
        "/ws/test/echo/",
        headers=[(b"origin", b"http://localhost"), (b"authorization", f"Bearer {token}".encode())],
    )
    opened.append(communicator)
    connected, _ = await communicator.connect(timeout=15)
    assert connected
    error = None
    while not await communicator.receive_nothing(timeout=0.2):
        message = await communicator.receive_output(timeout=3)
        if message["type"] == "websocket.close":
            return False, message.get("code"), error
        if message["type"] == "websocket.send" and '"error"' in (message.get("text") or ""):
            error = json.loads(message["text"])
    return True, None, None


@pytest.fixture
async def sockets():
    """The communicators a test opened, disconnected at its end."""
    opened: list[WebsocketCommunicator] = []
    yield opened
    for communicator in opened:
        with contextlib.suppress(Exception):
            await communicator.disconnect()


@pytest.fixture
async def hearing():
    """This loop's cache, listening (as a server's is from its start: ``usercache.listen_here``)."""
    cache = usercache.get_user_cache()
    assert cache is not None, "the cache is on with Redis"
    cache.listen()
    await eventually(lambda: cache.hearing, what="the user cache listening")
    return cache


@contextlib.contextmanager
def queries_on_every_thread():
    """The statements run while inside, on any thread's connection (the database workers' too,
    where ``CaptureQueriesContext`` of the test's thread sees nothing). The workers are replaced
    before (a worker keeps its connection between units: one kept from an earlier handshake would
    run its statements unseen) and after, with the connections the recorder was put on."""
    db.reset_pool()
    seen: list[str] = []
    recording = True

    def record(execute, sql, params, many, context):
        if recording:
            seen.append(sql)
        return execute(sql, params, many, context)

    def put_on(sender, connection, **kwargs):
        if record not in connection.execute_wrappers:
            connection.execute_wrappers.append(record)

    connection_created.connect(put_on)
    try:
        yield seen
    finally:
        recording = False
        connection_created.disconnect(put_on)
        db.reset_pool()


async def cached(cache, user) -> None:
    """``user``'s row is in the cache (a first handshake read it)."""
    await eventually(lambda: cache._rows.get(user.pk) is not None, what=f"{user.username}'s row kept")


# --- no query --------------------------------------------------------------------------------


async def test_a_second_handshake_of_the_same_user_makes_no_database_query(hearing, sockets, alice):
    token = access_token_for(alice)
    assert (await handshake(token, sockets))[0]  # the first reads the row (and alice comes online)
    await cached(hearing, alice)

    with queries_on_every_thread() as queries:
        accepted, code, _ = await handshake(token, sockets)
    assert (accepted, code) == (True, None)
    assert queries == []


async def test_a_process_whose_listener_stopped_reads_the_database_at_every_handshake(hearing, sockets, alice):
    token = access_token_for(alice)
    assert (await handshake(token, sockets))[0]
    await cached(hearing, alice)
    hearing.listener.task.cancel()
    with contextlib.suppress(BaseException):
        await hearing.listener.task
    assert not hearing.hearing and len(hearing) == 0
    with queries_on_every_thread() as queries:
        assert (await handshake(token, sockets))[0]
        assert (await handshake(token, sockets))[0]
    assert sum('FROM "accounts_user"' in sql for sql in queries) == 2


# --- at once, in this process ----------------------------------------------------------------


async def refused_after(change, user, hearing, sockets, token: str | None = None):
    """``user`` connects twice (the row is kept), ``change`` runs on a database worker as a
    service would, and the next handshake's (accepted, close code, error)."""
    token = token or access_token_for(user)
    assert (await handshake(token, sockets))[0]
    await cached(hearing, user)
    await db.run(change)
    return await handshake(token, sockets)


async def test_a_cached_user_who_is_banned_is_refused_4403_at_once(hearing, sockets, alice, make_staff):
    from safety.sanctions import sanction_impose
    from staff.roles import MODERATOR

    moderator = await sync_to_async(make_staff)("mod", MODERATOR)

    def ban():
        sanction_impose(staff=moderator, user_id=alice.pk, action="ban", statement="Cheating.")

    accepted, code, error = await refused_after(ban, alice, hearing, sockets)
    assert (accepted, code, error["code"]) == (False, 4403, "account_suspended")


async def test_a_cached_user_whose_account_is_locked_is_refused_4403_at_once(hearing, sockets, alice):
    accepted, code, error = await refused_after(
        lambda: account_lock(user_id=alice.pk, until=timezone.now() + timedelta(hours=1)), alice, hearing, sockets
    )
    assert (accepted, code, error["code"]) == (False, 4403, "account_suspended")


async def test_a_lifted_lock_lets_a_cached_user_in_at_once(hearing, sockets, alice):
    await sync_to_async(account_lock)(user_id=alice.pk, until=LOCKED_FOREVER)
    token = access_token_for(alice)
    assert (await handshake(token, sockets))[1] == 4403
    await cached(hearing, alice)
    await db.run(account_lock, user_id=alice.pk, until=None)
    assert (await handshake(token, sockets))[0]


async def test_a_cached_user_whose_sessions_ended_is_refused_4401_at_once(hearing, sockets, alice):
    before = issued_earlier(alice)
    accepted, code, _ = await refused_after(
        lambda: sessions_end(user_id=alice.pk, close_sockets=False), alice, hearing, sockets, token=before
    )
    assert (accepted, code) == (False, 4401)
    assert (await handshake(access_token_for(alice), sockets))[0]  # a token issued after the end works


async def test_a_cached_user_who_is_deleted_is_refused_4401_at_once(hearing, sockets, alice):
    accepted, code, _ = await refused_after(lambda: user_delete(user=alice), alice, hearing, sockets)
    assert (accepted, code) == (False, 4401)


async def test_a_cached_user_deactivated_in_the_admin_is_refused_4401_at_once(hearing, sockets, alice):
    """Any save of the row (the admin's form saves the instance) forgets it."""

    def deactivate():
        user = User.objects.get(pk=alice.pk)
        user.is_active = False
        user.save()

    accepted, code, _ = await refused_after(deactivate, alice, hearing, sockets)
    assert (accepted, code) == (False, 4401)


# --- at once, from another process -----------------------------------------------------------


def in_another_process(code: str) -> None:
    """``code`` run by ``manage.py shell`` in a process of its own, on this test's database and
    Redis: its invalidation reaches this process only through Redis."""
    database = connections["default"].settings_dict
    url = (
        f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="gameplatform.settings",
        DATABASE_URL=url,
        REDIS_URL=settings.REDIS_URL,
        SECRET_KEY=settings.SECRET_KEY,
        DEBUG="0",
        RUN_TIMERS_IN_SERVER="0",
    )
    if database["PASSWORD"]:
        env["PGPASSWORD"] = database["PASSWORD"]
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]


async def test_changes_made_in_another_process_refuse_the_cached_users_at_once(hearing, sockets, alice, bob, carol):
    """Another process locks alice, ends bob's sessions and deletes carol: each one's next
    handshake here is refused, though this process kept their rows and made none of the changes."""
    tokens = {user: issued_earlier(user) for user in (alice, bob, carol)}
    for user, token in tokens.items():
        assert (await handshake(token, sockets))[0]
        await cached(hearing, user)
    outages = hearing.listener.outages

    await sync_to_async(in_another_process)(
        "from datetime import timedelta; from django.utils import timezone; from accounts.models import User; "
        "from accounts.locks import account_lock; from accounts.sessions import sessions_end; "
        "from accounts.services import user_delete; "
        f"account_lock(user_id={alice.pk}, until=timezone.now() + timedelta(hours=1)); "
        f"sessions_end(user_id={bob.pk}); user_delete(user=User.objects.get(pk={carol.pk}))"
    )
    # Each publish reached Redis before the other process ended: this process heard them before
    # its next handshake (a dropped listener would also serve nothing, but it did not drop).
    refusals = [await handshake(tokens[user], sockets) for user in (alice, bob, carol)]
    assert [(accepted, code) for accepted, code, _ in refusals] == [(False, 4403), (False, 4401), (False, 4401)]
    assert refusals[0][2]["code"] == "account_suspended"
    assert hearing.listener.outages == outages


async def test_the_channel_carries_each_invalidation_to_every_listener(alice, bob):
    """Two caches, each with a listener of its own (two processes' worth): an id published on the
    channel drops that user from both, and only that user; ``*`` drops everyone."""
    first, second = (usercache.UserCache(30, 100) for _ in range(2))
    for cache in (first, second):
        cache.listen()
    try:
        await eventually(lambda: first.hearing and second.hearing, what="both listening")
        for cache in (first, second):
            for user in (alice, bob):
                assert cache.put(user.pk, ("row", user.pk), cache.begin())
        await sync_to_async(get_redis().publish)(usercache.channel_name(), str(alice.pk))
        await eventually(lambda: first.get(alice.pk) is None and second.get(alice.pk) is None, what="alice dropped")
        assert first.get(bob.pk) == second.get(bob.pk) == ("row", bob.pk)
        await sync_to_async(get_redis().publish)(usercache.channel_name(), usercache.FORGET_ALL)
        await eventually(lambda: len(first) == len(second) == 0, what="everyone dropped")
    finally:
        for cache in (first, second):
            cache.listener.task.cancel()


# --- Redis away ------------------------------------------------------------------------------


@requires_redis_server
async def test_with_redis_away_the_cache_serves_nothing_and_handshakes_answer_from_the_database(
    own_redis,  # noqa: F811
    sockets,
    alice,
    bob,
):
    cache = usercache.get_user_cache()
    cache.listen()
    await eventually(lambda: cache.hearing, what="listening on the test's own Redis")
    for user in (alice, bob):
        assert (await handshake(access_token_for(user), sockets))[0]
        await cached(cache, user)

    own_redis.stop()
    await eventually(lambda: not cache.hearing, what="the cache noticing Redis gone", timeout=10)
    assert len(cache) == 0
    # A change another process made meanwhile (its publish could not reach this one): the database
    # decides. The echo socket needs no Redis of its own, so a fine user is still let in.
    await sync_to_async(lambda: User.objects.filter(pk=alice.pk).update(locked_until=LOCKED_FOREVER))()
    accepted, code, error = await handshake(access_token_for(alice), sockets)
    assert (accepted, code, error["code"]) == (False, 4403, "account_suspended")
    assert (await handshake(access_token_for(bob), sockets))[0]

    own_redis.start()  # back, empty: listening again, rows kept again
    await eventually(lambda: cache.hearing, what="listening again", timeout=10)
    assert (await handshake(access_token_for(bob), sockets))[0]
    await cached(cache, bob)


# --- bounded ---------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def hearing_cache(seconds: float, most: int, clock=None) -> usercache.UserCache:
    cache = usercache.UserCache(seconds, most, **({"clock": clock} if clock else {}))
    cache.set_hearing(True)
    return cache


@pytest.mark.django_db(transaction=False)
def test_the_cache_holds_at_most_its_size_the_oldest_go_first():
    cache = hearing_cache(30, 3)
    for user_id in range(1, 11):
        assert cache.put(user_id, ("row", user_id), cache.begin())
    assert len(cache) == 3
    assert [cache.get(user_id) for user_id in (7, 8, 9, 10)] == [None, ("row", 8), ("row", 9), ("row", 10)]


@pytest.mark.django_db(transaction=False)
def test_an_entry_is_served_for_its_seconds_then_released():
    clock = Clock()
    cache = hearing_cache(30, 100, clock)
    cache.put(1, "one", cache.begin())
    clock.now += 20
    cache.put(2, "two", cache.begin())
    clock.now += 9.9
    assert cache.get(1) == "one"
    clock.now += 0.2  # one's 30 s are up: gone at this look, not only unserved
    assert cache.get(2) == "two"
    assert len(cache) == 1
    clock.now += 30
    cache.get(2)
    assert len(cache) == 0


@pytest.mark.django_db(transaction=False)
def test_a_row_read_before_an_invalidation_is_not_kept():
    cache = hearing_cache(30, 100)
    epoch = cache.begin()  # the handshake starts reading
    cache.forget(1)  # a ban commits meanwhile (any user: the epoch is the process's)
    assert not cache.put(1, "read before the ban", epoch)
    assert cache.get(1) is None
    epoch = cache.begin()
    cache.set_hearing(False)  # the listener lost Redis while the row was read
    cache.set_hearing(True)
    assert not cache.put(1, "read while deaf", epoch)


@pytest.mark.django_db(transaction=False)
def test_nothing_is_kept_or_served_while_the_listener_does_not_hear():
    cache = hearing_cache(30, 100)
    cache.put(1, "one", cache.begin())
    cache.set_hearing(False)
    assert cache.get(1) is None and len(cache) == 0
    assert not cache.put(1, "one", cache.begin())


@pytest.mark.django_db(transaction=False)
def test_no_cache_without_redis_or_with_zero_seconds(settings):
    settings.WS_USER_CACHE_SECONDS = 0
    assert not usercache.enabled()
    settings.WS_USER_CACHE_SECONDS = 30
    settings.REDIS_URL = ""
    assert not usercache.enabled()
