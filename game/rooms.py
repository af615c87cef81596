"""Rooms that run in memory: each running game is owned by one server process.

The owner holds the game's ``Room`` (``gameplatform.modes.room``) and runs it: client frames
are applied as they come, real-time rooms tick at their mode's rate from one driver task per
process (not a task per room), and nothing touches the database between a game's start and
its end. What a step produces goes out as one hub signal per step to the game's group
(``room_frames``): each socket picks the frames addressed to everyone or to its own player.
While every player's socket is on the owner's process, that signal stays in the process (no
publish through Redis); a player whose frames come through the game's group turns it back on.

Ownership is a lease in Redis (``RoomStore``), renewed by the owner for all its rooms at once.
After every turn (turn-based) or every ``snapshot_ticks`` ticks (real-time) the owner writes
the room's snapshot. A process that dies stops renewing; a process that holds sockets of that
game notices the missing owner (``watch``), claims the lease and restores the room from its
last snapshot, then asks every socket of the game to connect again (``room_hello``): the
players get a fresh ``game_state``. A mode that declares ``resumable = False`` ends
``abandoned`` instead. Without Redis (the embedded, one-process setup) the store is this
process's memory and the one process owns every room.

The database sees a game three times, each written exactly once by a conditional update:
created (by the matchmaker, a lobby or an invite), started, and its result. The seatings, starts
and results of a process's rooms go in shared transactions (``gameplatform.batching``): those
that come while one is on its way go together in the next.
"""

import asyncio
import heapq
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from django.conf import settings

from gameplatform.batching import Batcher
from gameplatform.loops import per_loop
from gameplatform.modes import Grace, Invalid, Mode, Player, Reject, Result, Room
from gameplatform.redis import get_async_redis, get_redis, redis_enabled

logger = logging.getLogger(__name__)

SNAPSHOT_TTL_SECONDS = 24 * 3600
MAX_SLEEP = 0.05  # the driver's longest sleep (seconds)
RECORD_RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)  # a result the database refused is tried again after these, then every 5 s

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


_LOCAL_OWNER: dict[int, str] = {}
_LOCAL_SNAP: dict[int, str] = {}


def clear_local_store() -> None:
    """Forget the rooms of the embedded store (tests: each starts without rooms)."""
    _LOCAL_OWNER.clear()
    _LOCAL_SNAP.clear()


class RoomStore:
    """Who owns which room, and each room's last snapshot: Redis, or this process without it."""

    def __init__(self, client=None, namespace: str | None = None) -> None:
        self.client = client
        self.ns = namespace or settings.DATABASES["default"]["NAME"]
        # Without Redis: this process's memory, one for every store (the timer's and the loop's).
        self._local_owner = _LOCAL_OWNER
        self._local_snap = _LOCAL_SNAP

    def _redis(self):
        if self.client is not None:
            return self.client
        return get_async_redis() if redis_enabled() else None

    def _lease(self, game_id: int) -> str:
        return f"room:{self.ns}:{game_id}:owner"

    def _snap(self, game_id: int) -> str:
        return f"room:{self.ns}:{game_id}:snap"

    async def claim(self, game_id: int, owner: str) -> bool:
        client = self._redis()
        if client is None:
            return self._local_owner.setdefault(game_id, owner) == owner
        ms = int(lease_seconds() * 1000)
        return bool(await client.set(self._lease(game_id), owner, nx=True, px=ms))

    async def claim_many(self, game_ids: list[int], owner: str) -> set[int]:
        """``claim`` of each game, in one round trip; the ids claimed."""
        client = self._redis()
        if client is None or not game_ids:
            return {g for g in game_ids if self._local_owner.setdefault(g, owner) == owner}
        ms = int(lease_seconds() * 1000)
        async with client.pipeline(transaction=False) as pipe:
            for game_id in game_ids:
                pipe.set(self._lease(game_id), owner, nx=True, px=ms)
            claimed = await pipe.execute()
        return {g for g, ok in zip(game_ids, claimed, strict=True) if ok}

    async def renew(self, game_ids: list[int], owner: str) -> set[int]:
        """Renew this owner's leases; returns the ids it still holds."""
        client = self._redis()
        if client is None or not game_ids:
            return {g for g in game_ids if self._local_owner.get(g) == owner}
        keys = [self._lease(g) for g in game_ids]
        held = await client.eval(_RENEW, len(keys), *keys, owner, int(lease_seconds() * 1000))
        return {game_ids[int(i) - 1] for i in held}

    async def owners(self, game_ids: list[int]) -> dict[int, str | None]:
        client = self._redis()
        if client is None:
            return {g: self._local_owner.get(g) for g in game_ids}
        values = await client.mget([self._lease(g) for g in game_ids]) if game_ids else []
        return {g: (v.decode() if isinstance(v, bytes) else v) for g, v in zip(game_ids, values, strict=True)}

    async def release(self, game_id: int, owner: str) -> None:
        client = self._redis()
        if client is None:
            if self._local_owner.get(game_id) == owner:
                del self._local_owner[game_id]
            return
        await client.eval(_RELEASE, 1, self._lease(game_id), owner)

    async def save(self, game_id: int, snapshot: str) -> None:
        client = self._redis()
        if client is None:
            self._local_snap[game_id] = snapshot
            return
        await client.set(self._snap(game_id), snapshot, ex=SNAPSHOT_TTL_SECONDS)

    async def save_many(self, snapshots: dict[int, str | None]) -> None:
        """Several rooms' snapshots in one round trip; None drops a room's snapshot."""
        client = self._redis()
        if client is None:
            for game_id, snapshot in snapshots.items():
                if snapshot is None:
                    self._local_snap.pop(game_id, None)
                else:
                    self._local_snap[game_id] = snapshot
            return
        pipe = client.pipeline(transaction=False)
        for game_id, snapshot in snapshots.items():
            if snapshot is None:
                pipe.delete(self._snap(game_id))
            else:
                pipe.set(self._snap(game_id), snapshot, ex=SNAPSHOT_TTL_SECONDS)
        await pipe.execute()

    async def load(self, game_id: int) -> str | None:
        client = self._redis()
        if client is None:
            return self._local_snap.get(game_id)
        value = await client.get(self._snap(game_id))
        return value.decode() if isinstance(value, bytes) else value

    def unclaimed(self, game_ids: list[int], *, idle_seconds: float) -> list[int]:
        """Of these games, those no process runs and none can resume: no owner, and no snapshot
        or one older than ``idle_seconds`` (a thread's call: the timers)."""
        if not game_ids:
            return []
        if not redis_enabled() and self.client is None:
            return [g for g in game_ids if g not in self._local_owner and g not in self._local_snap]
        client = get_redis()
        pipe = client.pipeline(transaction=False)
        for game_id in game_ids:
            pipe.exists(self._lease(game_id))
            pipe.pttl(self._snap(game_id))
        answers = pipe.execute()
        found = []
        for i, game_id in enumerate(game_ids):
            owned, ttl_ms = answers[2 * i], answers[2 * i + 1]
            age = SNAPSHOT_TTL_SECONDS - ttl_ms / 1000 if ttl_ms >= 0 else None
            if not owned and (age is None or age > idle_seconds):
                found.append(game_id)
        return found

    async def drop(self, game_id: int) -> None:
        client = self._redis()
        if client is None:
            self._local_snap.pop(game_id, None)
            return
        await client.delete(self._snap(game_id))


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


@dataclass
class Seating:
    """What a new room needs from the game's record."""

    mode: Mode
    players: list[Player]
    seed: int
    lobby_id: int | None = None
    over: bool = False  # already finished or abandoned: nothing to run


@dataclass
class Hooks:
    """The host's I/O, given by the game app (and by tests): each one a coroutine function."""

    seating: Callable[[int], Awaitable[Seating | None]]  # the game's record, or None if there is none
    record_start: Callable[[int], Awaitable[None]]
    # (game, result, players, the final board or None, the room's last version)
    record_result: Callable[[int, Result, list[Player], object, int], Awaitable[None]]
    publish: Callable[[int, list[tuple[int, str]]], Awaitable[None]]  # (player id or 0, frame text)
    # ``publish`` to this process's sockets only: for a room whose players' sockets are all here.
    publish_here: Callable[[int, list[tuple[int, str]]], Awaitable[None]] | None = None
    grace: Callable[[], Grace] = Grace
    # Hear the players' frames sent from other processes while this host owns the room, and stop.
    listen: Callable[[int, "RoomHost"], Awaitable[None]] | None = None
    unlisten: Callable[[int, "RoomHost"], Awaitable[None]] | None = None


@dataclass(order=True)
class _Wake:
    at: float
    game_id: int = field(compare=False)


# Published by a process that took a room over: every socket of the game connects again
# (not a frame for clients: the sockets answer it themselves).
ROOM_HELLO = '{"type":"room_hello"}'
# Sent to a player when a newer socket of theirs took the seat: the socket it names closes 4409
# (not a frame for clients either). The room orders the connects, so the last one keeps the seat.
ROOM_REPLACED_PREFIX = '{"type":"room_replaced","conn":'


def room_replaced(conn: str) -> str:
    return ROOM_REPLACED_PREFIX + json.dumps(conn) + "}"


def _text(frame: dict) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


class RoomHost:
    """The rooms one process owns, their driver, their leases and their takeover."""

    def __init__(self, hooks: Hooks, store: RoomStore | None = None, *, owner: str | None = None) -> None:
        self.hooks = hooks
        self.store = store or RoomStore()
        self.owner = owner or uuid.uuid4().hex
        self.rooms: dict[int, Room] = {}
        self.origin: dict[int, float] = {}  # game time 0 of each room, on this loop's clock
        self.snapshot_tick: dict[int, int] = {}
        self.watched: dict[int, int] = {}  # games with sockets here: how many
        self.lateness: list[float] = []  # seconds each due tick ran late (bench and metrics)
        self._wakes: list[_Wake] = []
        self._next_wake: dict[int, float] = {}  # each room's live entry in ``_wakes`` (older ones are skipped)
        self._claiming: dict[int, asyncio.Future] = {}
        self.writes = SnapshotWriter(self.store)
        self._tasks: list[asyncio.Task] = []
        self._stopping = False  # the tasks end at their next turn even if a cancellation got lost
        # (game, player) -> the socket holding the seat, and whether it is on this process
        self.holders: dict[tuple[int, int], tuple[str, bool]] = {}
        # game -> its players whose sockets are on other processes (their frames come through the
        # room's group): while a room has none, its frames go to this process's sockets only.
        self.elsewhere: dict[int, set[int]] = {}
        # Games over whose result the database has not taken yet: the frames held back, the tries.
        self.unrecorded: dict[int, tuple[list[tuple[int, str]], int]] = {}
        self._ending: dict[int, asyncio.Task] = {}  # the driver's tries at recording a result, running

    # --- life -------------------------------------------------------------------------

    def start(self) -> None:
        if not self._tasks:
            loop = asyncio.get_running_loop()
            self._stopping = False
            self._tasks = [loop.create_task(self._drive()), loop.create_task(self._keep_leases())]

    async def stop(self, *, release: bool = True) -> None:
        """Stop driving (``release=False`` plays a process that died: its leases just run out).

        The tasks are cancelled and also told to stop: a cancellation that lands in a Redis
        command (a snapshot, a renewal) can be lost in the client (redis-py's asyncio client
        was seen to return normally), and the loop must not go round again for ever."""
        self._stopping = True
        for task in [*self._tasks, *self._ending.values()]:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        self._tasks = []
        await self.writes.stop()
        self._stopping = False
        for game_id in list(self.rooms):
            if release:
                await self.store.release(game_id, self.owner)
            await self._let_go(game_id)
        self.holders.clear()
        self.elsewhere.clear()

    def now(self, game_id: int) -> float:
        return time.monotonic() - self.origin[game_id]

    # --- owning a room ------------------------------------------------------------------

    async def open(self, game_id: int, *, player_id: int | None = None) -> bool:
        """Own ``game_id`` here if nobody does: True when this process runs it now.

        ``player_id``: open it only if that user plays the game (a socket's first step, before
        its seat is known: a stranger's socket opens no room). False does not say the user has no
        seat; while another open of the game is on its way, its answer is this one's."""
        if game_id in self.rooms:
            return True
        pending = self._claiming.get(game_id)
        if pending is not None:
            return await pending
        future = self._claiming[game_id] = asyncio.get_running_loop().create_future()
        try:
            owned = await self._open(game_id, player_id)
            future.set_result(owned)
            return owned
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: a failed claim is reported to the caller, not logged twice
            raise
        finally:
            del self._claiming[game_id]

    async def _open(self, game_id: int, player_id: int | None) -> bool:
        if not await self.store.claim(game_id, self.owner):
            return False
        try:
            room, taken_over = await self._load(game_id, player_id)
        except BaseException:
            await self.store.release(game_id, self.owner)
            raise
        if room is None:
            await self.store.release(game_id, self.owner)
            return False
        self.rooms[game_id] = room
        self.origin[game_id] = time.monotonic() - room.ctx.now
        if self.hooks.listen is not None:
            await self.hooks.listen(game_id, self)
        self.snapshot_tick[game_id] = room.ctx.tick
        self.start()
        self._schedule(game_id)
        if taken_over:
            # Only now: the sockets answer with a ``connect``, and one on another process sends
            # it through the game's group, which this host hears from ``listen`` above on.
            await self._publish(game_id, [(0, ROOM_HELLO)], everywhere=True)
        return True

    async def _load(self, game_id: int, player_id: int | None = None) -> tuple[Room | None, bool]:
        """The room to run (None: nothing to run, or ``player_id`` has no seat) and whether it was
        taken over from a snapshot."""
        seating = await self.hooks.seating(game_id)
        if seating is None or seating.over:
            return None, False
        if player_id is not None and not any(p.id == player_id for p in seating.players):
            return None, False
        saved = await self.store.load(game_id)
        if saved is None:
            seed = seating.seed
            room = Room(
                seating.mode,
                game_id=game_id,
                players=seating.players,
                seed=seed,
                lobby_id=seating.lobby_id,
                grace=self.hooks.grace(),
            )
            return room, False
        room = Room.restore(seating.mode, json.loads(saved), grace=self.hooks.grace())
        logger.info("room taken over", extra={"game_id": game_id, "tick": room.ctx.tick})
        if room.over:  # its owner died between the end and its record
            await self._after_step(game_id, room, snapshot=False)
            return None, False
        if not seating.mode.resumable and room.phase == "active":
            room.abandon()
            await self._after_step(game_id, room, snapshot=False)
            return None, False
        return room, True

    # --- frames in ----------------------------------------------------------------------

    def seat_here(self, game_id: int, player_id: int) -> str | None:
        """The mode's name of a game whose room runs here and that ``player_id`` plays: a socket's
        seat check without the database (the room's players are the game's seats). None when the
        room is not here, is over, or has no such player: the database answers then."""
        room = self.rooms.get(game_id)
        if room is None or room.over or not any(p.id == player_id for p in room.players):
            return None
        return room.mode.name

    async def apply(
        self,
        game_id: int,
        player_id: int,
        op: str,
        args: tuple = (),
        ref=None,
        conn: str | None = None,
        *,
        here: bool = True,
    ) -> bool:
        """Apply a player's operation (``connect``, ``disconnect``, ``ready``, ``forfeit``, ``move``,
        ``action``, ``input``) to a room owned here. False when this process does not own it.

        ``conn`` names the socket: a ``connect`` from another socket than the one holding the seat
        tells that one it was replaced (``room_replaced``: it closes 4409), and a ``disconnect``
        of a socket that no longer holds the seat changes nothing. ``here``: the socket is on this
        process (False for a frame that came through the game's group): the room's frames then go
        to every process until that player's seat is held from here again or left."""
        room = self.rooms.get(game_id)
        if room is None:
            return False
        key = (game_id, player_id)
        if op == "connect" and conn is not None:
            held = self.holders.get(key)
            self.holders[key] = (conn, here)
            if held is not None and held[0] != conn:
                # To the process of the replaced socket: this one's, or every one.
                await self._publish(game_id, [(player_id, room_replaced(held[0]))], everywhere=not held[1])
        elif op == "disconnect" and conn is not None:
            held = self.holders.get(key)
            if held is None or held[0] != conn:
                return True
            del self.holders[key]
        if op == "disconnect" or (here and op == "connect"):
            self.elsewhere.get(game_id, set()).discard(player_id)
        elif not here:
            self.elsewhere.setdefault(game_id, set()).add(player_id)
        try:
            room.advance(self.now(game_id))  # the room's clock is now (a turn-based room has no tick)
            getattr(room, op)(player_id, *args)
        except Reject as exc:
            await self._refuse(game_id, room, player_id, exc.code, exc.message, ref)
            return True
        except Invalid as exc:
            await self._refuse(game_id, room, player_id, "invalid", "The frame has invalid fields.", ref, exc.fields)
            return True
        snapshot = room.mode.tick_rate == 0 or op in ("connect", "disconnect", "ready", "forfeit")
        # A frame sent with a ``ref`` is answered ``ack`` once taken, after the frames its step made:
        # a client knows its move was applied, and that its view already shows it.
        reply = None if ref is None else (player_id, _text({"type": "ack", "ref": ref}))
        await self._after_step(game_id, room, snapshot=snapshot, reply=reply)
        self._schedule(game_id)
        return True

    async def _refuse(self, game_id, room: Room, player_id, code, message, ref, fields=None) -> None:
        error = {"type": "error", "code": code, "message": message}
        if fields is not None:
            error["fields"] = fields
        if ref is not None:
            error["ref"] = ref
        frames = room.drain_encoded()
        await self._publish(game_id, [*frames, (player_id, _text(error))])

    async def _publish(self, game_id: int, frames: list[tuple[int, str]], *, everywhere: bool = False) -> None:
        """The room's frames to its game's sockets: this process's only while all its players are here."""
        if everywhere or self.elsewhere.get(game_id) or self.hooks.publish_here is None:
            await self.hooks.publish(game_id, frames)
        else:
            await self.hooks.publish_here(game_id, frames)

    # --- the driver ----------------------------------------------------------------------

    def _schedule(self, game_id: int) -> None:
        """The room's next wake in the heap, unless it is there already (an input changes nothing)."""
        room = self.rooms.get(game_id)
        at = room.next_wakeup() if room is not None else None
        if at is None:
            self._next_wake.pop(game_id, None)
            return
        at += self.origin[game_id]
        if self._next_wake.get(game_id) != at:
            self._next_wake[game_id] = at
            heapq.heappush(self._wakes, _Wake(at, game_id))

    async def _drive(self) -> None:
        while not self._stopping:
            now = time.monotonic()
            # The snapshots of this pass's rooms, written together once every due room has run:
            # a round trip per room would make every room after it in the pass late.
            pending: dict[int, str] = {}
            while self._wakes and self._wakes[0].at <= now:
                wake = heapq.heappop(self._wakes)
                room = self.rooms.get(wake.game_id)
                if room is None:
                    continue
                if room.over:  # over but not recorded yet: try again
                    if wake.game_id in self.unrecorded:
                        self._end_soon(wake.game_id, room, [])
                    continue
                if self._next_wake.get(wake.game_id) != wake.at:
                    continue  # rescheduled since (a frame moved the clock): a newer entry stands
                del self._next_wake[wake.game_id]  # popped: ``_schedule`` below pushes the next one
                self.lateness.append(now - wake.at)
                try:
                    room.advance(self.now(wake.game_id))
                    tick_snapshot = room.ctx.tick - self.snapshot_tick[wake.game_id] >= room.mode.snapshot_ticks
                    await self._after_step(
                        wake.game_id, room, snapshot=tick_snapshot or room.mode.tick_rate == 0, defer=pending
                    )
                except Exception:
                    if self._stopping:
                        return
                    logger.exception("room step failed", extra={"game_id": wake.game_id})
                    room.abandon()
                    pending.pop(wake.game_id, None)
                    await self._after_step(wake.game_id, room, snapshot=False)
                self._schedule(wake.game_id)
                now = time.monotonic()
            if pending:
                await self.writes.write(pending, wait=False)
            # Until the earliest wake, but never more than MAX_SLEEP: a room made meanwhile gets
            # its first tick or clock within that.
            delay = self._wakes[0].at - time.monotonic() if self._wakes else MAX_SLEEP
            await asyncio.sleep(max(0.0, min(delay, MAX_SLEEP)))

    async def _save(self, game_id: int, snapshot: str) -> None:
        """A snapshot, in the store when this returns (written with whatever else is due then)."""
        await self.writes.write({game_id: snapshot})

    async def _after_step(
        self, game_id: int, room: Room, *, snapshot: bool, defer: dict | None = None, reply: tuple | None = None
    ) -> None:
        # The database first, then the players: a client that sees ``game_over`` (or the start)
        # and asks the REST API finds it recorded.
        frames = room.drain_encoded()
        if reply is not None:
            frames.append(reply)
        if room.phase == "active" and not room.recorded_start:
            try:
                await self.hooks.record_start(game_id)
            except Exception:  # the database is away: the game goes on; the next step tries again
                logger.warning("game start not recorded", exc_info=True, extra={"game_id": game_id})
            else:
                room.recorded_start = True
                snapshot = True
        if room.over:
            if defer is not None:  # the driver's pass: the other rooms' ticks do not wait for the database
                self._end_soon(game_id, room, frames)
            else:
                await self._end(game_id, room, frames)
            return
        if snapshot and defer is None:
            # The snapshot before the frames: a move a player has seen (and been sent ``ack`` for)
            # is in Redis, so a process that dies right after cannot take it back. (Frames go out
            # even when the write fails: the players' views follow the room, which has the move.)
            self.snapshot_tick[game_id] = room.ctx.tick
            try:
                await self._save(game_id, room.encode_snapshot())
            finally:
                if frames:
                    await self._publish(game_id, frames)
            return
        if frames:
            await self._publish(game_id, frames)
        if snapshot:  # the driver's pass: written together after every due room has run
            self.snapshot_tick[game_id] = room.ctx.tick
            defer[game_id] = room.encode_snapshot()

    def _end_soon(self, game_id: int, room: Room, frames: list[tuple[int, str]]) -> None:
        """``_end`` in a task of its own (one at a time per game; frames made meanwhile wait with it)."""
        if game_id in self._ending:
            held, tries = self.unrecorded.get(game_id, ([], 0))
            self.unrecorded[game_id] = (held + frames, tries)
            return
        task = asyncio.get_running_loop().create_task(self._end(game_id, room, frames))
        self._ending[game_id] = task
        task.add_done_callback(lambda _: self._ending.pop(game_id, None))

    async def _end(self, game_id: int, room: Room, frames: list[tuple[int, str]]) -> None:
        """Record the result, then publish the last frames and let the room go.

        Until the database takes the result (it may be away), nobody hears of the end: the frames
        wait here and the driver tries again (``RECORD_RETRY_SECONDS``) while this process keeps
        the room's lease. A process that dies meanwhile leaves the over room's snapshot, and the
        process that takes it over records it (once: the update is conditional)."""
        held, tries = self.unrecorded.pop(game_id, ([], 0))
        frames = held + frames
        try:
            await self._record_result(game_id, room)
        except Exception:
            if self.rooms.get(game_id) is not room:  # let go meanwhile (the host stopped): its snapshot has the end
                return
            tries += 1
            delay = RECORD_RETRY_SECONDS[min(tries, len(RECORD_RETRY_SECONDS)) - 1]
            held, _ = self.unrecorded.get(game_id, ([], 0))  # frames that came while this try ran
            self.unrecorded[game_id] = (frames + held, tries)
            heapq.heappush(self._wakes, _Wake(time.monotonic() + delay, game_id))
            logger.warning(
                "game result not recorded; trying again", exc_info=True, extra={"game_id": game_id, "tries": tries}
            )
            return
        if frames:
            await self._publish(game_id, frames)
        await self._let_go(game_id)
        await self.writes.write({game_id: None})  # after any older snapshot of it still on its way
        await self.store.release(game_id, self.owner)

    async def _record_result(self, game_id: int, room: Room) -> None:
        # The snapshot first: a process that dies before the result is recorded leaves a room
        # that ends again where it is taken over (the conditional update records it once).
        await self._save(game_id, room.encode_snapshot())
        for player in room.players:
            self.holders.pop((game_id, player.id), None)
        board = None
        if room.mode.shared_view:  # the final board of a game everyone sees whole (tic-tac-toe) is kept
            view = room.mode.view(room.state, None)
            board = view.get("board") if isinstance(view, dict) else None
        await self.hooks.record_result(game_id, room.result, room.players, board, room.version)

    async def _let_go(self, game_id: int) -> None:
        self.unrecorded.pop(game_id, None)
        self.elsewhere.pop(game_id, None)
        self._next_wake.pop(game_id, None)
        if self.rooms.pop(game_id, None) is not None and self.hooks.unlisten is not None:
            await self.hooks.unlisten(game_id, self)

    # --- leases and takeover ----------------------------------------------------------------

    def watch(self, game_id: int) -> None:
        """A socket of ``game_id`` is open here: take the room over if its owner goes away."""
        self.watched[game_id] = self.watched.get(game_id, 0) + 1
        self.start()

    def unwatch(self, game_id: int) -> None:
        left = self.watched.get(game_id, 0) - 1
        if left > 0:
            self.watched[game_id] = left
        else:
            self.watched.pop(game_id, None)

    async def _keep_leases(self) -> None:
        while not self._stopping:
            await asyncio.sleep(lease_seconds() / 3)
            try:
                await self.keep_leases_once()
            except Exception:
                logger.warning("room leases not renewed", exc_info=True)

    async def keep_leases_once(self) -> None:
        owned = list(self.rooms)
        held = await self.store.renew(owned, self.owner)
        # Renewed too late (a busy process): take them back where nobody else did, all in one
        # round trip (a process late for hundreds of rooms is busy enough); a room another
        # process has now stops running here.
        late = [g for g in owned if g not in held and g in self.rooms]
        claimed = await self.store.claim_many(late, self.owner)
        for game_id in late:
            if game_id not in claimed:
                if game_id in self.rooms:
                    logger.warning("room lease lost", extra={"game_id": game_id})
                    await self._let_go(game_id)
            elif game_id not in self.rooms:  # it ended (its lease released) while the claim was on its way
                await self.store.release(game_id, self.owner)
        if claimed:
            logger.warning("room leases renewed late", extra={"rooms": len(claimed)})
        orphans = [g for g in self.watched if g not in self.rooms]
        if orphans:
            for game_id, owner in (await self.store.owners(orphans)).items():
                if owner is None:
                    await self.open(game_id)


# --- the platform's hooks: the database through the workers, frames through the hub ----------


class _OpListener:
    """The owner's ear on the game's group: ``op`` frames of players whose sockets are on other processes."""

    user_id = None

    def __init__(self, host: RoomHost, game_id: int) -> None:
        self.host, self.game_id = host, game_id

    async def hub_deliver(self, message: dict) -> None:
        if message.get("signal") != "op":
            return
        data = message.get("data", {})
        try:
            await self.host.apply(
                self.game_id,
                data["player_id"],
                data["op"],
                tuple(data.get("args", ())),
                data.get("ref"),
                data.get("conn"),
                here=False,
            )
        except Exception:
            # The hub drops a member whose delivery raised (for a socket: it is gone). This is the
            # room's only ear for players on other processes: one step whose frames could not be
            # published (a layer shard away) must not leave the room deaf, and its game stuck, for
            # good. The players missed those frames; a socket that reconnects gets the state.
            logger.warning("an op of game %s failed half-way", self.game_id, exc_info=True)


def platform_hooks() -> Hooks:
    from game import services
    from game.registry import get_mode
    from gameplatform import db
    from gameplatform.groups import game_group
    from gameplatform.hub import get_hub
    from gameplatform.realtime import agroup_signal, agroup_signal_here

    listeners: dict[int, _OpListener] = {}

    # The database work of many rooms goes together (``gameplatform.batching``): under load the
    # games that open, start or end during one transaction share the next one.
    async def seatings(game_ids: list[int]) -> list[dict | None]:
        return await db.run_apart(services.game_seatings, game_ids=game_ids)

    async def starts(game_ids: list[int]) -> list[None]:
        await db.run_apart(services.game_record_starts, game_ids=game_ids)
        return [None] * len(game_ids)

    async def results(records: list[services.ResultRecord]) -> list[bool]:
        return await db.run_apart(services.game_record_results, records=records)

    seating_batch, start_batch, result_batch = Batcher(seatings), Batcher(starts), Batcher(results)

    async def seating(game_id: int) -> Seating | None:
        found = await seating_batch.submit(game_id)
        if found is None:
            return None
        return Seating(
            mode=get_mode(found["mode"]),
            players=found["players"],
            seed=found["seed"],
            lobby_id=found["lobby_id"],
            over=found["over"],
        )

    async def record_start(game_id: int) -> None:
        await start_batch.submit(game_id)

    async def record_result(game_id: int, result: Result, players: list[Player], board, version: int) -> None:
        await result_batch.submit(
            services.ResultRecord(game_id=game_id, result=result, players=players, board=board, version=version)
        )

    async def publish(game_id: int, frames: list[tuple[int, str]]) -> None:
        await agroup_signal(game_group(game_id), "room_frames", frames=frames)

    async def publish_here(game_id: int, frames: list[tuple[int, str]]) -> None:
        await agroup_signal_here(game_group(game_id), "room_frames", frames=frames)

    # The room hears other processes' ops on the game's own group, which this process has
    # subscribed already for the game's sockets here: no subscription of its own per game.
    async def listen(game_id: int, host: RoomHost) -> None:
        listener = listeners[game_id] = _OpListener(host, game_id)
        await get_hub().join(game_group(game_id), listener)

    async def unlisten(game_id: int, host: RoomHost) -> None:
        listener = listeners.pop(game_id, None)
        if listener is not None:
            await get_hub().leave(game_group(game_id), listener)

    def grace() -> Grace:
        return Grace(reconnect=services.reconnect_grace_seconds(), first=services.first_connect_grace_seconds())

    return Hooks(
        seating=seating,
        record_start=record_start,
        record_result=record_result,
        publish=publish,
        publish_here=publish_here,
        grace=grace,
        listen=listen,
        unlisten=unlisten,
    )


get_room_host = per_loop(lambda: RoomHost(platform_hooks()))
"""The room host of the running event loop: one per server process."""


async def player_seat(game_id: int, player_id: int) -> dict:
    """``{mode, over}`` of a game this user plays (``selectors.game_player_seat``'s answer and
    refusals). The room knows its seats: when it runs here it answers; when nobody runs it, it
    is opened here for this player first (the room's own seating read is the check, so a game's
    first socket costs one read of its seats, not two). Otherwise, and for a user it does not
    seat, the database answers."""
    from game import selectors
    from gameplatform import db

    host = get_room_host()
    mode = host.seat_here(game_id, player_id)
    if mode is None and game_id not in host.rooms and await host.open(game_id, player_id=player_id):
        mode = host.seat_here(game_id, player_id)
    if mode is not None:
        return {"mode": mode, "over": False}
    return await db.run(selectors.game_player_seat, game_id=game_id, user_id=player_id)


async def submit(game_id: int, player_id: int, op: str, args: tuple = (), *, ref=None, conn: str | None = None) -> None:
    """A player's frame to the game's room, wherever it runs: here, or on its owner through the layer."""
    from gameplatform.groups import game_group
    from gameplatform.realtime import agroup_signal

    if await get_room_host().apply(game_id, player_id, op, args, ref, conn):
        return
    # To the game's group: the owner's listener applies it; the sockets there pass it by.
    await agroup_signal(game_group(game_id), "op", player_id=player_id, op=op, args=list(args), ref=ref, conn=conn)
