"""Where rooms are kept between processes: who owns each, its last snapshot, its sockets' order.

One interface, ``RoomStore``, two implementations: ``RedisRoomStore`` for servers that share a
Redis (every process sees every lease and snapshot), ``MemoryRoomStore`` for the embedded
one-process setup (``make run``). The host runs the same code on both; ``room_store()`` picks.

- A **lease** says which process owns a room: set if absent, renewed by its owner for all its
  rooms at once, released when the game ends or the process hands it over.
- A **snapshot** is the JSON of ``Room.snapshot()``: what another process restores the room from.
- A **journal** is an owner's record of the steps its rooms took since their last snapshots, in
  numbered batches: ``{game: [(steps, now, op, args), ...]}`` per batch. A process that takes a
  room over restores its snapshot and replays the steps after it, so the room is where its players
  last saw it. One journal per owner (one write per batch, whatever the number of rooms), trimmed
  to the batches some room still needs, and gone a day after its owner stopped writing.
- A **listing** is a running room's summary for the match list (JSON, made by its owner at most
  once a second and only when it changed, ``RoomHost``): kept for ``LISTING_TTL_SECONDS`` unless
  its owner writes it again, dropped when the game ends or its owner loses the lease. A reader
  (``GET /api/game/rooms/``) reads every live one in one command, whatever the rooms.
- A room's **record** (``inspect``) is all of the above for one game, read at once for staff
  (the admin's room inspector): its owner, its snapshot and its latest steps.
- A **seat number** orders the sockets of one player in one game: each socket takes the next
  number when it opens, so the room knows which of two sockets is the newer whatever order
  their ``connect`` frames reach it in (one may come through another process).
"""

import json
import time
from dataclasses import dataclass

import orjson
from django.conf import settings

from gameplatform.data.redis import get_async_redis, get_redis, redis_enabled


def _dumps(steps) -> bytes | str:
    """Steps as JSON, with orjson (the journal is written with every batch: several times faster
    than the standard library's encoder). Steps hold what the players' frames held, which has no
    NaN or infinity (refused as ``bad_json``); what orjson does not take (integers past 64 bits)
    is written by the standard library, as before."""
    try:
        return orjson.dumps(steps)
    except TypeError:
        return json.dumps(steps, separators=(",", ":"))


SNAPSHOT_TTL_SECONDS = 24 * 3600
# A listing its owner did not write again within this is gone (its process died, and nobody took
# the room over): owners write theirs again every few seconds (``RoomHost``).
LISTING_TTL_SECONDS = 10.0

# KEYS: leases; ARGV[1] the owner, ARGV[2] milliseconds. Returns the indexes (1-based) still held.
_RENEW = """
local held = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
    table.insert(held, i)
  end
end
return held
"""
# KEYS[1] a room's lease, KEYS[2] its snapshot; ARGV[1] the owner, ARGV[2] milliseconds. {1, the
# snapshot or false} when claimed, {0, false} when someone holds it.
_CLAIM_AND_LOAD = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1, redis.call('GET', KEYS[2])} end
return {0, false}
"""
# KEYS[1] a game's seat numbers; ARGV[1] the player, ARGV[2] seconds to live. The player's next number.
_NEXT_SEAT = """
local number = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('EXPIRE', KEYS[1], ARGV[2])
return number
"""
# KEYS[1] the index of the processes' load reports; ARGV: the key prefix of one report. The live
# reports' texts; the members whose report ran out (their process died) leave the index.
_LOADS = """
local live = {}
for _, owner in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local text = redis.call('GET', ARGV[1] .. owner)
  if text then table.insert(live, text) else redis.call('SREM', KEYS[1], owner) end
end
return live
"""
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
# KEYS[1] a room's listing, KEYS[2] the index of listings; ARGV[1] the owner, ARGV[2] the game.
_UNLIST = """
if redis.call('HGET', KEYS[1], 'o') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 1
end
return 0
"""


# One store write (``RedisRoomStore.write``) as one script: every room's log, snapshot and listing
# and the journal's batch, whatever their number, in one command with one reply. As a pipeline it
# was three to six commands a room, and redis-py reads each reply under a timeout of its own: most
# of a write's CPU in this process. A command that fails does not stop the others (as in the
# pipeline before); the first failure is the script's error.
# Fenced: a room's snapshot, its drop and its log go in only while its lease is the writer's
# (ARGV[6]; '' writes unfenced), or nobody's (then the writer takes it again, for ARGV[7] ms: a
# lease that ran out with nobody taking it, or a Redis that lost its data); the games refused are
# the reply (a process that lost a lease while it ran the room, slow or paused, never writes over
# its new owner's room).
# KEYS[1] the index of listings, then each operation's keys in order. ARGV[1] seconds to live
# (snapshots, logs, the journal), ARGV[2] a listing's milliseconds to live, ARGV[3] when a listing
# written now expires (ms, wall clock), ARGV[4] now (ms), ARGV[5] the listings' owner, ARGV[6] the
# fencing owner, ARGV[7] a lease's milliseconds; then the operations, each a name and its
# arguments ('lease' fences the next one with the game's lease key and id).
# A write that raised may have landed all the same (its reply lost with the connection): the
# outbox writes it again, the same, so a game's log segment is not added twice in a row and a
# journal batch already there is not added again (the stream would refuse its number).
_WRITE = """
local ttl, listing_ms, expires, now, owner, fence = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local lease_ms = ARGV[7]
local k, a, failed, refused, skip = 2, 8, nil, {}, false
local function call(...)
  if skip then return end
  local reply = redis.pcall(...)
  if type(reply) == 'table' and reply.err and not failed then failed = reply.err end
end
while a <= #ARGV do
  local op = ARGV[a]
  if op == 'lease' then
    local holder = fence ~= '' and redis.call('GET', KEYS[k])
    if holder == false then
      redis.call('SET', KEYS[k], fence, 'PX', lease_ms)
    end
    skip = fence ~= '' and holder ~= false and holder ~= fence
    if skip then table.insert(refused, ARGV[a + 1]) end
    k, a = k + 1, a + 2
  elseif op == 'log' then
    if skip or redis.call('LINDEX', KEYS[k], -1) ~= ARGV[a + 1] then call('RPUSH', KEYS[k], ARGV[a + 1]) end
    call('EXPIRE', KEYS[k], ttl); k, a = k + 1, a + 2
  elseif op == 'set' then
    call('SET', KEYS[k], ARGV[a + 1], 'EX', ttl); k, a = k + 1, a + 2
  elseif op == 'drop' then
    call('DEL', KEYS[k], KEYS[k + 1], KEYS[k + 2]); k, a = k + 3, a + 1
  elseif op == 'list' then
    call('HSET', KEYS[k], 'o', owner, 's', ARGV[a + 2]); call('PEXPIRE', KEYS[k], listing_ms)
    call('ZADD', KEYS[1], expires, ARGV[a + 1]); k, a = k + 1, a + 3
  elseif op == 'unlist' then
    call('DEL', KEYS[k]); call('ZREM', KEYS[1], ARGV[a + 1]); k, a = k + 1, a + 2
  elseif op == 'sweep' then
    call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now); a = a + 1
  elseif op == 'xadd' then
    local id = ARGV[a + 1]
    if #redis.call('XRANGE', KEYS[k], id, id) == 0 then call('XADD', KEYS[k], id, 's', ARGV[a + 2]) end
    k, a = k + 1, a + 3
  elseif op == 'expire' then
    call('EXPIRE', KEYS[k], ttl); k, a = k + 1, a + 1
  elseif op == 'xtrim' then
    call('XTRIM', KEYS[k], 'MINID', ARGV[a + 1]); k, a = k + 1, a + 2
  else
    return redis.error_reply('unknown room store operation ' .. tostring(op))
  end
  if op ~= 'lease' then skip = false end
end
if failed then return redis.error_reply(failed) end
return refused
"""


INSPECT_LOG_SEGMENTS = 8  # the game's log's newest segments an inspection reads (one per snapshot)


@dataclass(frozen=True)
class RoomRecord:
    """What the store holds of one game (``RoomStore.inspect``): the process that owns its room
    (its lease; None: nobody runs it now), its last snapshot (the JSON of ``Room.snapshot()``, as
    its owner last wrote it; None: none), and its newest steps, oldest first: those in the game's
    log (added with each snapshot) and those its owner journalled after the snapshot, each
    ``[steps, now, op, args, version]``."""

    owner: str | None
    snapshot: str | None
    steps: list


def _latest_steps(logged: list, journalled: list, snapshot: str | None, most: int) -> list:
    """The newest ``most`` steps of a room: its log's, then its journal's after the snapshot."""
    after = json.loads(snapshot).get("steps", 0) if snapshot else 0
    steps = [list(entry[:5]) for entry in logged] + [list(e[:5]) for e in journalled if e[0] > after]
    return steps[-most:] if most > 0 else []


def lease_seconds() -> float:
    return float(getattr(settings, "ROOM_LEASE_SECONDS", 3.0))


class RoomStore:
    """The interface the room host uses. Every method but ``unclaimed`` is a coroutine."""

    async def claim(self, game_id: int, owner: str) -> bool:
        """Own ``game_id`` unless someone does: True when ``owner`` holds its lease now."""
        raise NotImplementedError

    async def claim_and_load(self, game_id: int, owner: str) -> tuple[bool, str | None]:
        """``claim``, and the room's snapshot read in the same step (a room's open: one round
        trip instead of two): whether ``owner`` holds the lease now, and the snapshot then (None
        when there is none, or the claim failed)."""
        raise NotImplementedError

    async def claim_many(self, game_ids: list[int], owner: str) -> set[int]:
        """``claim`` of each game at once; the ids claimed."""
        raise NotImplementedError

    async def renew(self, game_ids: list[int], owner: str) -> set[int]:
        """Renew this owner's leases; the ids it still holds."""
        raise NotImplementedError

    async def owners(self, game_ids: list[int]) -> dict[int, str | None]:
        raise NotImplementedError

    async def release(self, game_id: int, owner: str) -> None:
        """Let go of the lease if ``owner`` holds it."""
        raise NotImplementedError

    async def write(
        self,
        snapshots: dict[int, str | None],
        journal: "JournalBatch | None" = None,
        listings: "Listings | None" = None,
        logs: dict | None = None,
        *,
        fence: str | None = None,
    ) -> set[int]:
        """Several rooms' snapshots, one batch of an owner's journal and its rooms' listings, at
        once; a None snapshot drops the room's snapshot, its seat numbers and its log, a None
        listing the room's listing. ``logs``: steps to add to each game's log, the whole game's
        steps in order (its replay, ``read_log``). ``fence``: the writing owner; a room whose
        lease is not its own gets neither its snapshot nor its log: the games refused."""
        raise NotImplementedError

    async def read_log(self, game_id: int) -> list:
        """Every step of the game so far, as its owners added them with their snapshots."""
        raise NotImplementedError

    async def unlist(self, game_id: int, owner: str) -> None:
        """Drop the room's listing if ``owner`` wrote it (a lease lost: the new owner's stays)."""
        raise NotImplementedError

    def listings(self) -> list[str]:
        """Every live listing (JSON texts), in no order (a thread's call: the REST API)."""
        raise NotImplementedError

    async def journal(self, owner: str) -> list[tuple[int, dict[int, list]]]:
        """The batches of ``owner``'s journal still kept, in order: ``(number, {game: steps})``."""
        raise NotImplementedError

    async def save_many(self, snapshots: dict[int, str | None]) -> None:
        await self.write(snapshots)

    async def save(self, game_id: int, snapshot: str) -> None:
        await self.write({game_id: snapshot})

    async def drop(self, game_id: int) -> None:
        await self.write({game_id: None})

    async def load(self, game_id: int) -> str | None:
        raise NotImplementedError

    async def next_seat_number(self, game_id: int, player_id: int) -> int:
        """A number for a new socket of ``player_id`` in ``game_id``, larger than any before it."""
        raise NotImplementedError

    def inspect(self, game_id: int, *, steps: int = 20) -> RoomRecord:
        """What the store holds of ``game_id`` now, with its newest ``steps`` steps (a thread's
        call: the admin's room inspector). A read: it changes nothing, the room runs on."""
        raise NotImplementedError

    def unclaimed(self, game_ids: list[int], *, idle_seconds: float) -> list[int]:
        """Of these games, those no process runs and none can resume: no owner, and no snapshot
        or one older than ``idle_seconds`` (a thread's call: the timers)."""
        raise NotImplementedError

    # --- the processes' loads (``gameplatform.rooms.placement``) ---------------------------

    shared = False  # whether other processes read this store (a new room may be placed on one of them)

    async def new_room(self, game_id: int) -> bool:
        """Whether ``game_id``'s room never ran: no owner and no snapshot."""
        raise NotImplementedError

    async def report_load(self, owner: str, text: str, seconds: float) -> None:
        """``owner``'s load report, kept for ``seconds`` unless reported again."""
        raise NotImplementedError

    async def loads(self, seconds: float) -> list[str]:
        """Every live process's last load report (those of the last ``seconds``)."""
        raise NotImplementedError

    async def forget_load(self, owner: str) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class JournalBatch:
    """One write of an owner's journal: batch ``number``'s steps by game; batches before
    ``keep_from`` are no longer needed by any room (their rooms have newer snapshots: None, nothing
    to trim this time); ``refresh``: the journal's time to live starts again."""

    owner: str
    number: int
    steps: dict[int, list]
    keep_from: int | None = None
    refresh: bool = False


@dataclass(frozen=True)
class Listings:
    """Rooms' listings written by their ``owner``: a summary's JSON text by game, None to drop it."""

    owner: str
    summaries: dict[int, str | None]


# The embedded store's memory: one for every store of the process (the timer's and the loop's).
_LOCAL_OWNER: dict[int, str] = {}
_LOCAL_SNAP: dict[int, str] = {}
_LOCAL_SEATS: dict[int, dict[int, int]] = {}
_LOCAL_JOURNAL: dict[str, list[tuple[int, dict[int, list]]]] = {}
_LOCAL_LOG: dict[int, list] = {}
_LOCAL_LISTED: dict[int, tuple[str, str, float]] = {}  # game -> (owner, summary, wall-clock expiry)
_LOCAL_LOADS: dict[str, tuple[float, str]] = {}  # owner -> (monotonic expiry, its load report)


def clear_local_store() -> None:
    """Forget the rooms of the embedded store (tests: each starts without rooms)."""
    _LOCAL_OWNER.clear()
    _LOCAL_SNAP.clear()
    _LOCAL_SEATS.clear()
    _LOCAL_JOURNAL.clear()
    _LOCAL_LOG.clear()
    _LOCAL_LISTED.clear()
    _LOCAL_LOADS.clear()


class MemoryRoomStore(RoomStore):
    """This process's memory: the embedded setup, where one process owns every room."""

    async def claim(self, game_id: int, owner: str) -> bool:
        return _LOCAL_OWNER.setdefault(game_id, owner) == owner

    async def claim_and_load(self, game_id: int, owner: str) -> tuple[bool, str | None]:
        if not await self.claim(game_id, owner):
            return False, None
        return True, await self.load(game_id)

    async def claim_many(self, game_ids: list[int], owner: str) -> set[int]:
        return {g for g in game_ids if _LOCAL_OWNER.setdefault(g, owner) == owner}

    async def renew(self, game_ids: list[int], owner: str) -> set[int]:
        return {g for g in game_ids if _LOCAL_OWNER.get(g) == owner}

    async def owners(self, game_ids: list[int]) -> dict[int, str | None]:
        return {g: _LOCAL_OWNER.get(g) for g in game_ids}

    async def release(self, game_id: int, owner: str) -> None:
        if _LOCAL_OWNER.get(game_id) == owner:
            del _LOCAL_OWNER[game_id]

    async def write(
        self,
        snapshots: dict[int, str | None],
        journal: JournalBatch | None = None,
        listings: Listings | None = None,
        logs: dict | None = None,
        *,
        fence: str | None = None,
    ) -> set[int]:
        refused = set()
        for game_id in {*snapshots, *(logs or {})} if fence is not None else ():
            if _LOCAL_OWNER.setdefault(game_id, fence) != fence:  # nobody's: taken again
                refused.add(game_id)
        for game_id, entries in (logs or {}).items():
            if game_id not in refused:
                _LOCAL_LOG.setdefault(game_id, []).extend(json.loads(json.dumps(entries)))
        if listings is not None:
            expires = time.time() + LISTING_TTL_SECONDS
            for game_id, summary in listings.summaries.items():
                if summary is None:
                    _LOCAL_LISTED.pop(game_id, None)
                else:
                    _LOCAL_LISTED[game_id] = (listings.owner, summary, expires)
        if journal is not None:
            keep_from = journal.keep_from or 0
            kept = [batch for batch in _LOCAL_JOURNAL.get(journal.owner, ()) if batch[0] >= keep_from]
            if journal.steps:
                kept.append((journal.number, journal.steps))
            if kept:
                _LOCAL_JOURNAL[journal.owner] = kept
            else:
                _LOCAL_JOURNAL.pop(journal.owner, None)
        for game_id, snapshot in snapshots.items():
            if game_id in refused:
                continue
            if snapshot is None:
                _LOCAL_SNAP.pop(game_id, None)
                _LOCAL_LOG.pop(game_id, None)
                _LOCAL_SEATS.pop(game_id, None)
            else:
                _LOCAL_SNAP[game_id] = snapshot
        return refused

    async def journal(self, owner: str) -> list[tuple[int, dict[int, list]]]:
        return list(_LOCAL_JOURNAL.get(owner, ()))

    async def unlist(self, game_id: int, owner: str) -> None:
        listed = _LOCAL_LISTED.get(game_id)
        if listed is not None and listed[0] == owner:
            del _LOCAL_LISTED[game_id]

    def listings(self) -> list[str]:
        # Read from a worker thread while the loop's thread writes: a copy, and no write from here
        # (an entry leaves when its game ends, its lease is lost or its host stops: one process).
        now = time.time()
        return [summary for _, summary, expires in list(_LOCAL_LISTED.values()) if expires > now]

    async def load(self, game_id: int) -> str | None:
        return _LOCAL_SNAP.get(game_id)

    async def read_log(self, game_id: int) -> list:
        return list(_LOCAL_LOG.get(game_id, ()))

    async def next_seat_number(self, game_id: int, player_id: int) -> int:
        seats = _LOCAL_SEATS.setdefault(game_id, {})
        seats[player_id] = seats.get(player_id, 0) + 1
        return seats[player_id]

    def inspect(self, game_id: int, *, steps: int = 20) -> RoomRecord:
        snapshot = _LOCAL_SNAP.get(game_id)
        journal = json.loads(snapshot).get("journal") if snapshot else None
        journalled = [e for _, batch in list(_LOCAL_JOURNAL.get(journal, ())) for e in batch.get(game_id, ())]
        logged = list(_LOCAL_LOG.get(game_id, ()))
        return RoomRecord(_LOCAL_OWNER.get(game_id), snapshot, _latest_steps(logged, journalled, snapshot, steps))

    def unclaimed(self, game_ids: list[int], *, idle_seconds: float) -> list[int]:
        return [g for g in game_ids if g not in _LOCAL_OWNER and g not in _LOCAL_SNAP]

    # One process: its own report is the only one, and no room is placed elsewhere (``shared``).

    async def new_room(self, game_id: int) -> bool:
        return game_id not in _LOCAL_OWNER and game_id not in _LOCAL_SNAP

    async def report_load(self, owner: str, text: str, seconds: float) -> None:
        _LOCAL_LOADS[owner] = (time.monotonic() + seconds, text)

    async def loads(self, seconds: float) -> list[str]:
        now = time.monotonic()
        return [text for until, text in _LOCAL_LOADS.values() if until > now]

    async def forget_load(self, owner: str) -> None:
        _LOCAL_LOADS.pop(owner, None)


class RedisRoomStore(RoomStore):
    """Redis, shared by every server process. Keys live under the database's name, so two
    deployments (or test runs) on one Redis never see each other's rooms."""

    def __init__(self, client=None, namespace: str | None = None) -> None:
        self.client = client
        self.ns = namespace or settings.DATABASES["default"]["NAME"]
        self._writes = (None, None)  # (the client, its write script): made once per client, not per write

    def _redis(self):
        return self.client if self.client is not None else get_async_redis()

    def lease_key(self, game_id: int) -> str:
        return f"room:{self.ns}:{game_id}:owner"

    def snapshot_key(self, game_id: int) -> str:
        return f"room:{self.ns}:{game_id}:snap"

    def seats_key(self, game_id: int) -> str:
        return f"room:{self.ns}:{game_id}:seats"

    def log_key(self, game_id: int) -> str:
        return f"room:{self.ns}:{game_id}:log"

    def listing_key(self, game_id: int) -> str:
        return f"room:{self.ns}:{game_id}:listing"

    def listed_key(self) -> str:
        """The index of listings: game -> its listing's expiry (milliseconds, wall clock)."""
        return f"room:{self.ns}:listed"

    def load_key(self, owner: str) -> str:
        return f"room:{self.ns}:load:{owner}"

    def loads_key(self) -> str:
        """The index of the processes that report their loads (their reports expire; the index
        loses a member when its report is found gone)."""
        return f"room:{self.ns}:loads"

    async def claim(self, game_id: int, owner: str) -> bool:
        ms = int(lease_seconds() * 1000)
        return bool(await self._redis().set(self.lease_key(game_id), owner, nx=True, px=ms))

    async def claim_and_load(self, game_id: int, owner: str) -> tuple[bool, str | None]:
        ms = int(lease_seconds() * 1000)
        claimed, saved = await self._redis().eval(
            _CLAIM_AND_LOAD, 2, self.lease_key(game_id), self.snapshot_key(game_id), owner, ms
        )
        if not claimed:
            return False, None
        return True, saved.decode() if isinstance(saved, bytes) else (saved or None)

    async def claim_many(self, game_ids: list[int], owner: str) -> set[int]:
        if not game_ids:
            return set()
        ms = int(lease_seconds() * 1000)
        async with self._redis().pipeline(transaction=False) as pipe:
            for game_id in game_ids:
                pipe.set(self.lease_key(game_id), owner, nx=True, px=ms)
            claimed = await pipe.execute()
        return {g for g, ok in zip(game_ids, claimed, strict=True) if ok}

    async def renew(self, game_ids: list[int], owner: str) -> set[int]:
        if not game_ids:
            return set()
        keys = [self.lease_key(g) for g in game_ids]
        held = await self._redis().eval(_RENEW, len(keys), *keys, owner, int(lease_seconds() * 1000))
        return {game_ids[int(i) - 1] for i in held}

    async def owners(self, game_ids: list[int]) -> dict[int, str | None]:
        values = await self._redis().mget([self.lease_key(g) for g in game_ids]) if game_ids else []
        return {g: (v.decode() if isinstance(v, bytes) else v) for g, v in zip(game_ids, values, strict=True)}

    async def release(self, game_id: int, owner: str) -> None:
        await self._redis().eval(_RELEASE, 1, self.lease_key(game_id), owner)

    def journal_key(self, owner: str) -> str:
        return f"room:{self.ns}:journal:{owner}"

    async def write(
        self,
        snapshots: dict[int, str | None],
        journal: JournalBatch | None = None,
        listings: Listings | None = None,
        logs: dict | None = None,
        *,
        fence: str | None = None,
    ) -> set[int]:
        keys, ops = [self.listed_key()], []

        def fenced(game_id: int) -> None:
            if fence is not None:
                keys.append(self.lease_key(game_id))
                ops.extend(("lease", game_id))

        for game_id, entries in (logs or {}).items():  # one element a segment: a snapshot's steps since the last
            fenced(game_id)
            keys.append(self.log_key(game_id))
            ops += ("log", _dumps(entries))
        if listings is not None:
            for game_id, summary in listings.summaries.items():
                keys.append(self.listing_key(game_id))
                ops += ("unlist", game_id) if summary is None else ("list", game_id, summary)
            ops.append("sweep")  # the listings of processes that died: gone by now
        if journal is not None:
            key = self.journal_key(journal.owner)
            if journal.steps:
                keys.append(key)
                ops += ("xadd", f"{journal.number}-1", _dumps([[g, entries] for g, entries in journal.steps.items()]))
            if journal.refresh:
                keys.append(key)
                ops.append("expire")
            if journal.keep_from is not None:
                keys.append(key)
                ops += ("xtrim", f"{journal.keep_from}-0")
        for game_id, snapshot in snapshots.items():
            fenced(game_id)
            if snapshot is None:
                keys += (self.snapshot_key(game_id), self.seats_key(game_id), self.log_key(game_id))
                ops.append("drop")
            else:
                keys.append(self.snapshot_key(game_id))
                ops += ("set", snapshot)
        if not ops:
            return set()
        now_ms = int(time.time() * 1000)
        ttl_ms = int(LISTING_TTL_SECONDS * 1000)
        owner = listings.owner if listings is not None else ""
        lease_ms = int(lease_seconds() * 1000)
        args = (SNAPSHOT_TTL_SECONDS, ttl_ms, now_ms + ttl_ms, now_ms, owner, fence or "", lease_ms, *ops)
        # EVALSHA, and the script loaded first where Redis does not know it (a new or failed-over one)
        client = self._redis()
        if self._writes[0] is not client:  # the first write, or another loop's client
            self._writes = (client, client.register_script(_WRITE))
        refused = await self._writes[1](keys=keys, args=args)
        return {int(g) for g in refused}

    async def unlist(self, game_id: int, owner: str) -> None:
        await self._redis().eval(_UNLIST, 2, self.listing_key(game_id), self.listed_key(), owner, game_id)

    def listings(self) -> list[str]:
        # One command, whatever the number of rooms: SORT reads each indexed game's summary from
        # its listing (a pipeline of an HGET per room cost about 30 ms of this process's CPU at a
        # thousand rooms, most of a list's time). A listing and its index entry expire together;
        # one whose owner stopped writing it is gone by then, and an index entry without a
        # listing reads as nothing.
        summaries = get_redis().sort(self.listed_key(), desc=True, get=f"room:{self.ns}:*:listing->s")
        return [s.decode() if isinstance(s, bytes) else s for s in summaries if s is not None]

    async def journal(self, owner: str) -> list[tuple[int, dict[int, list]]]:
        batches = []
        for entry_id, fields in await self._redis().xrange(self.journal_key(owner)):
            number = int((entry_id.decode() if isinstance(entry_id, bytes) else entry_id).split("-")[0])
            steps = fields.get(b"s", fields.get("s"))
            batches.append((number, {int(g): entries for g, entries in json.loads(steps)}))
        return batches

    async def read_log(self, game_id: int) -> list:
        segments = await self._redis().lrange(self.log_key(game_id), 0, -1)
        return [entry for segment in segments for entry in json.loads(segment)]

    async def load(self, game_id: int) -> str | None:
        value = await self._redis().get(self.snapshot_key(game_id))
        return value.decode() if isinstance(value, bytes) else value

    async def next_seat_number(self, game_id: int, player_id: int) -> int:
        return int(await self._redis().eval(_NEXT_SEAT, 1, self.seats_key(game_id), player_id, SNAPSHOT_TTL_SECONDS))

    def inspect(self, game_id: int, *, steps: int = 20) -> RoomRecord:
        redis = get_redis()
        owner, snapshot = (
            v.decode() if isinstance(v, bytes) else v
            for v in redis.mget([self.lease_key(game_id), self.snapshot_key(game_id)])
        )
        segments = redis.lrange(self.log_key(game_id), -INSPECT_LOG_SEGMENTS, -1)
        logged = [entry for segment in segments for entry in json.loads(segment)]
        journal = json.loads(snapshot).get("journal") if snapshot else None
        journalled = []
        if journal is not None:  # the owner's journal: every room of it, trimmed to what they still need
            for _, fields in redis.xrange(self.journal_key(journal)):
                batch = fields.get(b"s", fields.get("s"))
                journalled += [e for g, entries in json.loads(batch) if g == game_id for e in entries]
        return RoomRecord(owner, snapshot, _latest_steps(logged, journalled, snapshot, steps))

    def unclaimed(self, game_ids: list[int], *, idle_seconds: float) -> list[int]:
        if not game_ids:
            return []
        pipe = get_redis().pipeline(transaction=False)
        for game_id in game_ids:
            pipe.exists(self.lease_key(game_id))
            pipe.pttl(self.snapshot_key(game_id))
        answers = pipe.execute()
        found = []
        for i, game_id in enumerate(game_ids):
            owned, ttl_ms = answers[2 * i], answers[2 * i + 1]
            age = SNAPSHOT_TTL_SECONDS - ttl_ms / 1000 if ttl_ms >= 0 else None
            if not owned and (age is None or age > idle_seconds):
                found.append(game_id)
        return found

    # --- the processes' loads: a key each with its own expiry (no clock shared between
    # machines is needed), and an index of them ---------------------------------------------

    shared = True

    async def new_room(self, game_id: int) -> bool:
        return not await self._redis().exists(self.lease_key(game_id), self.snapshot_key(game_id))

    async def report_load(self, owner: str, text: str, seconds: float) -> None:
        async with self._redis().pipeline(transaction=False) as pipe:
            pipe.set(self.load_key(owner), text, px=int(seconds * 1000))
            pipe.sadd(self.loads_key(), owner)
            await pipe.execute()

    async def loads(self, seconds: float) -> list[str]:
        texts = await self._redis().eval(_LOADS, 1, self.loads_key(), self.load_key(""))
        return [t.decode() if isinstance(t, bytes) else t for t in texts]

    async def forget_load(self, owner: str) -> None:
        async with self._redis().pipeline(transaction=False) as pipe:
            pipe.delete(self.load_key(owner))
            pipe.srem(self.loads_key(), owner)
            await pipe.execute()


def room_store(client=None, namespace: str | None = None) -> RoomStore:
    """The store of this configuration: Redis when it is configured (or ``client`` is given)."""
    if client is not None or redis_enabled():
        return RedisRoomStore(client, namespace)
    return MemoryRoomStore()
