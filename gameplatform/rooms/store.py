"""Where rooms are kept between processes: who owns each, its last snapshot, its sockets' order.

One interface, ``RoomStore``, two implementations: ``RedisRoomStore`` for servers that share a
Redis (every process sees every lease and snapshot), ``MemoryRoomStore`` for the embedded
one-process setup (``make run``). The host runs the same code on both; ``room_store()`` picks.

- A **lease** says which process owns a room: set if absent, renewed by its owner for all its
  rooms at once, released when the game ends or the process hands it over.
- A **snapshot** is the JSON of ``Room.snapshot()``: what another process restores the room from.
- A **seat number** orders the sockets of one player in one game: each socket takes the next
  number when it opens, so the room knows which of two sockets is the newer whatever order
  their ``connect`` frames reach it in (one may come through another process).
"""

import asyncio
import logging

from django.conf import settings

from gameplatform.redis import get_async_redis, get_redis, redis_enabled

logger = logging.getLogger(__name__)

SNAPSHOT_TTL_SECONDS = 24 * 3600

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
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


def lease_seconds() -> float:
    return float(getattr(settings, "ROOM_LEASE_SECONDS", 3.0))


class RoomStore:
    """The interface the room host uses. Every method but ``unclaimed`` is a coroutine."""

    async def claim(self, game_id: int, owner: str) -> bool:
        """Own ``game_id`` unless someone does: True when ``owner`` holds its lease now."""
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

    async def save_many(self, snapshots: dict[int, str | None]) -> None:
        """Several rooms' snapshots at once; None drops a room's snapshot and its seat numbers."""
        raise NotImplementedError

    async def save(self, game_id: int, snapshot: str) -> None:
        await self.save_many({game_id: snapshot})

    async def drop(self, game_id: int) -> None:
        await self.save_many({game_id: None})

    async def load(self, game_id: int) -> str | None:
        raise NotImplementedError

    async def next_seat_number(self, game_id: int, player_id: int) -> int:
        """A number for a new socket of ``player_id`` in ``game_id``, larger than any before it."""
        raise NotImplementedError

    def unclaimed(self, game_ids: list[int], *, idle_seconds: float) -> list[int]:
        """Of these games, those no process runs and none can resume: no owner, and no snapshot
        or one older than ``idle_seconds`` (a thread's call: the timers)."""
        raise NotImplementedError


# The embedded store's memory: one for every store of the process (the timer's and the loop's).
_LOCAL_OWNER: dict[int, str] = {}
_LOCAL_SNAP: dict[int, str] = {}
_LOCAL_SEATS: dict[int, dict[int, int]] = {}


def clear_local_store() -> None:
    """Forget the rooms of the embedded store (tests: each starts without rooms)."""
    _LOCAL_OWNER.clear()
    _LOCAL_SNAP.clear()
    _LOCAL_SEATS.clear()


class MemoryRoomStore(RoomStore):
    """This process's memory: the embedded setup, where one process owns every room."""

    async def claim(self, game_id: int, owner: str) -> bool:
        return _LOCAL_OWNER.setdefault(game_id, owner) == owner

    async def claim_many(self, game_ids: list[int], owner: str) -> set[int]:
        return {g for g in game_ids if _LOCAL_OWNER.setdefault(g, owner) == owner}

    async def renew(self, game_ids: list[int], owner: str) -> set[int]:
        return {g for g in game_ids if _LOCAL_OWNER.get(g) == owner}

    async def owners(self, game_ids: list[int]) -> dict[int, str | None]:
        return {g: _LOCAL_OWNER.get(g) for g in game_ids}

    async def release(self, game_id: int, owner: str) -> None:
        if _LOCAL_OWNER.get(game_id) == owner:
            del _LOCAL_OWNER[game_id]

    async def save_many(self, snapshots: dict[int, str | None]) -> None:
        for game_id, snapshot in snapshots.items():
            if snapshot is None:
                _LOCAL_SNAP.pop(game_id, None)
                _LOCAL_SEATS.pop(game_id, None)
            else:
                _LOCAL_SNAP[game_id] = snapshot

    async def load(self, game_id: int) -> str | None:
        return _LOCAL_SNAP.get(game_id)

    async def next_seat_number(self, game_id: int, player_id: int) -> int:
        seats = _LOCAL_SEATS.setdefault(game_id, {})
        seats[player_id] = seats.get(player_id, 0) + 1
        return seats[player_id]

    def unclaimed(self, game_ids: list[int], *, idle_seconds: float) -> list[int]:
        return [g for g in game_ids if g not in _LOCAL_OWNER and g not in _LOCAL_SNAP]


class RedisRoomStore(RoomStore):
    """Redis, shared by every server process. Keys live under the database's name, so two
    deployments (or test runs) on one Redis never see each other's rooms."""

    def __init__(self, client=None, namespace: str | None = None) -> None:
        self.client = client
        self.ns = namespace or settings.DATABASES["default"]["NAME"]

    def _redis(self):
        return self.client if self.client is not None else get_async_redis()

    def lease_key(self, game_id: int) -> str:
        return f"room:{self.ns}:{game_id}:owner"

    def snapshot_key(self, game_id: int) -> str:
        return f"room:{self.ns}:{game_id}:snap"

    def seats_key(self, game_id: int) -> str:
        return f"room:{self.ns}:{game_id}:seats"

    async def claim(self, game_id: int, owner: str) -> bool:
        ms = int(lease_seconds() * 1000)
        return bool(await self._redis().set(self.lease_key(game_id), owner, nx=True, px=ms))

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

    async def save_many(self, snapshots: dict[int, str | None]) -> None:
        pipe = self._redis().pipeline(transaction=False)
        for game_id, snapshot in snapshots.items():
            if snapshot is None:
                pipe.delete(self.snapshot_key(game_id), self.seats_key(game_id))
            else:
                pipe.set(self.snapshot_key(game_id), snapshot, ex=SNAPSHOT_TTL_SECONDS)
        await pipe.execute()

    async def load(self, game_id: int) -> str | None:
        value = await self._redis().get(self.snapshot_key(game_id))
        return value.decode() if isinstance(value, bytes) else value

    async def next_seat_number(self, game_id: int, player_id: int) -> int:
        key = self.seats_key(game_id)
        async with self._redis().pipeline(transaction=False) as pipe:
            pipe.hincrby(key, str(player_id), 1)
            pipe.expire(key, SNAPSHOT_TTL_SECONDS)
            number, _ = await pipe.execute()
        return int(number)

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


def room_store(client=None, namespace: str | None = None) -> RoomStore:
    """The store of this configuration: Redis when it is configured (or ``client`` is given)."""
    if client is not None or redis_enabled():
        return RedisRoomStore(client, namespace)
    return MemoryRoomStore()


class SnapshotWriter:
    """A host's snapshot writes, grouped: what comes while a write is on its way goes out together
    in the next one (one pipeline), and a room's newer snapshot replaces its unsent older one.

    One write at a time, so a room's snapshots land in the order they were made. Under load a
    turn-based move waits for one round trip shared with every other move of that moment instead
    of a round trip of its own; the driver's pass does not wait at all.
    """

    def __init__(self, store: RoomStore) -> None:
        self.store = store
        self.pending: dict[int, str | None] = {}
        self.batch: asyncio.Future | None = None  # resolved when ``pending`` is written
        self.task: asyncio.Task | None = None

    async def write(self, snapshots: dict[int, str | None], *, wait: bool = True) -> None:
        """Write these snapshots (None drops one); ``wait``: until they are in the store (or raise)."""
        loop = asyncio.get_running_loop()
        self.pending.update(snapshots)
        if self.batch is None:
            self.batch = loop.create_future()
        batch = self.batch
        if self.task is None:
            self.task = loop.create_task(self._run())
        if wait:
            await asyncio.shield(batch)

    async def _run(self) -> None:
        try:
            while self.pending:
                snapshots, batch = self.pending, self.batch
                self.pending, self.batch = {}, None
                try:
                    await self.store.save_many(snapshots)
                except asyncio.CancelledError:
                    batch.cancel()
                    raise
                except Exception as exc:
                    logger.warning("room snapshots not saved", exc_info=True, extra={"rooms": len(snapshots)})
                    batch.set_exception(exc)
                    batch.exception()  # retrieved: a write nobody waits for (the driver's) is logged once, above
                else:
                    batch.set_result(None)
        finally:
            self.task = None
            if self.batch is not None and not self.pending:
                self.batch.cancel()
                self.batch = None

    async def stop(self) -> None:
        task = self.task
        if task is not None:
            task.cancel()
            await asyncio.wait([task], timeout=5)
        if self.batch is not None:
            self.batch.cancel()
        self.pending, self.batch, self.task = {}, None, None
