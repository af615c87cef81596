"""Django's default cache as one object per process.

``django.core.cache.cache`` is kept per thread and per context (asgiref's ``Local``), and
every unit of work runs in a fresh copy of the context (``gameplatform.data.db``): each unit that
touched it made a new ``RedisCache`` with a new connection pool, that is a new TCP connection
to Redis (plus redis-py's ``CLIENT SETINFO`` round trips) per request, closed again when the
object was collected. The backends are safe to share between threads (redis-py's pool,
local memory's lock), so one instance serves them all. A change of ``CACHES`` (tests) makes
the next use build it again, as Django's own handler does.
"""

import functools

from django.core.cache import caches
from django.core.signals import setting_changed


@functools.cache
def default_cache():
    """The process's one instance of the ``default`` cache, made on first use."""
    return caches.create_connection("default")


class SharedCache:
    """The default cache's methods (``cache.get``, ``cache.set``...), on the shared instance."""

    def __getattr__(self, name: str):
        return getattr(default_cache(), name)


cache = SharedCache()


def _forget_on_new_settings(*, setting: str, **kwargs) -> None:
    if setting == "CACHES":
        default_cache.cache_clear()


setting_changed.connect(_forget_on_new_settings)
