"""Redis through Sentinel, for real: a primary, a replica and three sentinels started here.

Every Redis user of the platform is pointed at the sentinels exactly as the settings do it
(``REDIS_SENTINELS``, ``REDIS_SENTINEL_MASTER``): the cache and the WebSocket tickets in it,
rate limits (threads and event loop), presence, the timers' lease, game rooms' leases and the
channel layer. The primary is then killed (SIGKILL); the sentinels promote the replica, and
every user works again on it, each within the measured time.
"""

import asyncio
import threading
import time
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.core.cache import cache

from accounts.services import ws_ticket_issue, ws_ticket_redeem
from gameplatform.data import db, ratelimit, redisconf
from gameplatform.data.redis import SentinelBlockingPool, get_redis
from gameplatform.operations.timers import TimerLease, lease_key
from gameplatform.rooms import room_store
from gameplatform.sockets import presence
from gameplatform.tests.redis_servers import redis_servers, requires_sentinel, wait_until  # noqa: F401
from gameplatform.tests.test_faults import reset_redis_clients

pytestmark = [requires_sentinel, pytest.mark.timeout(90)]

MASTER = "gpmaster"
DOWN_AFTER_MS = 1000
RECOVERY_LIMIT = 20.0  # seconds from the kill until each user works again


def monitored(primary) -> str:
    return (
        f"sentinel monitor {MASTER} 127.0.0.1 {primary.port} 2\n"
        f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}\n"
        f"sentinel failover-timeout {MASTER} 3000\n"
        f"sentinel parallel-syncs {MASTER} 1\n"
    )


def sentinel_cluster(servers):
    """A primary, its replica (in sync) and three sentinels that all know both and each other."""
    primary = servers.redis()
    replica = servers.redis(f"replicaof 127.0.0.1 {primary.port}\n")
    wait_until(
        lambda: replica.client().info("replication")["master_link_status"] == "up", timeout=10, what="replica in sync"
    )
    # Started after the replica is in sync: their first look at the primary lists it.
    sentinels = [servers.sentinel(monitored(primary)) for _ in range(3)]

    def all_know_everyone():
        for sentinel in sentinels:
            client = sentinel.client()
            if len(client.sentinel_slaves(MASTER)) != 1 or len(client.sentinel_sentinels(MASTER)) != 2:
                return False
        return True

    wait_until(all_know_everyone, timeout=30, what="the sentinels to know the replica and each other", every=0.2)
    return primary, replica, sentinels


@pytest.fixture
def through_sentinel(redis_servers, settings):  # noqa: F811
    """The settings of a deployment whose Redis is the Sentinel-managed primary ``MASTER``."""
    primary, replica, sentinels = sentinel_cluster(redis_servers)
    settings.REDIS_URL = "redis://gpmaster/0"  # host unused through Sentinel; database 0
    settings.REDIS_SENTINELS = [sentinel.address for sentinel in sentinels]
    settings.REDIS_SENTINEL_MASTER = MASTER
    settings.REDIS_SENTINEL_PASSWORD = ""
    settings.CHANNEL_REDIS_URLS = []
    common = {
        "redis_url": settings.REDIS_URL,
        "sentinels": settings.REDIS_SENTINELS,
        "connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
        "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
    }
    settings.CACHES = {
        "default": redisconf.cache(**common, max_connections=settings.REDIS_MAX_CONNECTIONS, retry=settings.REDIS_RETRY)
    }
    settings.CHANNEL_LAYERS = {
        "default": redisconf.channel_layer(
            **common,
            master=MASTER,
            sentinel_password="",
            shard_urls=[],
            retry=settings.REDIS_ASYNC_RETRY,
        )
    }
    reset_redis_clients()
    yield primary, replica
    reset_redis_clients()


# --- each Redis user, as the platform uses it; each raises when it cannot do its work --------


def use_cache() -> None:
    value = uuid.uuid4().hex
    cache.set("sentinel-check", value, 30)
    assert cache.get("sentinel-check") == value


def use_ticket(user) -> None:
    ticket = ws_ticket_issue(user=user)["ticket"]
    assert ws_ticket_redeem(ticket=ticket) == user
    assert ws_ticket_redeem(ticket=ticket) is None  # once


def use_rate_limit() -> None:
    key = f"sentinel:{uuid.uuid4().hex}"
    assert ratelimit.hit(key, limit=1, window=60).allowed
    assert not ratelimit.hit(key, limit=1, window=60).allowed


def use_presence(user_id: int) -> None:
    store = presence.RedisStore()
    conn = uuid.uuid4().hex
    store.open([(user_id, conn, ("lobby:1",))])
    assert store.states([user_id])[user_id][0] is True
    assert store.is_present(user_id, "lobby:1")
    store.close([(user_id, conn, ("lobby:1",))])
    assert store.states([user_id])[user_id][0] is False


def use_timer_lease() -> None:
    lease = TimerLease()
    get_redis().delete(lease_key())  # a new runner each try: the lease is free for it
    assert lease.held() and not lease.unreachable


async def use_async_rate_limit() -> None:
    key = f"sentinel:{uuid.uuid4().hex}"
    assert (await ratelimit.ahit(key, limit=1, window=60)).allowed
    assert not (await ratelimit.ahit(key, limit=1, window=60)).allowed


async def use_room_store() -> None:
    store, game_id, owner = room_store(), uuid.uuid4().int % 1_000_000_000, uuid.uuid4().hex
    assert await store.claim(game_id, owner)
    assert await store.owners([game_id]) == {game_id: owner}
    await store.save(game_id, '{"turn": 1}')
    assert await store.load(game_id) == '{"turn": 1}'
    await store.release(game_id, owner)


async def use_channel_layer() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = f"sentinel_{uuid.uuid4().hex[:8]}"
    await layer.group_add(group, channel)
    await layer.group_send(group, {"type": "check", "group": group})
    message = await asyncio.wait_for(layer.receive(channel), timeout=2)
    assert message == {"type": "check", "group": group}
    await layer.group_discard(group, channel)


def users(alice) -> dict:
    """Each Redis user by name, as a coroutine function."""
    return {
        "cache": sync_to_async(use_cache, thread_sensitive=False),
        "tickets": lambda: db.run(use_ticket, alice),  # a unit of database work, as the app runs it
        "rate limits": sync_to_async(use_rate_limit, thread_sensitive=False),
        "rate limits (event loop)": use_async_rate_limit,
        "presence": sync_to_async(lambda: use_presence(alice.pk), thread_sensitive=False),
        "timer lease": sync_to_async(use_timer_lease, thread_sensitive=False),
        "rooms (leases, snapshots)": use_room_store,
        "channel layer": use_channel_layer,
    }


async def seconds_until_it_works(use, started: float) -> float:
    """Tries ``use`` until it succeeds; the time from ``started`` (the kill) to that success."""
    while True:
        try:
            await use()
            return time.monotonic() - started
        except Exception:  # noqa: BLE001 - down until the sentinels promote the replica
            if time.monotonic() - started > RECOVERY_LIMIT:
                raise
            await asyncio.sleep(0.1)


@pytest.mark.django_db(transaction=True)
async def test_every_redis_user_works_through_sentinel_and_again_after_the_primary_is_killed(
    through_sentinel, alice, capsys
):
    primary, replica = through_sentinel
    checks = users(alice)
    for use in checks.values():
        await use()  # all on the primary
    assert primary.client().dbsize() > 0 and primary.client().pubsub_channels()  # it is the primary they use

    primary.kill()
    killed = time.monotonic()
    times = await asyncio.gather(*(seconds_until_it_works(use, killed) for use in checks.values()))
    recovered = dict(zip(checks, times, strict=True))

    assert replica.client().info("replication")["role"] == "master"  # promoted by the sentinels
    assert all(seconds < RECOVERY_LIMIT for seconds in recovered.values()), recovered
    with capsys.disabled():
        print(
            f"\nSentinel failover (down-after {DOWN_AFTER_MS} ms): every Redis user works again after "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in recovered.items())
        )


def test_a_pool_through_sentinel_waits_for_a_free_connection_instead_of_failing(redis_servers, settings):  # noqa: F811
    primary = redis_servers.redis()
    sentinel = redis_servers.sentinel(f"sentinel monitor {MASTER} 127.0.0.1 {primary.port} 1\n")
    settings.REDIS_SENTINELS = [sentinel.address]
    settings.REDIS_SENTINEL_MASTER = MASTER
    pool = SentinelBlockingPool.from_url(f"redis://{MASTER}/0", max_connections=1, timeout=2)
    busy = pool.get_connection()
    assert (busy.host, busy.port) == primary.address  # the primary the sentinel named
    threading.Timer(0.3, pool.release, [busy]).start()
    started = time.monotonic()
    waited_for = pool.get_connection()
    assert 0.2 < time.monotonic() - started < 2  # it waited for the busy one, then got it
    pool.release(waited_for)
    pool.disconnect()
