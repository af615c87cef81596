"""The project's Redis clients (rate limits, presence, locks): one per process for
threads, one per event loop for the loop itself.

Blocking pools: when every connection is busy a caller waits for one
(``timeout`` seconds) instead of failing with ``MaxConnectionsError``.

With ``REDIS_SENTINELS`` every pool here, and the cache's (its ``pool_class``), asks the
sentinels for the current primary each time it opens a connection: after a failover the
connections to the old primary fail, the retry opens new ones, and those reach the replica
the sentinels promoted. The channel layer does the same through channels-redis's own
Sentinel support (``gameplatform.data.redisconf``).
"""

import functools

import redis
import redis.asyncio
import redis.asyncio.sentinel
import redis.sentinel
from django.conf import settings
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff

from gameplatform.core.loops import per_loop
from gameplatform.data import redisconf


def _sentinel_kwargs() -> dict:
    return redisconf.sentinel_kwargs(
        password=settings.REDIS_SENTINEL_PASSWORD,
        connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
    )


def sentinel() -> redis.sentinel.Sentinel:
    """The sentinels of the settings, for the threads' clients (a new client each call; it connects lazily)."""
    return redis.sentinel.Sentinel(settings.REDIS_SENTINELS, sentinel_kwargs=_sentinel_kwargs())


class SentinelBlockingPool(redis.sentinel.SentinelConnectionPool, redis.BlockingConnectionPool):
    """A blocking pool of connections to the primary that the sentinels name.

    ``from_url`` is how Django's RedisCache builds the pool of its ``pool_class`` option: the
    URL gives the database and password, the settings give the sentinels and the primary's name.
    """

    @classmethod
    def from_url(cls, url: str, **kwargs):
        kwargs.pop("service_name", None)
        return cls(
            settings.REDIS_SENTINEL_MASTER,
            sentinel(),
            **{**kwargs, **redisconf.primary_options(url)},
        )


class AsyncSentinelBlockingPool(redis.asyncio.sentinel.SentinelConnectionPool, redis.asyncio.BlockingConnectionPool):
    """The asyncio twin of ``SentinelBlockingPool`` (its sentinel clients belong to one event loop)."""

    @classmethod
    def from_url(cls, url: str, **kwargs):
        manager = redis.asyncio.sentinel.Sentinel(settings.REDIS_SENTINELS, sentinel_kwargs=_sentinel_kwargs())
        return cls(settings.REDIS_SENTINEL_MASTER, manager, **{**kwargs, **redisconf.primary_options(url)})


def _pool(pool_class, sentinel_pool_class, retry):
    if not settings.REDIS_URL:
        raise RuntimeError("REDIS_URL is not set")
    return (sentinel_pool_class if settings.REDIS_SENTINELS else pool_class).from_url(
        settings.REDIS_URL,
        max_connections=settings.REDIS_MAX_CONNECTIONS,
        timeout=5,
        socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
        retry=retry,
    )


@functools.cache
def get_redis() -> redis.Redis:
    pool = _pool(redis.BlockingConnectionPool, SentinelBlockingPool, settings.REDIS_RETRY)
    return redis.Redis(connection_pool=pool)


def _async_client() -> redis.asyncio.Redis:
    pool = _pool(redis.asyncio.BlockingConnectionPool, AsyncSentinelBlockingPool, settings.REDIS_ASYNC_RETRY)
    return redis.asyncio.Redis(connection_pool=pool)


# For coroutines on the server's event loop: a command costs one round trip and no thread hop.
get_async_redis = per_loop(_async_client)


def pubsub_client() -> redis.asyncio.Redis:
    """A client of its own for one pub/sub subscriber that must see every failure of its
    connection (``gameplatform.sockets.usercache``): no retries, so redis-py never reconnects and
    subscribes again behind its back, when messages published in between would be lost unseen.
    The caller closes it and its pool (``aclose(close_connection_pool=True)``)."""
    pool = _pool(redis.asyncio.BlockingConnectionPool, AsyncSentinelBlockingPool, AsyncRetry(NoBackoff(), 0))
    return redis.asyncio.Redis(connection_pool=pool)


def reset_redis() -> None:
    """Forget the shared clients (the threads' pool is disconnected): tests that point REDIS_URL elsewhere."""
    if get_redis.cache_info().currsize:
        get_redis().connection_pool.disconnect()
    get_redis.cache_clear()
    get_async_redis.clear()


def redis_enabled() -> bool:
    return bool(settings.REDIS_URL)
