"""The project's Redis clients (rate limits, presence, locks): one per process for
threads, one per event loop for the loop itself.

Blocking pools: when every connection is busy a caller waits for one
(``timeout`` seconds) instead of failing with ``MaxConnectionsError``.
"""

import functools

import redis
import redis.asyncio
from django.conf import settings

from gameplatform.loops import per_loop


def _pool(pool_class, retry):
    if not settings.REDIS_URL:
        raise RuntimeError("REDIS_URL is not set")
    return pool_class.from_url(
        settings.REDIS_URL,
        max_connections=settings.REDIS_MAX_CONNECTIONS,
        timeout=5,
        socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
        retry=retry,
    )


@functools.cache
def get_redis() -> redis.Redis:
    return redis.Redis(connection_pool=_pool(redis.BlockingConnectionPool, settings.REDIS_RETRY))


def _async_client() -> redis.asyncio.Redis:
    pool = _pool(redis.asyncio.BlockingConnectionPool, settings.REDIS_ASYNC_RETRY)
    return redis.asyncio.Redis(connection_pool=pool)


# For coroutines on the server's event loop: a command costs one round trip and no thread hop.
get_async_redis = per_loop(_async_client)


def reset_redis() -> None:
    """Forget the shared clients (the threads' pool is disconnected): tests that point REDIS_URL elsewhere."""
    if get_redis.cache_info().currsize:
        get_redis().connection_pool.disconnect()
    get_redis.cache_clear()
    get_async_redis.clear()


def redis_enabled() -> bool:
    return bool(settings.REDIS_URL)
