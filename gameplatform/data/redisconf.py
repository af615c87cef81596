"""Where the platform's Redis is, as settings: one server, or a primary that Sentinel names.

``gameplatform/settings.py`` builds the channel layer's and the cache's settings with these
functions, and the tests that start their own Redis servers build them the same way. Nothing
here connects; the clients themselves are made in ``gameplatform.data.redis``.

- ``REDIS_URL`` is always the platform's Redis: its database number, user and password. Without
  sentinels its host and port are the server; with ``REDIS_SENTINELS`` and
  ``REDIS_SENTINEL_MASTER`` every client asks the sentinels for the current primary of that
  name instead (and again after a failover), and the URL's host is not used.
- ``CHANNEL_REDIS_URLS`` optionally moves the channel layer to servers of its own: independent
  Redis servers over which channels-redis spreads channels and groups by a hash of their name.
"""

from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured


def parse_sentinels(items: list[str]) -> list[tuple[str, int]]:
    """``["10.0.0.1:26379", ...]`` as (host, port) pairs; a missing or bad port stops start-up."""
    sentinels = []
    for item in items:
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit():
            raise ImproperlyConfigured(f"REDIS_SENTINELS takes host:port items separated by commas; got {item!r}")
        sentinels.append((host.strip("[]"), int(port)))
    return sentinels


def url_db(url: str) -> str:
    """The database number a Redis URL names ("0" when it names none)."""
    return (urlparse(url).path or "/0").lstrip("/") or "0"


def primary_options(url: str) -> dict:
    """What a client of the Sentinel-named primary takes from ``REDIS_URL``: database, user, password."""
    parsed = urlparse(url)
    options: dict = {"db": int(url_db(url))}
    if parsed.username:
        options["username"] = parsed.username
    if parsed.password:
        options["password"] = parsed.password
    return options


def sentinel_kwargs(*, password: str, connect_timeout: float, socket_timeout: float) -> dict:
    """How the clients talk to the sentinels themselves: the same short timeouts as to Redis."""
    options = {"socket_connect_timeout": connect_timeout, "socket_timeout": socket_timeout}
    if password:
        options["password"] = password
    return options


def channel_layer(
    *,
    redis_url: str,
    sentinels: list[tuple[str, int]],
    master: str,
    sentinel_password: str,
    shard_urls: list[str],
    connect_timeout: float,
    socket_timeout: float,
    retry,
    connections: int = 1,
) -> dict:
    """The ``default`` channel layer: pub/sub on the platform's Redis, or sharded over ``shard_urls``.

    ``connections``: how many of channels-redis's shards each server is listed as. Its pub/sub
    layer sends a shard's commands one at a time (a lock around each PUBLISH and SUBSCRIBE, one
    connection each way), and a group always goes to the same shard; listing a server N times
    gives N publishing connections to it, and groups spread over them. Every process must use
    the same list (and so the same N), as with ``shard_urls``."""
    client = {
        "socket_connect_timeout": connect_timeout,
        "socket_timeout": socket_timeout,
        "retry": retry,
        # The subscriber connection pings when idle, so one that died silently is
        # noticed and reconnected (it resubscribes itself).
        "health_check_interval": 10,
    }
    if shard_urls:
        hosts = [{"address": url, **client} for url in shard_urls]
    elif sentinels:
        hosts = [
            {
                "master_name": master,
                "sentinels": sentinels,
                "sentinel_kwargs": sentinel_kwargs(
                    password=sentinel_password, connect_timeout=connect_timeout, socket_timeout=socket_timeout
                ),
                **primary_options(redis_url),
                **client,
            }
        ]
    else:
        hosts = [{"address": redis_url, **client}]
    hosts = [dict(host) for host in hosts for _ in range(connections)]
    return {
        # Pub/sub keeps no group membership in Redis (nothing goes stale when
        # many sockets close at once) and queues locally without a capacity
        # limit (nothing is dropped in a burst). See gameplatform/broadcast/hub.py.
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": hosts,
            # Redis pub/sub channels are not scoped to a database number, so the
            # database number goes into every channel-layer name: two deployments (or
            # two test runs) on one Redis with different databases never hear each other.
            "prefix": f"gp{url_db(redis_url)}:",
        },
    }


def cache(
    *,
    redis_url: str,
    sentinels: list[tuple[str, int]],
    max_connections: int,
    connect_timeout: float,
    socket_timeout: float,
    retry,
) -> dict:
    """The ``default`` cache on the platform's Redis (Django's RedisCache).

    Through Sentinel the cache builds its pool with ``gameplatform.data.redis.SentinelBlockingPool``
    (RedisCache's ``pool_class`` option), which asks the sentinels for the primary.
    """
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_url,
        "KEY_PREFIX": "gp",
        "OPTIONS": {
            # Blocking pool: under a spike callers wait for a connection
            # instead of failing with MaxConnectionsError.
            "pool_class": "gameplatform.data.redis.SentinelBlockingPool"
            if sentinels
            else "redis.BlockingConnectionPool",
            "max_connections": max_connections,
            "timeout": 5,
            "socket_connect_timeout": connect_timeout,
            "socket_timeout": socket_timeout,
            "retry": retry,
        },
    }
