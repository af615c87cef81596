"""The rooms one server process owns: one record each, one driver, their leases and takeover.

The owner holds each game's ``Room`` (``gameplatform.rooms.room``) and runs it: client frames are
applied as they come, real-time rooms tick at their mode's rate from one driver task per process
(not a task per room), and nothing touches the database between a game's start and its end. What
a step produces goes out as one ``Delivery`` (``gameplatform.rooms.wire``) to the game's group:
each socket writes the frames addressed to everyone or to its own player. While every player's
socket is on the owner's process that delivery stays in the process (no publish through Redis);
a player whose frames come through the game's group turns it back on.

Ownership is a lease in the store (``gameplatform.rooms.store``), renewed by the owner for all
its rooms at once. Every step that changes a room goes into the owner's journal, and after every
turn (turn-based) or every ``snapshot_ticks`` ticks (real-time) the owner writes the room's
snapshot; both reach the store before any player hears of the step (``Outbox``). A process that
dies stops renewing; a process that holds sockets of that game notices the missing owner
(``watch``), claims the lease, restores the room from its last snapshot and replays the journal's
steps after it, so the room is exactly where its players last saw it, then asks every socket of
the game to take its seat again (``hello``): the players get a fresh ``game_state``. A mode that
declares ``resumable = False`` ends ``abandoned`` instead.

The database sees a game three times, each through the host's ``Hooks`` and each written exactly
once by a conditional update: created (before the room), started, and its result.

Every room running here is in the match list: at most once a second the host makes each room's
summary (its mode, phase, players, the mode's ``label``, whether a player may still join) and
writes those that changed to the store with the outbox's next write (``list_once``); the game's
end drops it in the write that drops its snapshot, and a lease lost drops it unless the new
owner already wrote its own. A player seated while the game runs (the mode's
``join_in_progress``) reaches the room as a ``join`` step (``join``), journalled like every step.
"""

import asyncio
import contextvars
import heapq
import json
import logging
import time
import uuid
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from django.conf import settings

from gameplatform import metrics
from gameplatform.loops import per_loop
from gameplatform.modes import Invalid, Mode, Player, Reject, Result
from gameplatform.modes.api import checked_label
from gameplatform.rooms.room import PLATFORM_OPS, SPECTATORS, Grace, HookFailed, Room, forwarded_key, ref_key
from gameplatform.rooms.store import JournalBatch, Listings, RoomStore, lease_seconds, room_store
from gameplatform.rooms.wire import Delivery, Receipts, send_op

logger = logging.getLogger(__name__)

MAX_SLEEP = 0.05  # the driver's longest sleep (seconds)
# The longest the driver steps rooms before it lets the loop's other work in (frames from sockets,
# lease renewals, deliveries); an overloaded process runs late, it does not stop answering.
PASS_SECONDS = 0.01
# The driver's writes go at most once in this many seconds: under load each carries the steps of
# every room that ticked meanwhile (a driver with 2,000 room-ticks a second passes over about one
# room at a time). A write someone waits for (a player's move) goes as soon as the one on its way is.
WRITE_INTERVAL = 0.005
JOURNAL_CACHE_SECONDS = 10.0  # a dead owner's journal, read once for all the rooms taken over from it
JOURNAL_TRIM_SECONDS = 1.0  # a journal is trimmed to what its rooms still need at most this often
JOURNAL_REFRESH_SECONDS = 60.0  # and its time to live (a day) started again
STALE_WAKES = 64  # stale entries the driver's heap may hold beyond twice its rooms before it is compacted
RECORD_RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)  # a result the database refused is tried again after these, then every 5 s
LIST_SECONDS = 1.0  # a room's summary in the match list changes at most this often
LIST_REFRESH_SECONDS = 3.0  # and is written again this often when it did not (its listing's time to live)
LIST_CHUNK = 200  # rooms summarised before the listing pass lets the loop's other work in
LABELS_KEPT = 512  # a delayed room's labels on their way to the match list (one a listing pass at most)
# A spectator's socket says it still watches this often (``still_watching``, from any process); one
# not heard from for ``SPECTATOR_TTL_SECONDS`` is forgotten (its process died without an ``unwatch``).
WATCH_RENEW_SECONDS = 20.0
SPECTATOR_TTL_SECONDS = 3 * WATCH_RENEW_SECONDS + 5.0
# A frame forwarded to the room's owner on another process is sent again every RESEND_SECONDS
# until the owner's receipt comes (a room moving between processes hears nothing for a moment),
# and answered ``unavailable`` here once ``answer_seconds()`` have passed without one.
RESEND_SECONDS = 0.5
FORWARDED_MOST = 10_000  # frames of this process's sockets waiting for a receipt; past it: ``overloaded``
# An owner takes no forwarded frame this close to the moment its sender answers it ``unavailable``
# (wall clock, shared by the processes to within this): a frame the client then sends again is
# never overtaken by a late copy of the first, which the room would not know as the same frame.
UNTIL_MARGIN = 0.5
SPECTATOR_OPS = ("watch", "still_watching", "unwatch")
PLAYER_FRAMES = ("ready", "move", "action", "input", "forfeit")
# What the platform itself may ask of a room, wherever it runs (``RoomHost.command``): a player's
# ``forfeit`` made for them (staff kick them), and ``abandon`` (staff end the game).
COMMANDS = ("forfeit", *PLATFORM_OPS)


def answer_seconds() -> float:
    """How long a frame waits for a room that moves between processes before it is answered
    ``unavailable``: ``ROOM_ANSWER_SECONDS``, by default twice the lease (6 s), past a takeover's
    usual 4 to 5 s."""
    return float(getattr(settings, "ROOM_ANSWER_SECONDS", None) or 2 * lease_seconds())


@dataclass(eq=False)
class Forwarded:
    """A socket's frame sent to its room's owner on another process, waiting for the receipt."""

    game_id: int
    player_id: int
    op: str
    args: tuple
    ref: object
    conn: str | None
    seat: int
    resent: bool  # the client sent it again (a reconnect): taken before, it is not taken twice
    until: float  # when it is answered ``unavailable`` here if no receipt came (wall clock)
    last: float  # when it was last sent (monotonic)


class RoomLost(Exception):
    """The room stopped running here (its lease is another process's) while a step of it was on its way."""


@dataclass
class Seating:
    """What a new room needs from the game's record."""

    mode: Mode
    players: list[Player]
    seed: int
    lobby_id: int | None = None
    over: bool = False  # already finished or abandoned: nothing to run
    started_at: float | None = None  # when its start was recorded (Unix time), if it was
    grace: Grace | None = None  # the game's own grace (a queue match's short first one); None: the host's
    flags: dict | None = None  # live operations' flags for the mode's ``ctx.flag`` (gameplatform.modes.flags)


@dataclass
class Hooks:
    """The host's I/O, given by the game app (and by tests): each one a coroutine function."""

    seating: Callable[[int], Awaitable[Seating | None]]  # the game's record, or None if there is none
    record_start: Callable[[int], Awaitable[None]]
    # (game, result, players, the final board or None, the room's last version, every step of the
    # game: its replay, with its seed and players; None when the store could not give it), once
    record_result: Callable[[int, Result, list[Player], object, int, list | None], Awaitable[None]]
    publish: Callable[[int, Delivery], Awaitable[None]]  # to the game's sockets on every process
    # ``publish`` to this process's sockets only: for a room whose players' sockets are all here.
    publish_here: Callable[[int, Delivery], Awaitable[None]] | None = None
    grace: Callable[[], Grace] = Grace
    # Hear the players' frames sent from other processes while this host owns the room, and stop.
    listen: Callable[[int, "RoomHost"], Awaitable[None]] | None = None
    unlisten: Callable[[int, "RoomHost"], Awaitable[None]] | None = None
    # ``publish`` to the game's spectators (None: the game has none anywhere: tests, benches)
    publish_watchers: Callable[[int, Delivery], Awaitable[None]] | None = None


class Lateness:
    """How late due wakes ran, in a fixed number of buckets: no list that grows per tick.

    Buckets are 0.1 ms wide up to 0.5 s, then one for everything later; a percentile is read
    to within a bucket, the maximum exactly."""

    WIDTH = 0.0001
    BUCKETS = 5000

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.counts = [0] * (self.BUCKETS + 1)
        self.count = 0
        self.max = 0.0

    def add(self, seconds: float) -> None:
        self.counts[min(int(seconds / self.WIDTH), self.BUCKETS)] += 1
        self.count += 1
        if seconds > self.max:
            self.max = seconds

    def at_least(self, seconds: float) -> int:
        """How many wakes ran ``seconds`` late or later (to within a bucket)."""
        return sum(self.counts[min(int(seconds / self.WIDTH), self.BUCKETS) :])

    def percentile(self, q: float) -> float:
        """The ``q`` quantile (0 to 1) in seconds, as the upper edge of its bucket; 0 with no wakes."""
        if not self.count:
            return 0.0
        rank, seen = q * self.count, 0
        for index, n in enumerate(self.counts):
            seen += n
            if seen >= rank and n:
                return min((index + 1) * self.WIDTH, self.max)
        return self.max


@dataclass(eq=False)
class Running:
    """One room this process runs, and everything the host keeps for it (gone with it)."""

    room: Room
    origin: float  # game time 0, on this loop's clock
    snapshot_tick: int  # the tick of its last snapshot
    next_wake: float | None = None  # its live entry in the driver's heap (older ones are skipped)
    # player -> (the socket holding the seat, its seat number, whether that socket is on this process)
    holders: dict[int, tuple[str, int, bool]] = field(default_factory=dict)
    # players whose sockets are on other processes (their frames come through the game's group):
    # while there are none, the room's deliveries go to this process's sockets only
    elsewhere: set[int] = field(default_factory=set)
    # over, and the database has not taken the result yet: the frames held back, the tries so far
    unrecorded: bool = False
    held: list[tuple[int, str]] = field(default_factory=list)
    tries: int = 0
    ending: asyncio.Task | None = None  # the driver's try at recording the result, running
    # Steps since the game's log was last added to (with its last snapshot): the replay's next part
    log: list = field(default_factory=list)
    started_at: float | None = None  # when its start was recorded (Unix time): the match list shows it
    listed: str | None = None  # its summary as last written to the match list, and when (the loop's clock)
    listed_at: float = float("-inf")
    # A mode with a spectator delay: the label the match list shows (as it was that long ago), and
    # the newer ones on their way, (when first read, the label), oldest first
    label: dict = field(default_factory=dict)
    labels: deque[tuple[float, dict]] = field(default_factory=lambda: deque(maxlen=LABELS_KEPT))


@dataclass
class Spectators:
    """Who watches a room run here (their sockets, on any process) and, when its mode delays them,
    what is on its way to them. Kept until its last delayed frame is out, past the room's end."""

    delay: float  # seconds behind the players (``Mode.spectator_delay``)
    conns: dict[str, float] = field(default_factory=dict)  # their sockets: when last heard from (monotonic)
    # With a delay: (when due, the frames, the spectators' ``game_state`` after them, the end), in
    # order; what a new spectator is given first (the newest state released); who waits for one.
    queue: deque[tuple[float, tuple[tuple[int, str], ...], str | None, bool]] = field(default_factory=deque)
    state: str | None = None
    waiting: set[str] = field(default_factory=set)


@dataclass(order=True)
class _Wake:
    at: float
    game_id: int = field(compare=False)


# True inside the outbox's own deliveries: a socket that answers a delivery as the hub hands it over
# (a ``hello``: it takes its seat again) must not wait for the outbox, which waits for it.
_delivering: contextvars.ContextVar[bool] = contextvars.ContextVar("rooms_delivering", default=False)


def _take_log(run: Running) -> list:
    """The room's steps not yet in its game's log, taken to go in with a snapshot."""
    log, run.log = run.log, []
    return log


def _text(frame: dict) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


hosts_of_this_loop = per_loop(weakref.WeakSet)
"""The room hosts that run on the running event loop (the server process's: ``drain_all``)."""


async def drain_all() -> int:
    """Hand the rooms of every host of this loop over to the other processes (a stopping server)."""
    return sum([await host.drain() for host in list(hosts_of_this_loop())])


class Outbox:
    """The host's one road to the store and to the players, in the order the steps were taken.

    A step queues its journal entry, the room's snapshot when one is due, and its delivery. One
    task writes what has queued (one store write: a batch of the journal and the snapshots), then
    publishes the deliveries queued with it, in order, then takes the next. So no player hears of a
    step before the store has it, and a takeover never goes back behind what they saw; and a room's
    deliveries keep their order whichever path made them (the driver, a player's frame). Under load
    one write carries many rooms' steps: a move waits for a round trip shared with every other move
    of that moment. A write that fails is logged and its deliveries go out all the same: the
    players' views follow the room, which has the step."""

    def __init__(self, store: RoomStore, owner: str, send, fenced=None) -> None:
        # The journal's name: the owner's, and this outbox's own (an owner's name may be used
        # again by a later host: its batches start again from 1, in a journal of their own).
        self.store, self.send, self.owner = store, send, owner
        self.fenced = fenced  # told the rooms whose lease the store found another's (``_write``)
        self.journal = f"{owner}.{uuid.uuid4().hex[:8]}"
        self.task: asyncio.Task | None = None
        self.written_at = 0.0  # when the last write started (the loop's clock)
        self.trimmed_at = self.refreshed_at = float("-inf")
        self.number = 0  # the journal's last batch
        self.kept_from = 1  # the journal's first batch still kept
        self.since: dict[int, int] = {}  # game -> the first batch with its steps after its last snapshot
        self._clear()

    def _clear(self) -> None:
        self.steps: dict[int, list] = {}
        self.logs: dict[int, list] = {}
        self.snapshots: dict[int, str | None] = {}
        self.listings: dict[int, str | None] = {}
        self.deliveries: list[tuple[int, Delivery, bool]] = []
        self.done: asyncio.Future | None = None
        self.waited = asyncio.Event()  # someone waits for what is queued: no lingering

    def log(self, game_id: int, entry: tuple) -> None:
        self.steps.setdefault(game_id, []).append(entry)

    def snapshot(self, game_id: int, text: str | None, log: list | None = None) -> None:
        """The room's snapshot (None: drop it), which holds its steps queued so far; ``log``: the
        steps to add to the game's log with it."""
        self.steps.pop(game_id, None)
        self.snapshots[game_id] = text
        if log:
            self.logs.setdefault(game_id, []).extend(log)

    def listing(self, game_id: int, summary: str | None) -> None:
        """The room's summary for the match list (None: drop it), written with the next batch."""
        self.listings[game_id] = summary

    def deliver(self, game_id: int, delivery: Delivery, everywhere: bool) -> None:
        self.deliveries.append((game_id, delivery, everywhere))

    def forget(self, game_id: int) -> None:
        """The room is no longer run here: its steps no longer hold the journal."""
        self.since.pop(game_id, None)

    def flush(self) -> asyncio.Future:
        """Write and publish what is queued; done once its deliveries are out (or failed). Shared
        by every step queued meanwhile: await it shielded (``sent``)."""
        loop = asyncio.get_running_loop()
        if self.done is None:
            self.done = loop.create_future()
        done = self.done
        if self.task is None:
            self.task = loop.create_task(self._run())
        return done

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.done is not None:
                wait = self.written_at + WRITE_INTERVAL - loop.time()
                if wait > 0 and not self.waited.is_set():  # a write just went: the driver's steps linger
                    try:
                        await asyncio.wait_for(self.waited.wait(), wait)
                    except TimeoutError:
                        pass
                self.written_at = loop.time()
                steps, snapshots, logs = self.steps, self.snapshots, self.logs
                deliveries, done, listings = self.deliveries, self.done, self.listings
                self._clear()
                try:
                    refused = await self._write(steps, snapshots, listings, logs)
                except asyncio.CancelledError:
                    done.cancel()
                    raise
                except Exception:
                    logger.warning("room steps not saved; delivered all the same", exc_info=True)
                    refused = set()
                if refused:
                    # Another process owns these rooms now (this one was slow or paused past its
                    # lease): what they did here is not saved, so nobody hears of it.
                    deliveries = [d for d in deliveries if d[0] not in refused]
                    if self.fenced is not None:
                        await self.fenced(refused)
                try:
                    await self._send_all(deliveries)
                except asyncio.CancelledError:
                    done.cancel()
                    raise
                if not done.done():
                    done.set_result(None)
        finally:
            self.task = None

    async def _send_all(self, deliveries: list[tuple[int, Delivery, bool]]) -> None:
        """A batch's deliveries: each game's in order, the games side by side (a socket slow to
        take its frames holds up its own game's, not the others')."""
        by_game: dict[int, list[tuple[Delivery, bool]]] = {}
        for game_id, delivery, everywhere in deliveries:
            by_game.setdefault(game_id, []).append((delivery, everywhere))
        if len(by_game) == 1:
            await self._send_game(*by_game.popitem())
        elif by_game:
            await asyncio.gather(*(self._send_game(game_id, queued) for game_id, queued in by_game.items()))

    async def _send_game(self, game_id: int, queued: list[tuple[Delivery, bool]]) -> None:
        _delivering.set(True)  # what the sockets do as they take it runs in here (see ``sent``)
        # The players' deliveries before the spectators', each kind in its order: a thousand
        # spectators' sockets take this process tens of milliseconds to write, which the players'
        # frames of the same tick would otherwise wait behind. (Neither kind's sockets see the other's.)
        for delivery, everywhere in sorted(queued, key=lambda item: item[0].watchers):
            try:
                await self.send(game_id, delivery, everywhere)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("a room's delivery failed", exc_info=True, extra={"game_id": game_id})

    async def _write(
        self,
        steps: dict[int, list],
        snapshots: dict[int, str | None],
        listings: dict[int, str | None],
        logs: dict[int, list],
    ) -> set[int]:
        """One store write; the games whose lease another process holds (nothing of theirs written)."""
        number = self.number + 1
        for game_id in snapshots:
            self.since.pop(game_id, None)
        for game_id in steps:
            self.since.setdefault(game_id, number)
        now = time.monotonic()
        keep_from = min(self.since.values(), default=number + 1)
        trim = keep_from > self.kept_from and now - self.trimmed_at >= JOURNAL_TRIM_SECONDS
        refresh = bool(steps) and now - self.refreshed_at >= JOURNAL_REFRESH_SECONDS
        journal = None
        if steps or trim:
            journal = JournalBatch(self.journal, number, steps, keep_from if trim else None, refresh)
            self.number = number
            if trim:
                self.kept_from, self.trimmed_at = keep_from, now
            if refresh:
                self.refreshed_at = now
        listed = Listings(self.owner, listings) if listings else None
        if logs:
            return await self.store.write(snapshots, journal, listed, logs, fence=self.owner)
        if journal is not None or snapshots or listed is not None:
            return await self.store.write(snapshots, journal, listed, fence=self.owner)
        return set()

    async def sent(self) -> None:
        """``flush``, and wait until what was queued is out. Called from a delivery itself (a
        socket of this process answers ``hello`` with its ``connect`` as the hub hands it the
        delivery), it does not wait: what it queued goes out right after the delivery's batch."""
        done = self.flush()
        if not _delivering.get():
            self.waited.set()
            await asyncio.shield(done)

    async def stop(self) -> None:
        task = self.task
        if task is not None:
            task.cancel()
            await asyncio.wait([task], timeout=5)
        if self.done is not None:
            self.done.cancel()
        self._clear()


class RoomHost:
    """The rooms one process owns, their driver, their leases and their takeover."""

    def __init__(self, hooks: Hooks, store: RoomStore | None = None, *, owner: str | None = None) -> None:
        self.hooks = hooks
        self.store = store or room_store()
        self.owner = owner or uuid.uuid4().hex
        self.running: dict[int, Running] = {}
        self.watched: dict[int, int] = {}  # games with sockets here: how many
        self.spectators: dict[int, Spectators] = {}  # rooms run here that someone watches
        self.lateness = Lateness()  # how late each due wake ran (bench and tests)
        self._wakes: list[_Wake] = []
        self._claiming: dict[int, asyncio.Future] = {}
        self.out = Outbox(self.store, self.owner, self._publish, self._fenced)
        self._journals: dict[str, tuple[float, dict[int, list]]] = {}  # dead owners' journals, read lately
        self._tasks: list[asyncio.Task] = []
        self._stopping = False  # the tasks end at their next turn even if a cancellation got lost
        self.draining = False  # handing its rooms over (the server is stopping): it takes none
        # This process's sockets' frames sent to rooms owned elsewhere, by id, until their receipt
        self.forwarded: dict[str, Forwarded] = {}
        self._forwarded_count = 0

    @property
    def rooms(self) -> dict[int, Room]:
        """The rooms running here, by game (a copy: tests and benches read it)."""
        return {game_id: run.room for game_id, run in self.running.items()}

    def room(self, game_id: int) -> Room | None:
        run = self.running.get(game_id)
        return run.room if run is not None else None

    # --- life -------------------------------------------------------------------------

    def start(self) -> None:
        if not self._tasks and not self.draining:
            loop = asyncio.get_running_loop()
            self._stopping = False
            self._tasks = [
                loop.create_task(self._drive()),
                loop.create_task(self._keep_leases()),
                loop.create_task(self._keep_listings()),
                loop.create_task(self._keep_forwarded()),
            ]
            hosts_of_this_loop().add(self)

    async def drain(self) -> int:
        """Hand every room over to the other processes (the server is stopping: a deploy).

        The host takes no room from now on; its driver stops; each room's snapshot goes to the
        store with everything journalled before it, its lease is released, and every socket of
        its game is told to take its seat again (``hello``): a socket on another process claims
        the room at once and restores it as its players last saw it, with no lease to wait for.
        A game whose result the database has not taken yet keeps its ended snapshot, which the
        next owner records. Returns how many rooms it handed over."""
        self.draining = True
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        self._tasks = []
        endings = [run.ending for run in self.running.values() if run.ending is not None]
        if endings:  # results on their way to the database: a moment to land
            await asyncio.wait(endings, timeout=2)
        games = list(self.running)
        for game_id in games:
            run = self.running[game_id]
            if not run.room.over:
                self.out.snapshot(game_id, run.room.encode_snapshot(journal=self.out.journal), _take_log(run))
        try:
            await self.out.sent()
        except Exception:
            logger.warning("rooms not saved before their handover", exc_info=True, extra={"rooms": len(games)})
        for game_id in games:
            await self.store.release(game_id, self.owner)
            await self._let_go(game_id)
            self.out.deliver(game_id, Delivery(hello=True), True)
        await self.out.sent()
        self._stopping = False
        if games:
            logger.info("rooms handed over", extra={"rooms": len(games)})
        return len(games)

    async def stop(self, *, release: bool = True) -> None:
        """Stop driving (``release=False`` plays a process that died: its leases just run out).

        The tasks are cancelled and also told to stop: a cancellation that lands in a Redis
        command (a snapshot, a renewal) can be lost in the client (redis-py's asyncio client
        was seen to return normally), and the loop must not go round again for ever."""
        self._stopping = True
        endings = [run.ending for run in self.running.values() if run.ending is not None]
        for task in [*self._tasks, *endings]:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        self._tasks = []
        await self.out.stop()
        self._stopping = False
        for game_id in list(self.running):
            if release:
                await self.store.release(game_id, self.owner)
                await self.store.unlist(game_id, self.owner)
            await self._let_go(game_id)
        self._wakes.clear()
        self._journals.clear()
        self.spectators.clear()

    def now(self, game_id: int) -> float:
        return time.monotonic() - self.running[game_id].origin

    # --- owning a room ------------------------------------------------------------------

    async def open(self, game_id: int, *, player_id: int | None = None) -> bool:
        """Own ``game_id`` here if nobody does: True when this process runs it now.

        ``player_id``: open it only if that user plays the game (a socket's first step, before
        its seat is known: a stranger's socket opens no room). False does not say the user has no
        seat; while another open of the game is on its way, its answer is this one's."""
        if game_id in self.running:
            return True
        if self.draining:
            return False
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
        # The room hears the game's group before it is claimed: a socket on another process sends
        # its player's frames there as soon as it finds the room claimed, and a cold owner may
        # still be reading the seats then (its database workers start). What it hears meanwhile
        # waits for the room (``opening``); a process that does not get the room stops listening.
        if self.hooks.listen is not None:
            await self.hooks.listen(game_id, self)
        try:
            owned = await self._claim_and_run(game_id, player_id)
        except BaseException:
            await self._unlisten(game_id)
            raise
        if not owned:
            await self._unlisten(game_id)
        return owned

    async def _unlisten(self, game_id: int) -> None:
        if self.hooks.unlisten is not None and game_id not in self.running:
            await self.hooks.unlisten(game_id, self)

    async def opening(self, game_id: int) -> bool:
        """Whether ``game_id`` runs here, once an open of it on its way here has its answer: the
        frames its room heard from other processes while it was claimed and loaded wait for it."""
        pending = self._claiming.get(game_id)
        if pending is not None:
            try:
                await asyncio.shield(pending)
            except Exception:
                pass
        return game_id in self.running

    async def _claim_and_run(self, game_id: int, player_id: int | None) -> bool:
        asked = time.monotonic()
        claimed, saved = await self.store.claim_and_load(game_id, self.owner)
        if not claimed:
            return False
        try:
            seating = await self._seating(game_id, player_id)
            if seating is not None and self._lease_may_have_lapsed(asked):
                # The seat read was slow (a cold process's database workers): the room may have run
                # elsewhere meanwhile, under a lease of its own. Run it only while the lease is this
                # host's, from the snapshot as it is now.
                asked = time.monotonic()  # a lease renewed or claimed again holds from here on
                if not await self._still_holds(game_id):
                    return False
                saved = await self.store.load(game_id)
            room, taken_over = (None, False) if seating is None else await self._load_seated(game_id, seating, saved)
        except BaseException:
            await self.store.release(game_id, self.owner)
            raise
        if room is None:
            await self.store.release(game_id, self.owner)
            return False
        if self._lease_may_have_lapsed(asked) and not await self._still_holds(game_id):
            return False  # the load outlasted the lease: another process runs it now
        if taken_over:
            self._seat_newcomers(room, seating.players)  # seated while nobody ran the room
        started_at = seating.started_at
        room.journalled = True  # its steps go into this host's journal
        run = self.running[game_id] = Running(
            room,
            origin=time.monotonic() - room.ctx.now,
            snapshot_tick=room.ctx.tick,
            started_at=started_at,
            log=list(room.replayed_steps),
        )
        self.start()
        self._schedule(game_id)
        if taken_over:
            # The room as it was rebuilt, saved under this owner's journal from now on; then (only
            # now) the sockets answer the hello with a ``connect``, and one on another process sends
            # it through the game's group, which this host hears from ``listen`` above on.
            self.out.snapshot(game_id, room.encode_snapshot(journal=self.out.journal), _take_log(run))
            self.out.deliver(game_id, Delivery(hello=True), True)
            await self.out.sent()
        return True

    @staticmethod
    def _lease_may_have_lapsed(asked: float) -> bool:
        """A lease claimed at ``asked`` or after (``time.monotonic``) holds for ``lease_seconds()``
        from then: until half of it has gone by, it is surely still this host's, and asking Redis
        again (``_still_holds``) would only cost a round trip on every room's open."""
        return time.monotonic() - asked >= lease_seconds() / 2

    async def _still_holds(self, game_id: int) -> bool:
        """The lease this host claimed before loading the room is still its own: renewed, or taken
        again if it ran out with nobody taking it. A load can outlast the lease (the seat read of a
        cold process waits for its database workers to start), and no renewal covers a room that
        is not running yet; a process that claimed the room meanwhile runs it, and this one must not."""
        if game_id in await self.store.renew([game_id], self.owner):
            return True
        if await self.store.claim(game_id, self.owner):
            logger.warning("room lease ran out while the room was loaded", extra={"game_id": game_id})
            return True
        logger.info("room claimed elsewhere while it was loaded here", extra={"game_id": game_id})
        return False

    async def _seating(self, game_id: int, player_id: int | None = None) -> Seating | None:
        """The game's seats (None: nothing to run, or ``player_id`` has no seat)."""
        seating = await self.hooks.seating(game_id)
        if seating is None:
            return None
        if player_id is not None and not any(p.id == player_id for p in seating.players):
            return None
        return seating

    async def _load_seated(self, game_id: int, seating: Seating, saved: str | None) -> tuple[Room | None, bool]:
        """The room to run from its seats and ``saved``, its snapshot (None: a new room), and
        whether it was taken over; None when there is nothing to run."""
        if saved is None:
            if seating.over:
                return None, False
            room = Room(
                seating.mode,
                game_id=game_id,
                players=seating.players,
                seed=seating.seed,
                lobby_id=seating.lobby_id,
                grace=seating.grace or self.hooks.grace(),
                flags=seating.flags,
            )
            if seating.started_at is not None:
                # Started, and its snapshot is gone (Redis lost its data, or the one process of
                # ``make run`` restarted): what its players saw cannot be rebuilt, and the game
                # played again from its first move would take it back. It ends abandoned.
                logger.warning("a started game's room is gone; the game ends abandoned", extra={"game_id": game_id})
                room.abandon()
                await self._finish(game_id, room)
                return None, False
            return room, False
        room = await self._restore(seating.mode, game_id, json.loads(saved), seating.grace)
        if seating.over:  # recorded, and its owner died before telling the players
            if room.over:
                await self._finish(game_id, room, recorded=True)
            return None, False
        logger.info("room taken over", extra={"game_id": game_id, "tick": room.ctx.tick, "replayed": room.replayed})
        if room.over:  # its owner died between the end and its record
            await self._finish(game_id, room)
            return None, False
        if not seating.mode.resumable and room.phase == "active":
            room.abandon()
            await self._finish(game_id, room)
            return None, False
        return room, True

    async def _restore(self, mode: Mode, game_id: int, snap: dict, grace: Grace | None = None) -> Room:
        """The room of a snapshot and the steps its owner journalled after it, with ``grace`` (the
        game's own; None: the host's)."""
        owner = snap.get("journal")
        steps = []
        if owner is not None and owner != self.out.journal:
            steps = await self._journal_of(owner, game_id)
        return Room.restore(mode, snap, grace=grace or self.hooks.grace(), journal=steps)

    async def _journal_of(self, owner: str, game_id: int) -> list:
        """``owner``'s journalled steps of ``game_id``. A dead owner's journal is read once for
        all the rooms taken over from it (it writes no more)."""
        now = time.monotonic()
        self._forget_journals(now)
        cached = self._journals.get(owner)
        if cached is None:
            by_game: dict[int, list] = {}
            for _, batch in await self.store.journal(owner):
                for g, entries in batch.items():
                    by_game.setdefault(g, []).extend(entries)
            cached = self._journals[owner] = (now, by_game)
        return cached[1].get(game_id, [])

    def _forget_journals(self, now: float) -> None:
        for name in [name for name, (at, _) in self._journals.items() if now - at > JOURNAL_CACHE_SECONDS]:
            del self._journals[name]

    async def _finish(self, game_id: int, room: Room, *, recorded: bool = False) -> None:
        """A room over as it is loaded: its result recorded (once), then announced to every socket
        of the game (the last ``game_state`` and ``game_over``), then its snapshot dropped."""
        run = Running(room, origin=0.0, snapshot_tick=room.ctx.tick, log=list(room.replayed_steps))
        if not recorded:  # else its owner recorded the result, and the replay with it, and died
            await self._record_result(game_id, run, running=False)
        self.out.deliver(game_id, Delivery(tuple(room.final_frames()), over=True), True)
        self.out.snapshot(game_id, None)
        self.out.listing(game_id, None)  # a dead owner's
        await self.out.sent()

    # --- frames in ----------------------------------------------------------------------

    def seat_here(self, game_id: int, player_id: int) -> str | None:
        """The mode's name of a game whose room runs here and that ``player_id`` plays: a socket's
        seat check without the database (the room's players are the game's seats). None when the
        room is not here, is over, or has no such player: the database answers then."""
        room = self.room(game_id)
        if room is None or room.over or not any(p.id == player_id for p in room.players):
            return None
        return room.mode.name

    async def join(self, game_id: int, player: Player) -> bool:
        """``player`` was seated in the game's record while it runs (the mode's ``join_in_progress``):
        the room seats them too, as a ``join`` step (journalled; the other players get a fresh
        ``game_state``). False when the room does not run here."""
        run = self.running.get(game_id)
        if run is None:
            return False
        if self._seat_newcomers(run.room, [player], now=self.now(game_id)):
            await self._after_step(game_id, run, snapshot=True, wait=True)
            self._schedule(game_id)
        return True

    def _seat_newcomers(self, room: Room, players: list[Player], *, now: float | None = None) -> bool:
        """Seat in ``room`` those of ``players`` (the game's seats) it does not have: seats taken
        while their message was on its way, or while no process ran the room. True when it took any."""
        seated = {p.id for p in room.players}
        took = False
        for player in sorted(players, key=lambda p: p.seat):
            if player.id in seated:
                continue
            seat = {"id": player.id, "username": player.username, "seat": player.seat, "side": player.side}
            try:
                room.step(room.ctx.now if now is None else now, "join", seat)
            except (Reject, HookFailed) as exc:
                logger.warning(
                    "a seat taken in the game's record was refused by its room: %s",
                    exc,
                    extra={"game_id": room.game_id, "player_id": player.id},
                )
                continue
            took = True
        return took

    async def take_seat_number(self, game_id: int, player_id: int) -> int:
        """The number of a new socket of ``player_id``: the room seats the highest it has heard of."""
        return await self.store.next_seat_number(game_id, player_id)

    async def submit(
        self,
        game_id: int,
        player_id: int,
        op: str,
        args: tuple = (),
        *,
        ref=None,
        conn=None,
        seat: int = 0,
        resent: bool = False,
    ) -> None:
        """A player's frame to the game's room, wherever it runs: here, or on its owner through the
        game's group, sent again until the owner's receipt comes (``forward``). ``resent``: the
        client sends it again after a reconnect (a frame the room took is answered, not applied twice)."""
        if not await self.apply(game_id, player_id, op, args, ref, conn, seat=seat, resent=resent):
            await self.forward(game_id, player_id, op, args, ref, conn, seat, resent)

    async def forward(self, game_id, player_id, op, args, ref, conn, seat, resent=False) -> None:
        """Send a frame to the room's owner on another process, and keep it until the receipt: a
        frame sent while the room moves (its owner died or stops, and nobody hears the game's group
        for a moment) is sent again, to whoever owns the room then, or applied here if this process
        takes the room; the owner knows it by its id and applies it once. Without a receipt within
        ``answer_seconds()`` it is answered ``unavailable`` (``_unanswered``)."""
        if len(self.forwarded) >= FORWARDED_MOST:
            refused = Forwarded(game_id, player_id, op, args, ref, conn, seat, resent, 0.0, 0.0)
            await self._unanswered(refused, "overloaded")
            return
        forwarded_id = self._forwarded_id()
        until = time.time() + answer_seconds()
        forwarded = Forwarded(game_id, player_id, op, args, ref, conn, seat, resent, until, time.monotonic())
        self.forwarded[forwarded_id] = forwarded
        self.start()
        await send_op(game_id, player_id, op, args, ref, conn, seat, forwarded=forwarded_id, resent=resent, until=until)

    def _forwarded_id(self) -> str:
        self._forwarded_count += 1
        return f"{self.owner[:12]}.{self._forwarded_count}"  # short: rooms remember it a while

    async def command(self, game_id: int, op: str, player_id: int = 0, *, timeout: float | None = None) -> bool:
        """The platform's own step for a room, wherever it runs: ``forfeit`` for ``player_id``
        (staff kick a player: they leave as if they had forfeited) or ``abandon`` (staff end the
        game). True once the room has taken it (its step is in the store, its frames are out; a
        step the rules refuse, such as a player already out, is taken too and changes nothing);
        False when no process took it within ``timeout`` (by default ``answer_seconds()``).

        Only the room's owner changes a room, so this goes the way of a player's frame from a
        socket on another process: applied here when the room runs here, else sent to the owner
        through the game's group with an id (``send_op``), and sent again every
        ``RESEND_SECONDS`` until the owner's receipt comes back (heard on the game's group,
        ``Receipts``: this process may hold no socket of the game). The room knows the id
        (``Room.took``), so a copy sent again is answered, not applied twice, and the copies carry
        the same ``until``: the owner takes none after this call has given up. It differs from a
        player's frame in two ways: no socket sent it (it holds no seat, and no client's frame
        ever names ``abandon``: ``apply`` refuses the platform's steps from a socket), and a room
        that nobody runs at the moment (it moves between processes) is waited for, not opened
        here: a staff page's process does not take games over."""
        if op not in COMMANDS:
            raise ValueError(f"no such command: {op!r}")
        total = answer_seconds() if timeout is None else timeout
        deadline, until = time.monotonic() + total, time.time() + total
        forwarded_id = self._forwarded_id()
        if await self.apply(game_id, player_id, op, forwarded=forwarded_id):
            return True
        async with Receipts(game_id) as receipts:
            while (left := deadline - time.monotonic()) > 0:
                owner = (await self.store.owners([game_id])).get(game_id)
                if owner is None or owner == self.owner:  # moving (or being opened here): a moment
                    await asyncio.sleep(min(RESEND_SECONDS, left))
                else:
                    await send_op(game_id, player_id, op, (), None, None, 0, forwarded=forwarded_id, until=until)
                    if await receipts.wait(forwarded_id, min(RESEND_SECONDS, left)):
                        return True
                if await self.apply(game_id, player_id, op, forwarded=forwarded_id):  # it came here meanwhile
                    return True
        return False

    def heard(self, receipts) -> None:
        """The owners took these forwarded frames (their ids, in a delivery's ``took``)."""
        for forwarded_id in receipts:
            self.forwarded.pop(forwarded_id, None)

    async def _keep_forwarded(self) -> None:
        while not self._stopping:
            await asyncio.sleep(RESEND_SECONDS / 2)
            if self.forwarded:
                try:
                    await self.resend_forwarded()
                except Exception:
                    logger.warning("forwarded frames not sent again", exc_info=True)

    async def resend_forwarded(self) -> None:
        """Send again the forwarded frames with no receipt for ``RESEND_SECONDS``, each socket's
        in the order they were sent; answer those past ``answer_seconds()``."""
        now, wall = time.monotonic(), time.time()
        due = [(i, f) for i, f in self.forwarded.items() if now - f.last >= RESEND_SECONDS or wall >= f.until]
        conns = {f.conn for _, f in due}
        # Who owns the rooms of the frames going again: one read for them all, whatever their number.
        games = sorted({f.game_id for f in self.forwarded.values() if f.conn in conns} - set(self.running))
        owners = await self.store.owners(games) if games and not self.draining else {}
        for forwarded_id, forwarded in list(self.forwarded.items()):
            if forwarded.conn not in conns or self.forwarded.get(forwarded_id) is not forwarded:
                continue  # (a socket's frames go again together, in order)
            if wall >= forwarded.until:
                del self.forwarded[forwarded_id]
                await self._unanswered(forwarded, "unavailable")
                continue
            forwarded.last = now
            if await self._take_over_for(forwarded, owners):
                self.forwarded.pop(forwarded_id, None)
                await self.apply(
                    forwarded.game_id,
                    forwarded.player_id,
                    forwarded.op,
                    forwarded.args,
                    forwarded.ref,
                    forwarded.conn,
                    seat=forwarded.seat,
                    forwarded=forwarded_id,
                    resent=forwarded.resent,
                )
                continue
            f = forwarded
            await send_op(
                f.game_id,
                f.player_id,
                f.op,
                f.args,
                f.ref,
                f.conn,
                f.seat,
                forwarded=forwarded_id,
                resent=f.resent,
                until=f.until,
            )

    async def _take_over_for(self, forwarded: Forwarded, owners: dict[int, str | None]) -> bool:
        """Whether the room of a frame waiting for its receipt runs here now: opened here when
        nobody owns it (``owners``: its owner died and the lease ran out, or it was handed over)."""
        game_id = forwarded.game_id
        if game_id in self.running:
            return True
        if self.draining or game_id not in owners or owners[game_id] is not None:
            return False
        owners[game_id] = self.owner  # tried once a pass: the frames after it go where it went
        try:
            return await self.open(game_id)
        except Exception:
            logger.warning("a room could not be opened for a waiting frame", exc_info=True, extra={"game_id": game_id})
            return False

    async def _unanswered(self, forwarded: Forwarded, code: str) -> None:
        """A forwarded frame with no receipt in time is answered here, never dropped in silence:
        a player's frame ``error`` (``unavailable`` with ``retry_after``, its ``ref``); a socket
        whose ``connect`` or ``watch`` got no answer is closed 1013 (the client connects again);
        a ``disconnect`` is logged (the room's grace ends a seat nobody holds)."""
        f = forwarded
        logger.warning(
            "a frame got no receipt from its room",
            extra={"game_id": f.game_id, "op": f.op, "player_id": f.player_id, "answered": code},
        )
        if f.op in ("connect", "watch", "still_watching") and f.conn is not None:
            await self._publish(f.game_id, Delivery(unanswered=(f.conn,), watchers=f.op != "connect"), False)
        elif f.op in PLAYER_FRAMES:
            error = {"type": "error", "code": code, "message": "The game is moving between servers; send it again."}
            if code == "overloaded":
                error["message"] = "The server is busy; send it again later."
            error["retry_after"] = 1
            if f.ref is not None:
                error["ref"] = f.ref
            await self._publish(f.game_id, Delivery(((f.player_id, _text(error)),)), False)  # the sender's process

    async def apply(
        self,
        game_id: int,
        player_id: int,
        op: str,
        args: tuple = (),
        ref=None,
        conn: str | None = None,
        *,
        seat: int = 0,
        here: bool = True,
        forwarded: str | None = None,
        resent: bool = False,
        until: float | None = None,
    ) -> bool:
        """Apply a player's operation (``connect``, ``disconnect``, ``ready``, ``forfeit``, ``move``,
        ``action``, ``input``) to a room owned here. False when this process does not own it.

        ``conn`` names the socket and ``seat`` its seat number (``take_seat_number``): of two
        sockets of one player the one with the higher number holds the seat, whichever's
        ``connect`` came last, and the other is told it was replaced (it closes 4409). A
        ``disconnect`` of a socket that does not hold the seat changes nothing. ``here``: the
        socket is on this process (False for a frame that came through the game's group): the
        room's deliveries then go to every process until that player's seat is held from here
        again or left. Returns once the step's frames are out. (``watch``, ``still_watching`` and
        ``unwatch`` are a spectator's socket's, ``spectate``.)

        ``forwarded``: the frame's id, for one forwarded by a socket's process (``forward``): its
        receipt goes back with the step's frames, and a frame the room took already (sent again)
        is answered, not applied twice; so is a frame the client sent again (``resent``) whose
        ``ref`` the room took from this player. ``until``: when its sender answers it ``unavailable``
        (wall clock): a forwarded frame that comes too close to that is not taken (``UNTIL_MARGIN``)."""
        if op in PLATFORM_OPS and conn is not None:
            raise ValueError(f"{op!r} is the platform's step, never a socket's frame")
        if until is not None and time.time() > until - UNTIL_MARGIN and self.running.get(game_id) is not None:
            logger.info("a forwarded frame came too late to be taken", extra={"game_id": game_id, "op": op})
            return True  # its sender answers it
        if op in SPECTATOR_OPS:
            taken = await self.spectate(game_id, conn, op != "unwatch", renew=op == "still_watching")
            if taken and forwarded is not None:
                self.out.deliver(game_id, Delivery(took=(forwarded,), watchers=True), True)
                await self.out.sent()
            return taken
        run = self.running.get(game_id)
        if run is None or self.draining:  # handing its rooms over: what comes now goes to the next owner
            return False
        room = run.room
        took = (forwarded,) if forwarded is not None else ()
        if room.took(forwarded_key(forwarded)) or (resent and room.took(ref_key(player_id, ref))):
            # Sent again (by the socket's process while the room moved, or by the client after a
            # reconnect): taken once already, answered again.
            reply = () if ref is None else ((player_id, _text({"type": "ack", "ref": ref, "duplicate": True})),)
            self._deliver(game_id, Delivery(reply, took=took), everywhere=not here)
            await self.out.sent()
            return True
        if op == "connect" and not any(p.id == player_id for p in room.players):
            # Seated in the game's record after the room was made, and the word of it has not
            # come yet (the socket checked the seat in the database): the record says who sits.
            seating = await self.hooks.seating(game_id)
            if self.running.get(game_id) is not run:
                return False
            if seating is not None:
                self._seat_newcomers(room, seating.players, now=self.now(game_id))  # goes out with the connect
        if conn is not None and not self._hold_seat(game_id, run, player_id, op, conn, seat, here):
            if took:
                self.out.deliver(game_id, Delivery(took=took), True)
            await self.out.sent()
            return True
        if op == "disconnect" or (here and op == "connect"):
            run.elsewhere.discard(player_id)
        elif not here:
            run.elsewhere.add(player_id)
        error = None
        frame = None if forwarded is None and ref is None else (forwarded, ref)
        try:
            who = () if op in PLATFORM_OPS else (player_id,)  # the platform's steps name no player
            room.step(self.now(game_id), op, *who, *args, frame=frame)
        except Reject as exc:
            error = {"type": "error", "code": exc.code, "message": exc.message}
        except Invalid as exc:
            error = {"type": "error", "code": "invalid", "message": "The frame has invalid fields."}
            error["fields"] = exc.fields
        except HookFailed as exc:
            self._hook_failed(game_id, room, exc)
            error = {"type": "error", "code": "server_error", "message": "The game could not take this frame."}
        if error is None:
            # A frame sent with a ``ref`` is answered ``ack`` once taken, after the frames its step
            # made: a client knows its move was applied, and that its view already shows it.
            reply = None if ref is None else (player_id, _text({"type": "ack", "ref": ref}))
            snapshot = room.mode.tick_rate == 0 or op in ("connect", "disconnect", "ready", "forfeit", *PLATFORM_OPS)
        else:
            if ref is not None:
                error["ref"] = ref
            reply, snapshot = (player_id, _text(error)), room.over  # a failure may have aborted the game
        await self._after_step(game_id, run, snapshot=snapshot, reply=reply, wait=True, took=took)
        self._schedule(game_id)
        return True

    def _hold_seat(self, game_id: int, run: Running, player_id: int, op: str, conn: str, seat: int, here: bool) -> bool:
        """Who holds ``player_id``'s seat after this ``op`` of socket ``conn``; False: the op is
        a stale socket's and changes nothing."""
        held = run.holders.get(player_id)
        if op == "connect":
            if held is not None and held[0] != conn:
                if seat < held[1]:  # an older socket's connect, late: the newer one keeps the seat
                    self.out.deliver(game_id, Delivery(replaced=(conn,)), not here)
                    return False
                # To the process of the replaced socket: this one's, or every one.
                self.out.deliver(game_id, Delivery(replaced=(held[0],)), not held[2])
            run.holders[player_id] = (conn, seat, here)
        elif op == "disconnect":
            if held is None or held[0] != conn:
                return False
            del run.holders[player_id]
        return True

    def _hook_failed(self, game_id: int, room: Room, exc: HookFailed) -> None:
        """A mode's hook raised: the room is as it was before the step (``Room``); said and counted."""
        logger.error(
            "a mode's hook raised; the step changed nothing",
            exc_info=exc.error,
            extra={"game_id": game_id, "mode": room.mode.name, "hook": exc.hook, "errors": room.errors},
        )
        metrics.mode_error(room.mode.name, exc.hook)

    def _deliver(self, game_id: int, delivery: Delivery, *, everywhere: bool = False) -> None:
        """Queue a delivery to its game's sockets: this process's only while all its players are here."""
        self.out.deliver(game_id, delivery, everywhere or self._everywhere(game_id))

    def _everywhere(self, game_id: int) -> bool:
        run = self.running.get(game_id)
        return run is None or bool(run.elsewhere)

    async def _publish(self, game_id: int, delivery: Delivery, everywhere: bool) -> None:
        if delivery.watchers:
            if self.hooks.publish_watchers is not None:
                await self.hooks.publish_watchers(game_id, delivery)
            return
        if everywhere or self.hooks.publish_here is None:
            await self.hooks.publish(game_id, delivery)
        else:
            await self.hooks.publish_here(game_id, delivery)
        if delivery.hello and self.hooks.publish_watchers is not None:  # the spectators ask again too
            await self.hooks.publish_watchers(game_id, delivery)

    # --- spectators ------------------------------------------------------------------------

    async def spectate(self, game_id: int, conn: str, watching: bool, *, renew: bool = False) -> bool:
        """A spectator's socket ``conn`` (on any process) starts or stops watching a room run here.
        A new one gets the spectators' ``game_state`` (with a delay, the newest one released, or
        the first once there is one), then the patches all of them get. ``renew``: it still
        watches (every ``WATCH_RENEW_SECONDS``); one the room does not know yet is taken as new.
        False when the room is not run here."""
        run = self.running.get(game_id)
        if run is None:
            return False
        room, watch = run.room, self.spectators.get(game_id)
        if not watching:
            if watch is not None:
                self._unwatch(game_id, room, watch, conn)
            return True
        if renew and watch is not None and conn in watch.conns:
            watch.conns[conn] = time.monotonic()
            return True
        if watch is None:
            watch = self.spectators[game_id] = Spectators(delay=room.mode.spectator_delay)
        watch.conns[conn] = time.monotonic()
        try:
            started = None if room.watched else _text(room.watch(True))
            state = started or _text(room.game_state(SPECTATORS))
        except Exception:  # the mode's spectator_view fails: the spectator gets nothing, the game goes on
            room.watch(bool(room.watched))
            logger.warning("the spectators' view failed", exc_info=True, extra={"game_id": game_id})
            return True
        if not watch.delay:
            self.out.deliver(game_id, Delivery(((SPECTATORS, state),), watchers=True, conn=conn), True)
        elif watch.state is not None:  # as the spectators are now, ``delay`` seconds behind
            self.out.deliver(game_id, Delivery(((SPECTATORS, watch.state),), watchers=True, conn=conn), True)
        else:  # the stream starts now: the first state is theirs once it is ``delay`` seconds old
            watch.waiting.add(conn)
            if started is not None:
                watch.queue.append((time.monotonic() + watch.delay, (), started, False))
        await self.out.sent()
        return True

    def _unwatch(self, game_id: int, room: Room, watch: Spectators, conn: str) -> None:
        watch.conns.pop(conn, None)
        watch.waiting.discard(conn)
        if not watch.conns:
            room.watch(False)  # nobody watches: the room makes no spectators' frames
            if not watch.queue:
                del self.spectators[game_id]

    def forget_silent_spectators(self, now: float | None = None) -> int:
        """Forget the spectators not heard from for ``SPECTATOR_TTL_SECONDS`` (their process died
        without telling the room; the listing pass runs this); how many."""
        now = time.monotonic() if now is None else now
        gone = 0
        for game_id, watch in list(self.spectators.items()):
            run = self.running.get(game_id)
            for conn, heard in list(watch.conns.items()):
                if now - heard > SPECTATOR_TTL_SECONDS and run is not None:
                    self._unwatch(game_id, run.room, watch, conn)
                    gone += 1
        return gone

    def _to_spectators(self, game_id: int, room: Room, frames: list[tuple[int, str]], over: bool = False) -> list:
        """A step's frames: those for everyone and for the spectators go to them (now, or queued
        for their delay); returns the players' (without the spectators')."""
        watch = self.spectators.get(game_id)
        if watch is None or not watch.conns:
            return frames
        theirs = tuple(frame for frame in frames if frame[0] <= 0)
        if not (theirs or over):
            return frames
        if not watch.delay:
            self.out.deliver(game_id, Delivery(theirs, over=over, watchers=True), True)
        else:
            try:
                state = _text(room.game_state(SPECTATORS)) if room.watched else None
            except Exception:
                state = None
            watch.queue.append((time.monotonic() + watch.delay, theirs, state, over))
        return [frame for frame in frames if frame[0] != SPECTATORS]

    def _release_spectators(self, now: float) -> bool:
        """The delayed spectators' frames now due go out (the driver's pass); True if any did."""
        released = False
        for game_id, watch in list(self.spectators.items()):
            while watch.queue and watch.queue[0][0] <= now:
                _, frames, state, over = watch.queue.popleft()
                if frames or over:
                    self.out.deliver(game_id, Delivery(frames, over=over, watchers=True), True)
                if state is not None:
                    watch.state = state
                    for conn in watch.waiting:
                        self.out.deliver(game_id, Delivery(((SPECTATORS, state),), watchers=True, conn=conn), True)
                    watch.waiting.clear()
                released = True
            if not watch.queue and (not watch.conns or game_id not in self.running):
                del self.spectators[game_id]
        return released

    # --- the driver ----------------------------------------------------------------------

    def _schedule(self, game_id: int) -> None:
        """The room's next wake in the heap, unless it is there already (an input changes nothing)."""
        run = self.running.get(game_id)
        at = run.room.next_wakeup() if run is not None else None
        if at is None:
            if run is not None:
                run.next_wake = None
            return
        at += run.origin
        if run.next_wake != at:
            run.next_wake = at
            heapq.heappush(self._wakes, _Wake(at, game_id))
            self._compact()

    def _compact(self) -> None:
        """Drop the heap's stale wakes (rescheduled, or of rooms gone) once they outnumber the live
        ones: the heap stays within twice the rooms running, whatever their clocks did."""
        if len(self._wakes) <= 2 * len(self.running) + STALE_WAKES:
            return
        live = []
        for wake in self._wakes:
            run = self.running.get(wake.game_id)
            if run is not None and (wake.at == run.next_wake or run.unrecorded):
                live.append(wake)
        heapq.heapify(live)
        self._wakes = live

    async def _drive(self) -> None:
        while not self._stopping:
            now = started = time.monotonic()
            stepped = False
            while self._wakes and self._wakes[0].at <= now and now - started < PASS_SECONDS:
                wake = heapq.heappop(self._wakes)
                run = self.running.get(wake.game_id)
                if run is None:
                    continue
                room = run.room
                if room.over:  # over but not recorded yet: try again
                    if run.unrecorded:
                        self._end_soon(wake.game_id, run, [])
                    continue
                if run.next_wake != wake.at:
                    continue  # rescheduled since (a frame moved the clock): a newer entry stands
                run.next_wake = None  # popped: ``_schedule`` below pushes the next one
                self.lateness.add(now - wake.at)
                try:
                    room.step(self.now(wake.game_id), "advance")
                except HookFailed as exc:
                    self._hook_failed(wake.game_id, room, exc)
                try:
                    due = room.mode.tick_rate == 0 or room.ctx.tick - run.snapshot_tick >= room.mode.snapshot_ticks
                    await self._after_step(wake.game_id, run, snapshot=due, wait=False)
                    stepped = True
                except Exception:
                    if self._stopping:
                        return
                    logger.exception("room step not delivered", extra={"game_id": wake.game_id})
                self._schedule(wake.game_id)
                now = time.monotonic()
            if self.spectators and self._release_spectators(now):
                stepped = True
            if stepped:  # this pass's steps, snapshots and frames: one write, then the frames
                self.out.flush()
            # Until the earliest wake, but never more than MAX_SLEEP: a room made meanwhile gets
            # its first tick or clock within that.
            delay = self._wakes[0].at - time.monotonic() if self._wakes else MAX_SLEEP
            await asyncio.sleep(max(0.0, min(delay, MAX_SLEEP)))

    async def _after_step(
        self, game_id: int, run: Running, *, snapshot: bool, wait: bool, reply: tuple | None = None, took: tuple = ()
    ) -> None:
        """Queue what a step made: its frames (and ``reply``), with the room's snapshot when
        ``snapshot``; ``wait``: until they are out. A game that just ended is recorded first.
        ``took``: the receipt of the forwarded frame the step took, with its frames."""
        # The database first, then the players: a client that sees ``game_over`` (or the start)
        # and asks the REST API finds it recorded.
        room = run.room
        for entry in room.take_steps():  # into the journal: in the store before anyone hears of them
            self.out.log(game_id, entry)
            run.log.append(entry[:5])  # the game's log (its replay) names no socket's frame
        frames = room.drain_encoded()
        if not room.over:  # an end reaches the spectators once it is recorded, as it reaches the players
            frames = self._to_spectators(game_id, room, frames)
        if reply is not None:
            frames.append(reply)
        if room.phase == "active" and not room.recorded_start:
            try:
                await self.hooks.record_start(game_id)
            except Exception:  # the database is away: the game goes on; the next step tries again
                logger.warning("game start not recorded", exc_info=True, extra={"game_id": game_id})
            else:
                room.recorded_start = True
                run.started_at = run.started_at or time.time()
                snapshot = True
        if room.over:
            if took:  # taken: the sender waits no longer (its answer comes once the end is recorded)
                self.out.deliver(game_id, Delivery(took=took), True)
            if not wait:  # the driver's pass: the other rooms' ticks do not wait for the database
                self._end_soon(game_id, run, frames)
            else:
                await self._end(game_id, run, frames)
            return
        if snapshot:
            run.snapshot_tick = room.ctx.tick
            self.out.snapshot(game_id, room.encode_snapshot(journal=self.out.journal), _take_log(run))
        elif wait and frames == ([reply] if reply else []) and room.mode.tick_rate and room.phase == "active":
            # A real-time input shows in the next tick's patch, which waits for the next write: its
            # step goes into the store with that write, and its answer (when it asked for one, with
            # a ``ref``) needs to wait for nothing. Nor does the step: it hurries no write.
            if reply is not None or took:
                await self._publish(game_id, Delivery((reply,) if reply else (), took=took), self._everywhere(game_id))
            return
        if frames or took:
            self._deliver(game_id, Delivery(tuple(frames), took=took))
        if wait:
            await self.out.sent()

    def _end_soon(self, game_id: int, run: Running, frames: list[tuple[int, str]]) -> None:
        """``_end`` in a task of its own (one at a time per game; frames made meanwhile wait with it)."""
        if run.ending is not None:
            run.held.extend(frames)
            return
        run.ending = asyncio.get_running_loop().create_task(self._end(game_id, run, frames))

        def done(_) -> None:
            run.ending = None

        run.ending.add_done_callback(done)

    async def _end(self, game_id: int, run: Running, frames: list[tuple[int, str]]) -> None:
        """Record the result, then publish the last frames and let the room go.

        Until the database takes the result (it may be away), nobody hears of the end: the frames
        wait here and the driver tries again (``RECORD_RETRY_SECONDS``) while this process keeps
        the room's lease. A process that dies meanwhile leaves the over room's snapshot, and the
        process that takes it over records it (once: the update is conditional) and announces it."""
        frames, run.held = run.held + frames, []
        run.unrecorded = False
        try:
            await self._record_result(game_id, run)
        except Exception:
            if self.running.get(game_id) is not run:  # let go meanwhile (the host stopped): its snapshot has the end
                return
            run.tries += 1
            delay = RECORD_RETRY_SECONDS[min(run.tries, len(RECORD_RETRY_SECONDS)) - 1]
            run.held[:0] = frames  # before the frames that came while this try ran
            run.unrecorded = True
            heapq.heappush(self._wakes, _Wake(time.monotonic() + delay, game_id))
            logger.warning(
                "game result not recorded; trying again", exc_info=True, extra={"game_id": game_id, "tries": run.tries}
            )
            return
        run.holders.clear()
        frames = self._to_spectators(game_id, run.room, frames, over=True)
        self._deliver(game_id, Delivery(tuple(frames), over=True))
        await self._let_go(game_id)
        self.out.snapshot(game_id, None)  # after any older snapshot of it: the outbox keeps the order
        self.out.listing(game_id, None)  # and after any summary of it: out of the match list
        await self.out.sent()
        await self.store.release(game_id, self.owner)

    async def _record_result(self, game_id: int, run: Running, *, running: bool = True) -> None:
        # The snapshot first: a process that dies before the result is recorded leaves a room
        # that ends again where it is taken over (the conditional update records it once), and
        # one that dies after it leaves the end for that process to announce.
        room = run.room
        self.out.snapshot(game_id, room.encode_snapshot(), _take_log(run))
        await self.out.sent()
        if running and self.running.get(game_id) is not run:
            # The store refused the ended snapshot (another process holds the lease: ``_fenced``)
            # or the room was let go meanwhile: this end is not the game's, and is not recorded.
            raise RoomLost(game_id)
        board = None
        if room.mode.shared_view:  # the final board of a game everyone sees whole (tic-tac-toe) is kept
            view = room.mode.view(room.state, None)
            board = view.get("board") if isinstance(view, dict) else None
        steps = await self._game_log(game_id)
        await self.hooks.record_result(game_id, room.result, room.players, board, room.version, steps)

    async def _game_log(self, game_id: int) -> list | None:
        """The game's log, every step from its first (what its owners added with their snapshots):
        its replay, recorded with its result. None when the store cannot give it: the result is
        recorded without a replay, and the game ends all the same."""
        try:
            return await self.store.read_log(game_id)
        except Exception:
            logger.warning("game replay not recorded", exc_info=True, extra={"game_id": game_id})
            return None

    async def _let_go(self, game_id: int) -> None:
        """Forget the room: its record goes, and with it everything the host kept for it."""
        watch = self.spectators.get(game_id)
        if watch is not None and not (watch.queue and watch.queue[-1][3]):  # a delayed end keeps its frames going
            del self.spectators[game_id]
        if self.running.pop(game_id, None) is not None:
            self.out.forget(game_id)
            self._compact()
            if self.hooks.unlisten is not None:
                await self.hooks.unlisten(game_id, self)

    # --- the match list ----------------------------------------------------------------------

    async def _keep_listings(self) -> None:
        while not self._stopping:
            await asyncio.sleep(LIST_SECONDS)
            try:
                await self.list_once()
            except Exception:
                logger.warning("rooms not listed", exc_info=True)

    async def list_once(self) -> int:
        """Queue the summaries of the rooms running here that changed since they were last written
        (or were not written for ``LIST_REFRESH_SECONDS``), for the outbox's next write; how many."""
        loop = asyncio.get_running_loop()
        queued = 0
        self.forget_silent_spectators()
        for index, (game_id, run) in enumerate(list(self.running.items())):
            if index and index % LIST_CHUNK == 0:
                await asyncio.sleep(0)  # thousands of rooms: the sockets and the driver go on meanwhile
            if self.running.get(game_id) is not run or run.room.over:
                continue
            summary = self.summary(game_id, run)
            now = loop.time()
            if summary != run.listed or now - run.listed_at >= LIST_REFRESH_SECONDS:
                run.listed, run.listed_at = summary, now
                self.out.listing(game_id, summary)
                queued += 1
        if queued:
            self.out.flush()
        return queued

    def summary(self, game_id: int, run: Running) -> str:
        """What the match list shows of a room (JSON): ``{id, mode, phase, players, spectators,
        label, open, started_at}``, ``started_at`` in Unix time or null."""
        room, mode = run.room, run.room.mode
        return _text(
            {
                "id": game_id,
                "mode": mode.name,
                "phase": room.phase,
                "players": [{"id": p.id, "username": p.username} for p in room.players if not p.out],
                "spectators": len(watch.conns) if (watch := self.spectators.get(game_id)) is not None else 0,
                "label": self._listed_label(run),
                "open": mode.join_in_progress and not room.over and len(room.players) < mode.max_players,
                "started_at": run.started_at,
            }
        )

    def _listed_label(self, run: Running) -> dict:
        """The label the match list shows: the mode's; for a mode whose spectators watch behind the
        players (``spectator_delay``), the one it had that long ago, and ``{}`` until the room has
        one that old. Anyone reads the list: it must not tell what the delay hides."""
        label = self._label(run.room)
        delay = run.room.mode.spectator_delay
        if not delay:
            return label
        now = time.monotonic()
        if label != (run.labels[-1][1] if run.labels else run.label):
            run.labels.append((now, label))
        while run.labels and run.labels[0][0] <= now - delay:
            run.label = run.labels.popleft()[1]
        return run.label

    @staticmethod
    def _label(room: Room) -> dict:
        """The mode's label of the room, or ``{}`` when it raises or is not one (logged and counted)."""
        try:
            return checked_label(room.mode.label(room.state))
        except Exception:
            logger.warning(
                "a mode's label failed", exc_info=True, extra={"game_id": room.game_id, "mode": room.mode.name}
            )
            metrics.mode_error(room.mode.name, "label")
            return {}

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

    async def _fenced(self, game_ids: set[int]) -> None:
        """The store refused these rooms' writes: another process holds their leases (this one was
        too slow to renew them). They stop running here, and their sockets here take their seats
        where the rooms run now (the frames they were not answered are sent again)."""
        for game_id in game_ids:
            if game_id in self.running:
                logger.warning("room lease lost; its last steps here were not saved", extra={"game_id": game_id})
                await self._let_go(game_id)
                self.out.deliver(game_id, Delivery(hello=True), False)  # this process's sockets
        self.out.flush()

    async def keep_leases_once(self) -> None:
        self._forget_journals(time.monotonic())
        owned = list(self.running)
        held = await self.store.renew(owned, self.owner)
        # Renewed too late (a busy process): take them back where nobody else did, all in one
        # round trip (a process late for hundreds of rooms is busy enough); a room another
        # process has now stops running here.
        late = [g for g in owned if g not in held and g in self.running]
        claimed = await self.store.claim_many(late, self.owner)
        for game_id in late:
            if game_id not in claimed:
                if game_id in self.running:
                    logger.warning("room lease lost", extra={"game_id": game_id})
                    await self._let_go(game_id)
                    await self.store.unlist(game_id, self.owner)  # unless its new owner listed it already
            elif game_id not in self.running:  # it ended (its lease released) while the claim was on its way
                await self.store.release(game_id, self.owner)
        if claimed:
            logger.warning("room leases renewed late", extra={"rooms": len(claimed)})
        orphans = [g for g in self.watched if g not in self.running]
        if orphans and not self.draining:
            for game_id, owner in (await self.store.owners(orphans)).items():
                if owner is None:
                    await self.open(game_id)
