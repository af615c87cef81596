"""The default cache is one object per process: units of work do not open a Redis connection each."""

import asyncio

import pytest
import redis
from django.conf import settings

from conftest import requires_redis
from gameplatform.core.cache import cache
from gameplatform.data import db

# Counts the connections the whole Redis server received: `make test` runs it alone (marker
# `serial`), where no other worker's tests connect meanwhile.
pytestmark = [pytest.mark.serial, requires_redis, pytest.mark.django_db(transaction=True)]


def _connections_received() -> int:
    return redis.Redis.from_url(settings.REDIS_URL).info("stats")["total_connections_received"]


def _touch_cache(n: int) -> int:
    cache.set(f"test:shared-cache:{n}", n, timeout=10)
    return cache.get(f"test:shared-cache:{n}")


async def test_two_hundred_units_using_the_cache_share_a_few_redis_connections():
    await db.run(_touch_cache, -1)  # the pool's first connections
    before = await asyncio.to_thread(_connections_received)
    results = await asyncio.gather(*(db.run(_touch_cache, n) for n in range(200)))
    assert results == list(range(200))
    opened = await asyncio.to_thread(_connections_received) - before - 1  # -1: the count's own client
    # At most one per worker thread running at once; a cache object per unit opened 200.
    assert opened <= settings.DB_WORKERS


def test_a_change_of_caches_is_used_from_the_next_call(settings):
    cache.set("test:shared-cache:which", "redis", timeout=10)
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test-shared-cache"}
    }
    assert cache.get("test:shared-cache:which") is None  # a new backend, not the old one
    cache.set("test:shared-cache:which", "local memory", timeout=10)
    assert cache.get("test:shared-cache:which") == "local memory"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert cache.get("test:shared-cache:which") is None
