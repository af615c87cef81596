"""The project's Redis client (rate limits, presence, locks), shared per process.

A blocking pool: when every connection is busy a caller waits for one
(``timeout`` seconds) instead of failing with ``MaxConnectionsError``.
"""

import functools

import redis
from django.conf import settings


@functools.cache
def get_redis() -> redis.Redis:
    if not settings.REDIS_URL:
        raise RuntimeError("REDIS_URL is not set")
    pool = redis.BlockingConnectionPool.from_url(
        settings.REDIS_URL,
        max_connections=settings.REDIS_MAX_CONNECTIONS,
        timeout=5,
        socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
        retry=settings.REDIS_RETRY,
    )
    return redis.Redis(connection_pool=pool)


def reset_redis() -> None:
    """Forget the shared client (its pool is disconnected): tests that point REDIS_URL elsewhere."""
    if get_redis.cache_info().currsize:
        get_redis().connection_pool.disconnect()
    get_redis.cache_clear()


def redis_enabled() -> bool:
    return bool(settings.REDIS_URL)
