"""Django's default cache as one object per process.

``django.core.cache.cache`` is kept per thread and per context (asgiref's ``Local``), and
every unit of work runs in a fresh copy of the context (``gameplatform.db``): each unit that
touched it made a new ``RedisCache`` with a new connection pool, that is a new TCP connection
to Redis (plus redis-py's ``CLIENT SETINFO`` round trips) per request, closed again when the
object was collected. The backends are safe to share between threads (redis-py's pool,
local memory's lock), so one instance serves them all.
"""

from django.core.cache import caches
from django.utils.functional import SimpleLazyObject

cache = SimpleLazyObject(lambda: caches.create_connection("default"))
