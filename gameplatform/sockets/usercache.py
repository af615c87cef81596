"""A socket's user without the database: a short-lived, bounded copy per process, kept true by Redis.

A handshake with an access token needs the token's user (its row: active, deleted, when its
sessions ended, locked until when, staff flags). Reading it was a query and a hop to a database
worker on every handshake; a client that reconnects, or a page that opens its notification,
friends and lobby sockets at once, asked for the same row again and again. Each server process
keeps the rows it read, by user id:

- **short-lived**: an entry is served for ``WS_USER_CACHE_SECONDS`` (default 30) after it was
  read, then read again; **bounded**: at most ``WS_USER_CACHE_SIZE`` entries (default 10,000), the
  oldest dropped first. Expired entries go at the next look (``get`` and ``put`` drop them from
  the front: the entries are kept in the order they were read, which is the order they expire).
- **forgotten at once** when the row changes: ``forget_on_commit(user_id)`` (the accounts app
  calls it for every write of a user's row: ``User.save``, a lock or its lift, sessions ended,
  a deletion; ``lockout.close_sockets_on_commit`` calls it too) drops the entry in every cache of
  this process when the transaction commits, then publishes the id on one Redis channel
  (``channel_name()``) that every server process listens on, and each drops it there.
- **served only while it can hear**: each process listens on that channel with a connection of
  its own (``Listener``), and a process serves entries only while that connection is subscribed
  (confirmed by Redis on the connection itself) and answering: a PING every
  ``PING_SECONDS`` when the channel is quiet, and no answer for ``QUIET_SECONDS`` counts as
  gone. When it fails (Redis restarted or away, a broken connection) the entries are dropped and
  handshakes read the database, as without the cache, until it is subscribed again; an
  invalidation published meanwhile is not missed, since nothing read before is served after.
  Not the channel layer's connections: channels-redis (through redis-py) reconnects and
  subscribes again without a word, and messages published in between are lost unseen.

A read that raced an invalidation is not kept: ``put`` takes the ``epoch`` the reader saw before
it read (``begin``); any invalidation, and any loss or return of the listener, moves the epoch,
and a ``put`` of another epoch keeps nothing. Without Redis (``REDIS_URL`` unset) or with
``WS_USER_CACHE_SECONDS=0`` there is no cache: every handshake reads the database.

What a row is and what makes a user of it is the accounts app's (``wsauth.token_user_row`` and
``wsauth.token_user``); the kit keeps it as it is. A hit costs no database worker and no query.
"""

import asyncio
import itertools
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from django.db import transaction

from gameplatform.core.loops import per_loop
from gameplatform.data import redisconf
from gameplatform.data.redis import get_redis, pubsub_client

logger = logging.getLogger(__name__)

FORGET_ALL = "*"
PING_SECONDS = 1.0  # a PING on the listener's connection after this long without a message
QUIET_SECONDS = 3.0  # ...and the connection counts as gone after this long without any answer
RETRY_FIRST, RETRY_MOST = 0.1, 2.0  # the listener's waits between attempts to subscribe again


def channel_name() -> str:
    """The channel every process listens on. Pub/sub channels are not per database: the name
    carries ``REDIS_URL``'s database number, as the channel layer's prefix does, so deployments
    (and test workers) that share a Redis server keep their invalidations apart."""
    return f"gp{redisconf.url_db(settings.REDIS_URL)}:ws-users"


def enabled() -> bool:
    return bool(settings.REDIS_URL) and settings.WS_USER_CACHE_SECONDS > 0


class UserCache:
    """The rows of one event loop's process (``get_user_cache``), while its listener hears."""

    def __init__(self, seconds: float, most: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.most, self.clock = seconds, most, clock
        self._rows: OrderedDict[int, tuple[float, object]] = OrderedDict()  # id -> (expires at, row)
        self._lock = threading.Lock()  # invalidations come from database workers' threads too
        self._epochs = itertools.count(1)
        self.epoch = 0
        self.hearing = False  # the listener is subscribed and answering
        self.listener: Listener | None = None
        with _CACHES_LOCK:
            _CACHES.add(self)

    def __len__(self) -> int:
        return len(self._rows)

    def __bool__(self) -> bool:  # a cache is a cache, empty or not (``if cache:`` means "there is one")
        return True

    def begin(self) -> int:
        """Before a read of the database: the epoch to ``put`` the row with."""
        return self.epoch

    def get(self, user_id: int):
        """The row of ``user_id`` read less than ``seconds`` ago, None when there is none or the
        listener does not hear (then nothing is served)."""
        if not self.hearing:
            return None
        now = self.clock()
        with self._lock:
            self._drop_expired(now)
            held = self._rows.get(user_id)
        return None if held is None else held[1]

    def put(self, user_id: int, row, epoch: int) -> bool:
        """Keep ``row`` (read after ``begin`` returned ``epoch``); not when anything was forgotten
        since, or when the listener does not hear."""
        now = self.clock()
        with self._lock:
            if not self.hearing or epoch != self.epoch:
                return False
            self._rows.pop(user_id, None)
            self._rows[user_id] = (now + self.seconds, row)
            self._drop_expired(now)
            while len(self._rows) > self.most:
                self._rows.popitem(last=False)
        return True

    def _drop_expired(self, now: float) -> None:
        rows = self._rows
        while rows:
            expires_at = next(iter(rows.values()))[0]
            if expires_at > now:
                return
            rows.popitem(last=False)

    def forget(self, user_id: int) -> None:
        with self._lock:
            self.epoch = next(self._epochs)
            self._rows.pop(user_id, None)

    def forget_all(self) -> None:
        with self._lock:
            self.epoch = next(self._epochs)
            self._rows.clear()

    def heard(self, data) -> None:
        """A message of the channel: a user id, or ``*`` for every user."""
        text = data.decode() if isinstance(data, bytes) else str(data)
        if text == FORGET_ALL:
            self.forget_all()
            return
        try:
            user_id = int(text)
        except ValueError:
            logger.warning("the user cache's channel carried %r; every entry dropped", text[:80])
            self.forget_all()
            return
        self.forget(user_id)

    def set_hearing(self, hearing: bool) -> None:
        """The listener (re)subscribed or lost its connection: either way nothing held before is
        served after (an invalidation may have been missed in between)."""
        with self._lock:
            self.epoch = next(self._epochs)
            self._rows.clear()
            self.hearing = hearing

    def listen(self) -> None:
        """Start the listener on the running loop, once (a task: the caller does not wait for it)."""
        if self.listener is None:
            self.listener = Listener(self)
            self.listener.start()


class Listener:
    """One process's subscription to ``channel_name()``, on a Redis connection of its own."""

    def __init__(self, cache: UserCache) -> None:
        self.cache = cache
        self.task: asyncio.Task | None = None
        self.outages = 0  # connections lost or never made (a test reads it)

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        wait = RETRY_FIRST
        while True:
            client = pubsub = None
            try:
                client = pubsub_client()
                pubsub = client.pubsub()
                await self._subscribe(pubsub)
                self.cache.set_hearing(True)
                wait = RETRY_FIRST
                await self._hear(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure means: not hearing
                self.outages += 1
                level = logging.WARNING if self.cache.hearing else logging.DEBUG  # once per outage
                logger.log(level, "the user cache stopped listening (handshakes read the database): %r", exc)
            finally:
                self.cache.set_hearing(False)
                await _close(pubsub, client)
            await asyncio.sleep(wait)
            wait = min(wait * 2, RETRY_MOST)

    async def _subscribe(self, pubsub) -> None:
        """Subscribed when Redis says so on this connection: what is published after is heard."""
        await pubsub.subscribe(channel_name())
        async with asyncio.timeout(QUIET_SECONDS):
            while True:
                message = await _next(pubsub, QUIET_SECONDS)
                if message is not None and message["type"] == "subscribe":
                    return

    async def _hear(self, pubsub) -> None:
        loop = asyncio.get_running_loop()
        heard_at = loop.time()
        while True:
            message = await _next(pubsub, PING_SECONDS)
            now = loop.time()
            if message is None:
                if now - heard_at >= QUIET_SECONDS:
                    raise TimeoutError(f"no answer from Redis for {now - heard_at:.1f} s")
                await pubsub.ping()  # answered with a pong on this connection
                continue
            heard_at = now
            if message["type"] == "message":
                self.cache.heard(message["data"])


async def _next(pubsub, timeout: float):
    """The connection's next message, None after ``timeout`` seconds without one.

    A cancellation that lands as redis-py's read times out can be taken for the timeout (the read's
    ``asyncio.timeout`` turns it into a ``TimeoutError``, which redis-py answers with None): the
    task is left cancelling but runs on, and a loop closing at the end of a test waited for it for
    good. So a cancelled task raises here whatever the read answered."""
    message = await pubsub.get_message(timeout=timeout)
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
    return message


async def _close(pubsub, client) -> None:
    try:
        if pubsub is not None:
            await pubsub.aclose()
        if client is not None:
            await client.aclose(close_connection_pool=True)
    except Exception:  # noqa: BLE001 - a broken connection may fail to close too
        pass


_CACHES: "weakref.WeakSet[UserCache]" = weakref.WeakSet()  # every cache of this process
_CACHES_LOCK = threading.Lock()  # a database worker's ``forget`` may meet a loop's first handshake


def _new_cache() -> UserCache | None:
    if not enabled():
        return None
    return UserCache(settings.WS_USER_CACHE_SECONDS, settings.WS_USER_CACHE_SIZE)


get_user_cache = per_loop(_new_cache)
"""The running loop's cache (one per server process), None when there is none (no Redis, or off)."""


def listen_here() -> None:
    """Start this process's listener, when it has a cache (the server's start; daphne: its first
    connection): the sooner it hears, the sooner rows are kept."""
    cache = get_user_cache()
    if cache is not None:
        cache.listen()


def forget(user_id: int | None = None) -> None:
    """Drop ``user_id`` (None: every user) from every cache of this process now, and publish it
    to the others. A publish that fails is logged: the others then drop it when its
    entry expires (``WS_USER_CACHE_SECONDS``), or at once if they lost Redis too."""
    with _CACHES_LOCK:
        caches = tuple(_CACHES)
    for cache in caches:
        if user_id is None:
            cache.forget_all()
        else:
            cache.forget(user_id)
    if not settings.REDIS_URL:
        return
    try:
        get_redis().publish(channel_name(), FORGET_ALL if user_id is None else str(int(user_id)))
    except Exception as exc:  # noqa: BLE001 - Redis away: logged, the entries expire
        logger.warning("the user cache's invalidation of %s was not published: %r", user_id or "every user", exc)


def forget_on_commit(user_id: int | None = None) -> None:
    """``forget`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: forget(user_id), robust=True)
