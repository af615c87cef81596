"""Presence: who has at least one authenticated socket open, on any process.

The base consumer opens a presence entry for every accepted socket and closes
it on disconnect, so every route counts and several tabs are one presence.

With ``REDIS_URL`` the bookkeeping lives in Redis, shared by every process:

- ``presence:user:<id>``  sorted set: that user's open sockets, scored by a deadline;
- ``presence:conns``      sorted set: every open socket (``<id>|<conn>``) by deadline;
- ``presence:online``     set: the users currently announced online;
- ``presence:ver``        hash: a per-user change counter, so a client can drop
  an event that arrives after a newer one.

Each process refreshes the deadlines of its own sockets with one script call
every ``PRESENCE_TTL_SECONDS / 4`` seconds; a deadline is ``lifetime_seconds()``
ahead (``0.75 * TTL`` for TTL >= 4 s: two missed beats are tolerated). A process that dies stops refreshing; the
``friends.presence_sweep`` timer removes its expired sockets and reports who went
offline. Every change (open, close, refresh, sweep) is one Lua script, so the
online/offline transition of a user is decided once, whichever process or timer
runner gets there first: that is what makes "exactly once per real change" hold.

Without Redis, a process-local store (the embedded single-process setup).

Transitions are handed to an announcer the friends app registers
(``set_announcer``); this module knows nothing about friends.
"""

import asyncio
import logging
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from django.conf import settings

from gameplatform.loops import per_loop
from gameplatform.redis import get_redis, redis_enabled

logger = logging.getLogger(__name__)

ONLINE, OFFLINE = "online", "offline"
SWEEP_BATCH = 500
OPEN_BATCH = 1000

_NOW_MS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# ARGV[1] lifetime in ms, then pairs (user id, conn id). Returns {uid, version, ...} of users who came online.
_OPEN = (
    _NOW_MS
    + """
local deadline = now + tonumber(ARGV[1])
local changed = {}
for i = 2, #ARGV, 2 do
  local uid, conn = ARGV[i], ARGV[i + 1]
  redis.call('ZADD', 'presence:user:' .. uid, deadline, conn)
  redis.call('ZADD', 'presence:conns', deadline, uid .. '|' .. conn)
  if redis.call('SADD', 'presence:online', uid) == 1 then
    table.insert(changed, uid)
    table.insert(changed, redis.call('HINCRBY', 'presence:ver', uid, 1))
  end
end
return changed
"""
)

# Shared by close and sweep: drop a user's expired sockets; offline when none is left.
_SETTLE = """
local function settle(uid, changed)
  local key = 'presence:user:' .. uid
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) == 0 and redis.call('SREM', 'presence:online', uid) == 1 then
    table.insert(changed, uid)
    table.insert(changed, redis.call('HINCRBY', 'presence:ver', uid, 1))
  end
end
"""

# ARGV: user id, conn id. Returns {uid, version} when the user went offline.
_CLOSE = (
    _NOW_MS
    + _SETTLE
    + """
local changed = {}
redis.call('ZREM', 'presence:user:' .. ARGV[1], ARGV[2])
redis.call('ZREM', 'presence:conns', ARGV[1] .. '|' .. ARGV[2])
settle(ARGV[1], changed)
return changed
"""
)

# ARGV: pairs (user id, conn id). Returns {uid, version, ...} of users who went offline.
_CLOSE_MANY = (
    _NOW_MS
    + _SETTLE
    + """
local changed = {}
for i = 1, #ARGV, 2 do
  redis.call('ZREM', 'presence:user:' .. ARGV[i], ARGV[i + 1])
  redis.call('ZREM', 'presence:conns', ARGV[i] .. '|' .. ARGV[i + 1])
  settle(ARGV[i], changed)
end
return changed
"""
)

# ARGV[1] batch size. Removes expired sockets of every process; returns {uid, version, ...} gone offline.
_SWEEP = (
    _NOW_MS
    + _SETTLE
    + """
local changed = {}
local expired = redis.call('ZRANGEBYSCORE', 'presence:conns', '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, member in ipairs(expired) do
  redis.call('ZREM', 'presence:conns', member)
  local sep = string.find(member, '|', 1, true)
  local uid = string.sub(member, 1, sep - 1)
  redis.call('ZREM', 'presence:user:' .. uid, string.sub(member, sep + 1))
  settle(uid, changed)
end
return changed
"""
)


@dataclass(frozen=True)
class Change:
    user_id: int
    status: str  # "online" / "offline"
    version: int


def _changes(flat: list, status: str) -> list[Change]:
    return [Change(int(flat[i]), status, int(flat[i + 1])) for i in range(0, len(flat), 2)]


def lifetime_seconds() -> float:
    """How long a socket stays counted after its last heartbeat.

    A dead process's users go offline at most ``lifetime + sweep period (1 s)`` after
    its last heartbeat, so the lifetime leaves a second for the sweep: TTL - 1, at
    most 0.75 * TTL (room for two missed beats), never under half the TTL.
    """
    ttl = settings.PRESENCE_TTL_SECONDS
    return max(ttl / 2, min(ttl * 0.75, ttl - 1.0))


def heartbeat_seconds() -> float:
    return settings.PRESENCE_TTL_SECONDS / 4


class RedisStore:
    def __init__(self, client=None) -> None:
        self.client = client or get_redis()
        self._open = self.client.register_script(_OPEN)
        self._close = self.client.register_script(_CLOSE)
        self._close_many = self.client.register_script(_CLOSE_MANY)
        self._sweep = self.client.register_script(_SWEEP)

    def open(self, pairs: list[tuple[int, str]]) -> list[Change]:
        """Open (or refresh) sockets; return the users this made online."""
        changes: list[Change] = []
        lifetime_ms = int(lifetime_seconds() * 1000)
        # Chunks keep each script short: Redis runs nothing else while a script runs.
        for start in range(0, len(pairs), OPEN_BATCH):
            args: list = [lifetime_ms]
            for user_id, conn in pairs[start : start + OPEN_BATCH]:
                args += [user_id, conn]
            changes += _changes(self._open(args=args), ONLINE)
        return changes

    def close(self, user_id: int, conn: str) -> list[Change]:
        return _changes(self._close(args=[user_id, conn]), OFFLINE)

    def close_many(self, pairs: list[tuple[int, str]]) -> list[Change]:
        """Close sockets; return the users this made offline."""
        changes: list[Change] = []
        for start in range(0, len(pairs), OPEN_BATCH):
            args: list = []
            for user_id, conn in pairs[start : start + OPEN_BATCH]:
                args += [user_id, conn]
            changes += _changes(self._close_many(args=args), OFFLINE)
        return changes

    def sweep(self) -> list[Change]:
        changes: list[Change] = []
        while True:
            batch = self._sweep(args=[SWEEP_BATCH])
            changes += _changes(batch, OFFLINE)
            if not batch:
                return changes

    def count(self) -> int:
        return int(self.client.scard("presence:online"))

    def states(self, user_ids: list[int]) -> dict[int, tuple[bool, int]]:
        """``{user_id: (online, version)}``."""
        if not user_ids:
            return {}
        pipe = self.client.pipeline(transaction=True)
        pipe.smismember("presence:online", user_ids)
        pipe.hmget("presence:ver", user_ids)
        online, versions = pipe.execute()
        return {uid: (bool(on), int(ver or 0)) for uid, on, ver in zip(user_ids, online, versions, strict=True)}


class LocalStore:
    """The embedded default: one process, so nothing can vanish without closing."""

    def __init__(self) -> None:
        self.conns: dict[int, set[str]] = {}
        self.versions: dict[int, int] = {}
        self.lock = threading.Lock()

    def _bump(self, user_id: int, status: str) -> Change:
        self.versions[user_id] = self.versions.get(user_id, 0) + 1
        return Change(user_id, status, self.versions[user_id])

    def open(self, pairs: list[tuple[int, str]]) -> list[Change]:
        changed = []
        with self.lock:
            for user_id, conn in pairs:
                conns = self.conns.setdefault(user_id, set())
                if not conns:
                    changed.append(self._bump(user_id, ONLINE))
                conns.add(conn)
        return changed

    def close(self, user_id: int, conn: str) -> list[Change]:
        with self.lock:
            conns = self.conns.get(user_id)
            if not conns or conn not in conns:
                return []
            conns.discard(conn)
            if conns:
                return []
            del self.conns[user_id]
            return [self._bump(user_id, OFFLINE)]

    def close_many(self, pairs: list[tuple[int, str]]) -> list[Change]:
        return [change for user_id, conn in pairs for change in self.close(user_id, conn)]

    def sweep(self) -> list[Change]:
        return []

    def count(self) -> int:
        with self.lock:
            return len(self.conns)

    def states(self, user_ids: list[int]) -> dict[int, tuple[bool, int]]:
        with self.lock:
            return {uid: (bool(self.conns.get(uid)), self.versions.get(uid, 0)) for uid in user_ids}

    def clear(self) -> None:
        with self.lock:
            self.conns.clear()
            self.versions.clear()


_local_store = LocalStore()
_redis_store: RedisStore | None = None


def get_store() -> RedisStore | LocalStore:
    global _redis_store
    if not redis_enabled():
        return _local_store
    if _redis_store is None:
        _redis_store = RedisStore()
    return _redis_store


# --- announcing transitions -----------------------------------------------

Announcer = Callable[[list[Change], object], Awaitable[None]]
_announcer: Announcer | None = None


def set_announcer(announcer: Announcer) -> None:
    """The friends app tells friends about transitions (registered in its AppConfig.ready)."""
    global _announcer
    _announcer = announcer


async def announce(changes: list[Change], layer=None) -> None:
    """Hand transitions to the announcer, all at once (a mass close is one call, not thousands)."""
    if _announcer is None or not changes:
        return
    try:
        await _announcer(changes, layer)
    except Exception:
        logger.exception("announcing presence of %s users failed", len(changes))


# --- the per-process tracker ------------------------------------------------


class PresenceTracker:
    """This process's open sockets and the heartbeat that keeps them alive in the store.

    One per event loop (``get_tracker``). ``layer`` is the channel layer the
    announcements go through (None: the default one); tests build a second
    tracker with a second layer to play a second server process.
    """

    def __init__(self, store=None, layer=None) -> None:
        self.store = store or get_store()
        self.layer = layer
        self.conns: dict[str, int] = {}
        # Store calls of this process, in the order they were asked for: one flusher
        # applies them in batches (a heartbeat in flight can never re-add a socket that
        # a later close removed, and 15,000 sockets closing are a few script calls).
        self._pending: list[tuple[str, list[tuple[int, str]], asyncio.Future]] = []
        self._flusher: asyncio.Task | None = None
        self._heartbeat: asyncio.Task | None = None

    async def _submit(self, kind: str, pairs: list[tuple[int, str]]) -> None:
        done = asyncio.get_running_loop().create_future()
        self._pending.append((kind, pairs, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())
        await done

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                changes = await self._call(self._apply, [(kind, pairs) for kind, pairs, _ in batch])
            except Exception as exc:
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            # Announced before the callers go on: a socket's goodbye is complete (offline,
            # last seen recorded, friends told) when its close returns.
            await announce(changes, self.layer)
            for _, _, done in batch:
                if not done.done():
                    done.set_result(None)

    def _apply(self, ops: list[tuple[str, list[tuple[int, str]]]]) -> list[Change]:
        """Runs the ops in order, each run of one kind as one store call."""
        changes: list[Change] = []
        run_kind, run_pairs = None, []
        for kind, pairs in [*ops, (None, [])]:
            if kind != run_kind and run_pairs:
                method = self.store.open if run_kind == "open" else self.store.close_many
                changes += method(run_pairs)
                run_pairs = []
            run_kind = kind
            run_pairs += pairs
        return changes

    async def _call(self, method, *args):
        if isinstance(self.store, LocalStore):
            return method(*args)
        return await asyncio.to_thread(method, *args)

    async def open(self, user_id: int) -> str:
        conn = uuid.uuid4().hex
        self.conns[conn] = user_id
        await self._submit("open", [(user_id, conn)])
        self._ensure_heartbeat()
        return conn

    async def close(self, conn: str) -> None:
        user_id = self.conns.pop(conn, None)
        if user_id is not None:
            await self._submit("close", [(user_id, conn)])

    async def beat(self) -> None:
        """Push every local socket's deadline forward (and revive any a sweep took too early)."""
        if self.conns:
            await self._submit("open", [(uid, conn) for conn, uid in self.conns.items()])

    def _ensure_heartbeat(self) -> None:
        if isinstance(self.store, LocalStore):
            return
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.get_running_loop().create_task(self._beat_forever())

    async def _beat_forever(self) -> None:
        while self.conns:
            await asyncio.sleep(heartbeat_seconds())
            try:
                await self.beat()
            except Exception:
                logger.exception("presence heartbeat failed")

    def vanish(self) -> None:
        """Stop heartbeating without closing anything: what a killed process does (tests)."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        self.conns.clear()


get_tracker = per_loop(PresenceTracker)
"""This process's tracker (one per event loop)."""


async def aopen(*, user_id: int) -> str:
    """A socket of ``user_id`` opened; returns its presence id for ``aclose``."""
    return await get_tracker().open(user_id)


async def aclose(conn: str) -> None:
    await get_tracker().close(conn)


# --- reads and the sweep ------------------------------------------------------


def online_count() -> int:
    return get_store().count()


def states(user_ids: list[int]) -> dict[int, tuple[bool, int]]:
    """``{user_id: (online, version)}`` for these users."""
    return get_store().states(list(user_ids))


def online_ids(user_ids: list[int]) -> set[int]:
    return {uid for uid, (online, _) in states(user_ids).items() if online}


def sweep() -> list[Change]:
    """Remove sockets whose process stopped heartbeating; the users this made offline (once each)."""
    return get_store().sweep()
