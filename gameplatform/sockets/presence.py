"""Presence: who has a socket open, on any process, and where.

The base consumer opens a presence entry for every accepted socket and closes
it on disconnect, so every route counts and several tabs are one presence. A
socket may also stand at *places* (``presence_places()`` of its consumer): a
lobby socket at ``lobby:<id>``, a DM socket at ``dm:<peer id>``. A user is
present at a place while any of their sockets stands there; lobby presence and
"is the recipient looking at this conversation" are views of this one service.

With ``REDIS_URL`` the bookkeeping lives in Redis, shared by every process, on
Redis's clock:

- ``presence:conns``           sorted set: every open socket (``<uid>|<conn>|<places>``) by deadline;
- ``presence:user:<id>``       sorted set: that user's open sockets, scored by deadline;
- ``presence:online``          set: the users currently announced online;
- ``presence:ver``             hash: a per-user change counter, so a client can drop
  an event that arrives after a newer one; never below Redis's clock in ms, so it
  still grows after a Redis restart that lost it (an open socket would drop every
  later event of that user as old);
- ``presence:at:<place>:<id>`` and ``presence:at:<place>``: the same two for each place;
- ``presence:proc:<process>``  a process's beacon (see ``live_ids`` below).

Each process refreshes the deadlines of its own sockets with one script call
every ``PRESENCE_TTL_SECONDS / 4`` seconds; a deadline is ``lifetime_seconds()``
ahead (``0.75 * TTL`` for TTL >= 4 s: two missed beats are tolerated). In between,
every second, it asks the store whether it still holds its oldest socket; when it
does not (Redis restarted empty, or a sweep took the sockets of a process that
stalled), it beats at once, so its open sockets are back and announced within a
second, not a whole beat later. A process that dies stops refreshing; the
``presence.sweep`` timer removes its expired sockets and reports who went offline,
everywhere and at each place: a killed process's users stay online until their sockets'
deadlines pass (up to ``lifetime_seconds()``, 45 s with the default TTL, plus the sweep's second).

A reader that cannot wait that long asks ``live_ids``: each process also keeps a beacon
(``presence:proc:<process>``, ``PROCESS_SECONDS`` long) that it renews every second while it
holds sockets, and every socket id starts with its process's name (``<process>.<socket>``); a
user is live while one of their sockets belongs to a process whose beacon is up, so a killed
process's users stop being live within ``PROCESS_SECONDS`` (the queue drops its players on it).
A stall of that long (an event loop blocked for seconds) looks like a death to that reader;
the process's next renewal makes its users live again. Every change
(open, close, refresh, and the sweep's removal of the expired sockets it found) is
one Lua script, so each transition is decided once, whichever process or timer
runner gets there first: that is what makes "exactly once per real change" hold.
Each script is given every key it touches (KEYS), none built inside it.

Without Redis, a process-local store (the embedded single-process setup).

Transitions are handed to announcers that higher apps register by place kind
(``announcers.register(kind, announce)``, a ``KeyedHook``): friends for the user's presence
anywhere (kind ""), lobbies for ``lobby:`` places. This module knows none of them.
"""

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings

from gameplatform.broadcast.realtime import publish_layer_var
from gameplatform.core.hooks import KeyedHook
from gameplatform.core.jobs import periodic
from gameplatform.core.loops import per_loop
from gameplatform.data import db
from gameplatform.data.redis import get_redis, redis_enabled

logger = logging.getLogger(__name__)

ONLINE, OFFLINE = "online", "offline"
SWEEP_BATCH = 500
OPEN_BATCH = 1000
CHECK_SECONDS = 1.0
# A process's beacon outlives its last renewal by this much; it is renewed every ``check_seconds()``.
PROCESS_SECONDS = 5.0

# A socket as the stores see it: (user id, conn id, places it stands at).
Socket = tuple[int, str, tuple[str, ...]]

_NOW_MS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

CONNS = "presence:conns"
VERSIONS = "presence:ver"


def user_key(place: str, user_id: int | str) -> str:
    """Where a user's sockets at a place (anywhere for place '') are kept."""
    return f"presence:user:{user_id}" if not place else f"presence:at:{place}:{user_id}"


def users_key(place: str) -> str:
    """Where the users at a place (anywhere for place '') are kept."""
    return "presence:online" if not place else f"presence:at:{place}"


def process_key(process: str) -> str:
    """A process's beacon: there while the process renews it (``live_ids``)."""
    return f"presence:proc:{process}"


def process_of(conn: str) -> str | None:
    """The process a socket id belongs to (``<process>.<socket>``); None for an id without one."""
    process, dot, _ = conn.partition(".")
    return process if dot else None


# Every key a script touches is passed in KEYS, as Redis requires of scripts (a server that
# routes or checks keys, a proxy or a cluster, sees what each call touches): KEYS[1] the open
# sockets, KEYS[2] the versions, then for each socket of ARGV, for each of its places ('' first,
# then the ones of its places list, in order), the user's sockets there and the place's users.
_KEYS = """
local CONNS, VERSIONS = KEYS[1], KEYS[2]
local function places_of(list)
  local places = {''}
  for place in string.gmatch(list, '[^ ]+') do table.insert(places, place) end
  return places
end
local function report(changed, uid, place)
  table.insert(changed, uid)
  table.insert(changed, place)
  if place == '' then
    -- Never below the clock (ms): versions keep growing when Redis restarts without its data.
    local version = redis.call('HINCRBY', VERSIONS, uid, 1)
    if version < now then
      version = now
      redis.call('HSET', VERSIONS, uid, version)
    end
    table.insert(changed, version)
  else
    table.insert(changed, 0)
  end
end
"""

# ARGV[1] lifetime in ms, then triples (user id, conn id, places separated by spaces).
# Returns {uid, place, version, ...} of users who came online (anywhere: place '').
_OPEN = (
    _NOW_MS
    + _KEYS
    + """
local deadline = now + tonumber(ARGV[1])
local changed = {}
local k = 3
for i = 2, #ARGV, 3 do
  local uid, conn = ARGV[i], ARGV[i + 1]
  redis.call('ZADD', CONNS, deadline, uid .. '|' .. conn .. '|' .. ARGV[i + 2])
  for _, place in ipairs(places_of(ARGV[i + 2])) do
    redis.call('ZADD', KEYS[k], deadline, conn)
    if redis.call('SADD', KEYS[k + 1], uid) == 1 then report(changed, uid, place) end
    k = k + 2
  end
end
return changed
"""
)

# The start of close and sweep: ``drop`` drops a socket at each of its places (its keys from
# KEYS[k] on) and settles the user there: gone when none of their sockets is left; it returns the
# next key's index. ``drop_each`` walks the sockets of ARGV, triples (user id, conn id, places), and
# drops those ``leaves`` lets go of (given the socket's member of CONNS); it returns
# {uid, place, version, ...} of users gone.
_DROP = (
    _NOW_MS
    + _KEYS
    + """
local function drop(uid, conn, places, k, changed)
  for _, place in ipairs(places_of(places)) do
    local sockets, users = KEYS[k], KEYS[k + 1]
    redis.call('ZREM', sockets, conn)
    redis.call('ZREMRANGEBYSCORE', sockets, '-inf', now)
    if redis.call('ZCARD', sockets) == 0 and redis.call('SREM', users, uid) == 1 then
      report(changed, uid, place)
    end
    k = k + 2
  end
  return k
end
local function drop_each(leaves)
  local changed = {}
  local k = 3
  for i = 1, #ARGV, 3 do
    if leaves(ARGV[i] .. '|' .. ARGV[i + 1] .. '|' .. ARGV[i + 2]) then
      k = drop(ARGV[i], ARGV[i + 1], ARGV[i + 2], k, changed)
    else
      k = k + 2 * #places_of(ARGV[i + 2])
    end
  end
  return changed
end
"""
)

# ARGV: triples (user id, conn id, places). Every socket is dropped.
_CLOSE = (
    _DROP
    + """
return drop_each(function(member)
  redis.call('ZREM', CONNS, member)
  return true
end)
"""
)

# KEYS[1] the open sockets; ARGV[1] batch size. The expired ones (the sweep's first step).
_EXPIRED = (
    _NOW_MS
    + """
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
"""
)

# The sweep's second step, on the sockets the first found: each is dropped only if it is still
# expired (a heartbeat in between kept it) and still there (another sweeper took it first), so
# every socket's end is decided, and announced, once.
_SWEEP = (
    _DROP
    + """
return drop_each(function(member)
  local deadline = redis.call('ZSCORE', CONNS, member)
  return deadline and tonumber(deadline) <= now and redis.call('ZREM', CONNS, member) == 1
end)
"""
)


@dataclass(frozen=True)
class Change:
    user_id: int
    status: str  # "online" / "offline"
    version: int  # counts the user's changes anywhere; 0 for a place
    place: str = ""  # "" for the user's presence anywhere

    @property
    def kind(self) -> str:
        """The place's kind (``lobby`` of ``lobby:7``); "" for the user's presence anywhere."""
        return self.place.split(":", 1)[0]


def _changes(flat: list, status: str) -> list[Change]:
    return [Change(int(flat[i]), status, int(flat[i + 2]), _text(flat[i + 1])) for i in range(0, len(flat), 3)]


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _args(sockets: list[Socket]) -> list:
    args: list = []
    for user_id, conn, places in sockets:
        args += [user_id, conn, " ".join(places)]
    return args


def _keys(sockets: list[Socket]) -> list[str]:
    """The keys the scripts touch for these sockets, in the order they read them (see ``_KEYS``)."""
    keys = [CONNS, VERSIONS]
    for user_id, _, places in sockets:
        for place in ("", *" ".join(places).split()):  # the places as the script splits them
            keys += [user_key(place, user_id), users_key(place)]
    return keys


def _socket(member) -> Socket:
    """An entry of ``presence:conns`` (``<uid>|<conn>|<places>``) as a socket."""
    user_id, conn, places = _text(member).split("|", 2)
    return int(user_id), conn, tuple(places.split())


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


def check_seconds() -> float:
    """How often a process asks the store whether it still holds its sockets: every second
    (one small read), or every heartbeat when that is shorter."""
    return min(CHECK_SECONDS, heartbeat_seconds())


class RedisStore:
    def __init__(self, client=None) -> None:
        self.client = client or get_redis()
        self._open = self.client.register_script(_OPEN)
        self._close = self.client.register_script(_CLOSE)
        self._expired = self.client.register_script(_EXPIRED)
        self._sweep = self.client.register_script(_SWEEP)

    def _run(self, script, sockets: list[Socket], *head) -> list:
        return script(keys=_keys(sockets), args=[*head, *_args(sockets)])

    def open(self, sockets: list[Socket]) -> list[Change]:
        """Open (or refresh) sockets; return the users this made present."""
        changes: list[Change] = []
        lifetime_ms = int(lifetime_seconds() * 1000)
        # Chunks keep each script short: Redis runs nothing else while a script runs.
        for start in range(0, len(sockets), OPEN_BATCH):
            changes += _changes(self._run(self._open, sockets[start : start + OPEN_BATCH], lifetime_ms), ONLINE)
        return changes

    def close(self, sockets: list[Socket]) -> list[Change]:
        """Close sockets; return the users this made absent."""
        changes: list[Change] = []
        for start in range(0, len(sockets), OPEN_BATCH):
            changes += _changes(self._run(self._close, sockets[start : start + OPEN_BATCH]), OFFLINE)
        return changes

    def sweep(self) -> list[Change]:
        """Remove the expired sockets of every process, a batch at a time; the users this made absent."""
        changes: list[Change] = []
        while True:
            expired = [_socket(member) for member in self._expired(keys=[CONNS], args=[SWEEP_BATCH])]
            if not expired:
                return changes
            changes += _changes(self._run(self._sweep, expired), OFFLINE)

    def holds(self, socket: Socket) -> bool:
        """Whether the store still has this socket (a Redis restarted without its data has not)."""
        user_id, conn, _ = socket
        return self.client.zscore(user_key("", user_id), conn) is not None

    def count(self) -> int:
        return int(self.client.scard(users_key("")))

    def states(self, user_ids: list[int]) -> dict[int, tuple[bool, int]]:
        """``{user_id: (online, version)}``."""
        if not user_ids:
            return {}
        pipe = self.client.pipeline(transaction=True)
        pipe.smismember(users_key(""), user_ids)
        pipe.hmget(VERSIONS, user_ids)
        online, versions = pipe.execute()
        return {uid: (bool(on), int(ver or 0)) for uid, on, ver in zip(user_ids, online, versions, strict=True)}

    def present_at(self, place: str) -> list[int]:
        return sorted(int(uid) for uid in self.client.smembers(users_key(place)))

    def online_sample(self, limit: int) -> list[int]:
        return sorted(int(uid) for uid in self.client.srandmember(users_key(""), limit))

    def counts_at(self, places: list[str]) -> dict[str, int]:
        pipe = self.client.pipeline(transaction=False)
        for place in places:
            pipe.scard(users_key(place))
        return dict(zip(places, map(int, pipe.execute()), strict=True))

    def is_present(self, user_id: int, place: str) -> bool:
        return bool(self.client.sismember(users_key(place), user_id))

    def keep_alive(self, process: str) -> None:
        """Renew ``process``'s beacon for ``PROCESS_SECONDS``."""
        self.client.set(process_key(process), 1, px=int(PROCESS_SECONDS * 1000))

    def live(self, user_ids: list[int]) -> set[int]:
        """Of ``user_ids``, those with a socket on a process whose beacon is up: two round trips.

        A socket id without a process (written by a process older than the beacons) counts as live.
        """
        if not user_ids:
            return set()
        pipe = self.client.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.zrange(user_key("", user_id), 0, -1)
        conns = {uid: [_text(conn) for conn in found] for uid, found in zip(user_ids, pipe.execute(), strict=True)}
        processes = sorted({p for found in conns.values() for conn in found if (p := process_of(conn))})
        up = set()
        if processes:
            beacons = self.client.mget([process_key(p) for p in processes])
            up = {p for p, there in zip(processes, beacons, strict=True) if there}
        return {
            uid
            for uid, found in conns.items()
            if any(process_of(conn) is None or process_of(conn) in up for conn in found)
        }


class LocalStore:
    """The embedded default: one process, so nothing can vanish without closing."""

    def __init__(self) -> None:
        self.conns: dict[tuple[str, int], set[str]] = {}  # (place, user) -> conns; place "" is anywhere
        self.versions: dict[int, int] = {}
        self.lock = threading.Lock()

    def _change(self, user_id: int, place: str, status: str) -> Change:
        if place:
            return Change(user_id, status, 0, place)
        self.versions[user_id] = self.versions.get(user_id, 0) + 1
        return Change(user_id, status, self.versions[user_id])

    def open(self, sockets: list[Socket]) -> list[Change]:
        changed = []
        with self.lock:
            for user_id, conn, places in sockets:
                for place in ("", *places):
                    conns = self.conns.setdefault((place, user_id), set())
                    if not conns:
                        changed.append(self._change(user_id, place, ONLINE))
                    conns.add(conn)
        return changed

    def close(self, sockets: list[Socket]) -> list[Change]:
        changed = []
        with self.lock:
            for user_id, conn, places in sockets:
                for place in ("", *places):
                    conns = self.conns.get((place, user_id))
                    if not conns or conn not in conns:
                        continue
                    conns.discard(conn)
                    if not conns:
                        del self.conns[place, user_id]
                        changed.append(self._change(user_id, place, OFFLINE))
        return changed

    def sweep(self) -> list[Change]:
        return []

    def holds(self, socket: Socket) -> bool:
        return True  # nothing here is lost while the process lives

    def count(self) -> int:
        with self.lock:
            return sum(1 for place, _ in self.conns if not place)

    def states(self, user_ids: list[int]) -> dict[int, tuple[bool, int]]:
        with self.lock:
            return {uid: (bool(self.conns.get(("", uid))), self.versions.get(uid, 0)) for uid in user_ids}

    def present_at(self, place: str) -> list[int]:
        with self.lock:
            return sorted(uid for at, uid in self.conns if at == place)

    def online_sample(self, limit: int) -> list[int]:
        return self.present_at("")[:limit]

    def counts_at(self, places: list[str]) -> dict[str, int]:
        counts = dict.fromkeys(places, 0)
        with self.lock:
            for at, _ in self.conns:
                if at in counts:
                    counts[at] += 1
        return counts

    def is_present(self, user_id: int, place: str) -> bool:
        with self.lock:
            return bool(self.conns.get((place, user_id)))

    def keep_alive(self, process: str) -> None:
        pass  # one process: its sockets live while it does

    def live(self, user_ids: list[int]) -> set[int]:
        with self.lock:
            return {uid for uid in user_ids if self.conns.get(("", uid))}

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

# Who hears of the transitions of one place kind ("" = a user's presence anywhere): registered by
# the app that owns the kind, in its AppConfig.ready (friends for "", lobbies for ``lobby``).
# Transitions of a kind nobody registered are not announced. An announcer runs inside a unit of
# database work; what it sends leaves after the unit (realtime's outbox).
Announcer = Callable[[list[Change]], None]
announcers: KeyedHook[[list[Change]], None] = KeyedHook("presence_announcer")


def announce_now(changes: list[Change]) -> None:
    """Hand transitions to their announcers, each kind all at once (a mass close is one call)."""
    by_kind: dict[str, list[Change]] = {}
    for change in changes:
        by_kind.setdefault(change.kind, []).append(change)
    for kind, batch in by_kind.items():
        announcer = announcers.get(kind)
        if announcer is None:
            continue
        try:
            announcer(batch)
        except Exception:
            logger.exception("announcing %s presence changes of kind %r failed", len(batch), kind)


async def announce(changes: list[Change], layer=None) -> None:
    """``announce_now`` as a unit of database work; its events go through ``layer`` (None: the default)."""
    if not changes:
        return
    token = publish_layer_var.set(layer)
    try:
        await db.run_always(announce_now, changes)
    except Exception:
        logger.exception("announcing presence of %s users failed", len(changes))
    finally:
        publish_layer_var.reset(token)


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
        # This process's name: the start of its socket ids and the name of its beacon.
        self.process = uuid.uuid4().hex[:12]
        self._beacon_due = 0.0  # when the beacon is next renewed (time.monotonic)
        self.conns: dict[str, tuple[int, tuple[str, ...]]] = {}
        # Store calls of this process, in the order they were asked for: one flusher
        # applies them in batches (a heartbeat in flight can never re-add a socket that
        # a later close removed, and 15,000 sockets closing are a few script calls).
        self._pending: list[tuple[str, list[Socket], asyncio.Future]] = []
        self._flusher: asyncio.Task | None = None
        self._heartbeat: asyncio.Task | None = None
        # A store call failed since the last beat: the next check that reaches the store beats.
        self.missed = False

    async def _submit(self, kind: str, sockets: list[Socket]) -> None:
        done = asyncio.get_running_loop().create_future()
        self._pending.append((kind, sockets, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())
        await done

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                changes = await self._call(self._apply, [(kind, sockets) for kind, sockets, _ in batch])
            except Exception as exc:
                self.missed = True
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            # Announced before the callers go on: a socket's goodbye is complete (offline,
            # last seen recorded, friends and lobby told) when its close returns.
            await announce(changes, self.layer)
            for _, _, done in batch:
                if not done.done():
                    done.set_result(None)

    def _keep_alive(self) -> None:
        """Renew the beacon unless it was renewed less than half a check ago (store calls come
        in bursts: one renewal covers a burst)."""
        now = time.monotonic()
        if now >= self._beacon_due:
            self.store.keep_alive(self.process)
            self._beacon_due = now + check_seconds() / 2

    def _check(self, socket: Socket) -> bool:
        """The second's check: the beacon renewed, and whether the store still has ``socket``."""
        self._keep_alive()
        return self.store.holds(socket)

    def _apply(self, ops: list[tuple[str, list[Socket]]]) -> list[Change]:
        """Runs the ops in order, each run of one kind as one store call."""
        if any(kind == "open" for kind, _ in ops):
            self._keep_alive()  # before the sockets: a socket is never there without its live process
        changes: list[Change] = []
        run_kind, run = None, []
        for kind, sockets in [*ops, (None, [])]:
            if kind != run_kind and run:
                changes += (self.store.open if run_kind == "open" else self.store.close)(run)
                run = []
            run_kind = kind
            run += sockets
        return changes

    async def _call(self, method, *args):
        if isinstance(self.store, LocalStore):
            return method(*args)
        return await asyncio.to_thread(method, *args)

    def _new_conn(self) -> str:
        return f"{self.process}.{uuid.uuid4().hex}"

    async def open(self, user_id: int, places: Iterable[str] = ()) -> str:
        """Count a socket in; its presence id for ``close``, even when the store cannot be reached.

        The socket is tracked either way: when the store failed (logged here), the heartbeat
        puts it in once the store answers again, and ``close`` takes it out. A failure used
        to leave the caller without the id while the heartbeat kept the entry, so a socket
        opened during a Redis outage kept its user online after it closed, as long as the
        process lived.
        """
        conn = self._new_conn()
        places = tuple(places)
        self.conns[conn] = (user_id, places)
        self._ensure_heartbeat()
        try:
            await self._submit("open", [(user_id, conn, places)])
        except Exception:
            logger.exception("presence open failed; the heartbeat stores the socket once the store answers")
        return conn

    async def close(self, conn: str) -> None:
        entry = self.conns.pop(conn, None)
        if entry is not None:
            await self._submit("close", [(entry[0], conn, entry[1])])

    async def move(self, conn: str, user_id: int, places: Iterable[str]) -> str:
        """The socket stands at other places: a new entry opens, then the old one closes.

        Both go in one batch, in that order, so the user never looks absent from a place
        that both entries share (``world`` while moving between areas), and the places
        left and entered are each announced once. As with ``open``, a failing store is
        logged and the new id returned: the heartbeat brings the store up to date.
        """
        entry = self.conns.pop(conn, None)
        new, places = self._new_conn(), tuple(places)
        self.conns[new] = (user_id, places)
        done = asyncio.get_running_loop().create_future()
        self._pending.append(("open", [(user_id, new, places)], done))
        if entry is not None:
            self._pending.append(("close", [(entry[0], conn, entry[1])], done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())
        self._ensure_heartbeat()
        try:
            await done
        except Exception:
            logger.exception("presence move failed; the heartbeat stores the socket once the store answers")
        return new

    async def beat(self) -> None:
        """Push every local socket's deadline forward (and revive any a sweep took too early)."""
        if self.conns:
            await self._submit("open", [(uid, conn, places) for conn, (uid, places) in self.conns.items()])

    def _ensure_heartbeat(self) -> None:
        if isinstance(self.store, LocalStore):
            return
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.get_running_loop().create_task(self._beat_forever())

    async def _beat_forever(self) -> None:
        """A beat every ``heartbeat_seconds()``, and one at once when the store lost the sockets.

        Between beats the store is asked every ``check_seconds()`` whether it still holds
        the oldest local socket. Redis restarted without its data holds none: without the
        check, users whose sockets stayed open looked offline until the next beat (up to
        15 s with the default TTL); with it, they are back, announced online, within a second.
        """
        loop = asyncio.get_running_loop()
        due = loop.time() + heartbeat_seconds()
        while self.conns:
            await asyncio.sleep(max(0.0, min(check_seconds(), due - loop.time())))
            if loop.time() < due:
                held = await self._store_holds_oldest()
                # Store down (None): wait for the beat, which logs the failure. Store up: beat
                # now if it lost the sockets or if a store call failed meanwhile (a socket
                # opened, moved or closed during an outage).
                if held is None or (held and not self.missed):
                    continue
            due = loop.time() + heartbeat_seconds()
            self.missed = False
            try:
                await self.beat()
            except Exception:
                logger.exception("presence heartbeat failed")

    async def _store_holds_oldest(self) -> bool | None:
        """Whether the store still has this process's oldest socket; None when it cannot say."""
        if not self.conns:
            return True
        conn, (user_id, places) = next(iter(self.conns.items()))
        try:
            return await self._call(self._check, (user_id, conn, places))
        except Exception:
            return None

    def vanish(self) -> None:
        """Stop heartbeating without closing anything: what a killed process does (tests).

        Store calls not yet sent are dropped too: a beat the heartbeat queued just before would
        otherwise still push the sockets' deadlines forward after the "crash"."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        self.conns.clear()
        pending, self._pending = self._pending, []
        for _, _, done in pending:
            if not done.done():
                done.cancel()


get_tracker = per_loop(PresenceTracker)
"""This process's tracker (one per event loop)."""


async def aopen(*, user_id: int, places: Iterable[str] = ()) -> str:
    """A socket of ``user_id`` opened (standing at ``places``); returns its presence id for ``aclose``."""
    return await get_tracker().open(user_id, places)


async def aclose(conn: str) -> None:
    await get_tracker().close(conn)


async def amove(conn: str, *, user_id: int, places: Iterable[str]) -> str:
    """The socket ``conn`` of ``user_id`` now stands at ``places``; returns its new presence id."""
    return await get_tracker().move(conn, user_id, places)


# --- reads and the sweep ------------------------------------------------------


def online_count() -> int:
    return get_store().count()


def online_sample(limit: int) -> list[int]:
    """Up to ``limit`` of the users online now, by id (any of them: a glance, not a listing)."""
    return get_store().online_sample(limit) if limit > 0 else []


def states(user_ids: list[int]) -> dict[int, tuple[bool, int]]:
    """``{user_id: (online, version)}`` for these users."""
    return get_store().states(list(user_ids))


def online_ids(user_ids: list[int]) -> set[int]:
    return {uid for uid, (online, _) in states(user_ids).items() if online}


def present_at(place: str) -> list[int]:
    """The users with a socket at ``place``, by id."""
    return get_store().present_at(place)


def counts_at(places: list[str]) -> dict[str, int]:
    """``{place: users with a socket there}`` for these places, in one read."""
    return get_store().counts_at(list(places)) if places else {}


def is_present(*, user_id: int, place: str) -> bool:
    return get_store().is_present(user_id, place)


def live_ids(user_ids: list[int]) -> set[int]:
    """Of these users, those with a socket on a server process that is running (its beacon is
    up): unlike ``online_ids``, a process killed without closing its sockets stops counting within
    ``PROCESS_SECONDS``, not when its sockets' deadlines pass. Two Redis round trips for any number."""
    return get_store().live(list(user_ids))


def sweep() -> list[Change]:
    """Remove sockets whose process stopped heartbeating; the transitions this made (once each)."""
    return get_store().sweep()


@periodic("presence.sweep", every=1.0)
def sweep_and_announce() -> int:
    """Take away the sockets of processes that stopped heartbeating, and say who left.

    The sweep is one Lua script: of several runners, exactly one removes a given
    expired socket and announces the resulting change. Runs as a unit of database
    work: the announcements leave from the event loop after it.
    """
    changes = sweep()
    announce_now(changes)
    return len(changes)
