"""The host's one road to the store and to the players (``Outbox``), and the wire it sends through."""

import asyncio
import contextvars
import dataclasses
import logging
import time
import uuid
from dataclasses import dataclass

from gameplatform.core.logs import no_request
from gameplatform.rooms.records import not_taken
from gameplatform.rooms.store import JournalBatch, Listings, RoomStore
from gameplatform.rooms.wire import Delivery, Wire

logger = logging.getLogger(__name__)

# The driver's writes go at most once in this many seconds: under load each carries the steps of
# every room that ticked meanwhile (a driver with 2,000 room-ticks a second passes over about one
# room at a time). A write someone waits for (a player's move) goes as soon as the one on its way is.
WRITE_INTERVAL = 0.005
JOURNAL_TRIM_SECONDS = 1.0  # a journal is trimmed to what its rooms still need at most this often
JOURNAL_REFRESH_SECONDS = 60.0  # and its time to live (a day) started again
# A write that raised is tried again after these (then every last one): short, so a Redis that
# comes back (a restart, a failover) is written to within a second, and bounded, so one that
# stays away costs a try a second.
RETRY_SECONDS = (0.05, 0.1, 0.2, 0.5, 1.0)

# True inside the outbox's own deliveries: a socket that answers a delivery as the hub hands it over
# (a ``hello``: it takes its seat again) must not wait for the outbox, which waits for it.
_delivering: contextvars.ContextVar[bool] = contextvars.ContextVar("rooms_delivering", default=False)


def sender(wire: Wire):
    """How the outbox (and a frame answered unanswered) reaches the sockets: ``send(game_id,
    delivery, everywhere)`` through the host's wire; ``everywhere`` False: this process's only."""

    async def send(game_id: int, delivery: Delivery, everywhere: bool) -> None:
        if delivery.watchers:
            if wire.publish_watchers is not None:
                await wire.publish_watchers(game_id, delivery)
            return
        if everywhere or wire.publish_here is None:
            await wire.publish(game_id, delivery)
        else:
            await wire.publish_here(game_id, delivery)
        if delivery.hello and wire.publish_watchers is not None:  # the spectators ask again too
            await wire.publish_watchers(game_id, delivery)

    return send


def unsaved(deliveries: list[tuple[int, Delivery, bool]], refused: set[int]) -> list[tuple[int, Delivery, bool]]:
    """A batch's deliveries once the store refused the writes of the rooms ``refused``: another
    process owns them now (this one was slow or paused past their leases), and what they did here
    is not saved. Nobody hears of it: their frames are dropped, and the answers among them to the
    frames of this process's players go out ``unavailable`` instead (``Delivery.unsaved``), which
    the clients send again to the rooms' next owner. (A forwarded frame's receipt is dropped with
    the rest: its sender sends it again.)"""
    kept = []
    for game_id, delivery, everywhere in deliveries:
        if game_id not in refused:
            kept.append((game_id, delivery, everywhere))
        elif delivery.unsaved:
            answers = tuple(not_taken(player_id, ref) for player_id, ref in delivery.unsaved)
            kept.append((game_id, Delivery(answers), everywhere))
    return kept


@dataclass(eq=False)
class Batch:
    """One store write, as it is tried (again, the same, until it goes through), and the
    deliveries of the steps it holds, which wait for it; ``done``: theirs, once they are out."""

    snapshots: dict[int, str | None]
    journal: JournalBatch | None
    listings: Listings | None
    logs: dict[int, list]
    deliveries: list[tuple[int, Delivery, bool]]
    done: asyncio.Future
    tries: int = 0  # the writes of it that raised so far

    def games(self) -> set[int]:
        return {*self.snapshots, *self.logs, *(self.journal.steps if self.journal is not None else ())}

    def drop(self, game_ids: set[int]) -> None:
        """Nothing of these rooms is written with it: their leases are another's now."""
        for game_id in game_ids:
            self.snapshots.pop(game_id, None)
            self.logs.pop(game_id, None)
        if self.journal is not None:
            steps = {g: entries for g, entries in self.journal.steps.items() if g not in game_ids}
            self.journal = dataclasses.replace(self.journal, steps=steps)
        if self.listings is not None:
            summaries = {g: text for g, text in self.listings.summaries.items() if g not in game_ids}
            self.listings = Listings(self.listings.owner, summaries) if summaries else None
        self.deliveries = unsaved(self.deliveries, game_ids)


class Outbox:
    """The host's one road to the store and to the players, in the order the steps were taken.

    A step queues its journal entry, the room's snapshot when one is due, and its delivery. One
    task writes what has queued (one store write: a batch of the journal and the snapshots), then
    publishes the deliveries queued with it, in order, then takes the next. So no player hears of a
    step before the store has it, and a takeover never goes back behind what they saw; and a room's
    deliveries keep their order whichever path made them (the driver, a player's frame). Under load
    one write carries many rooms' steps: a move waits for a round trip shared with every other move
    of that moment. A write that raises (Redis away, a timeout) is kept and tried again, the same
    write, after a short wait (``RETRY_SECONDS``), and its deliveries wait for it, with every step
    queued after it: nobody hears of a step the store may not have. Meanwhile the host's rooms
    take no steps of their clocks (``stalled``: the driver waits), so what waits here stays what
    it was when the store went away. A room whose write the store refuses (another process holds
    its lease: it took the room while this one could not write) did not take those steps: its
    players hear none of them, and the frames they answered are answered ``unavailable`` instead
    (``unsaved``), as are those of a room whose lease this process found lost (``lost``)."""

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
        self.batch: Batch | None = None  # the write on its way, or kept to be tried again
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

    @property
    def stalled(self) -> bool:
        """A write raised and waits to be tried again: the store is away, and the rooms wait for it."""
        return self.batch is not None and self.batch.tries > 0

    def lost(self, game_ids: set[int]) -> None:
        """These rooms' leases are another process's now: nothing of theirs not written yet will
        be (the batch on its way, what queued after it), and nobody hears of it; the frames of
        their players it answered are answered ``unavailable`` (``unsaved``)."""
        if self.batch is not None:
            self.batch.drop(game_ids)
        for game_id in game_ids:
            for queued in (self.steps, self.snapshots, self.logs, self.listings):
                queued.pop(game_id, None)
        self.deliveries = unsaved(self.deliveries, game_ids)

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
            self.task = loop.create_task(no_request(self._run()))  # every room's, not one socket's
        return done

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.batch is not None or self.done is not None:
                if self.batch is None:
                    wait = self.written_at + WRITE_INTERVAL - loop.time()
                    if wait > 0 and not self.waited.is_set():  # a write just went: the driver's steps linger
                        try:
                            await asyncio.wait_for(self.waited.wait(), wait)
                        except TimeoutError:
                            pass
                    self.written_at = loop.time()
                    self.batch = self._take()
                batch = self.batch
                try:
                    refused = await self._write(batch)
                except asyncio.CancelledError:
                    batch.done.cancel()
                    raise
                except Exception:
                    batch.tries += 1
                    logger.warning(
                        "room steps not saved; nobody hears of them before they are",
                        exc_info=batch.tries == 1,  # the first error says why; the next warnings, that it lasts
                        extra={"tries": batch.tries, "rooms": len(batch.games())},
                    )
                    await asyncio.sleep(RETRY_SECONDS[min(batch.tries, len(RETRY_SECONDS)) - 1])
                    continue
                self.batch = None
                deliveries = batch.deliveries
                if refused:
                    deliveries = unsaved(deliveries, refused)
                    if self.fenced is not None:
                        await self.fenced(refused)
                try:
                    await self._send_all(deliveries)
                except asyncio.CancelledError:
                    batch.done.cancel()
                    raise
                if not batch.done.done():
                    batch.done.set_result(None)
        finally:
            self.task = None

    def _take(self) -> Batch:
        """What is queued, as the next write: its journal's batch numbered once, so the write
        tried again is the same write."""
        steps, snapshots, logs, listings = self.steps, self.snapshots, self.logs, self.listings
        batch = Batch(
            snapshots,
            self._journal(steps, snapshots),
            Listings(self.owner, listings) if listings else None,
            logs,
            self.deliveries,
            self.done,
        )
        self._clear()
        return batch

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

    def _journal(self, steps: dict[int, list], snapshots: dict[int, str | None]) -> JournalBatch | None:
        """The journal's next batch of these steps (None: nothing to write to the journal)."""
        number = self.number + 1
        for game_id in snapshots:
            self.since.pop(game_id, None)
        for game_id in steps:
            self.since.setdefault(game_id, number)
        now = time.monotonic()
        keep_from = min(self.since.values(), default=number + 1)
        trim = keep_from > self.kept_from and now - self.trimmed_at >= JOURNAL_TRIM_SECONDS
        refresh = bool(steps) and now - self.refreshed_at >= JOURNAL_REFRESH_SECONDS
        if not steps and not trim:
            return None
        self.number = number
        if trim:
            self.kept_from, self.trimmed_at = keep_from, now
        if refresh:
            self.refreshed_at = now
        return JournalBatch(self.journal, number, steps, keep_from if trim else None, refresh)

    async def _write(self, batch: Batch) -> set[int]:
        """One store write; the games whose lease another process holds (nothing of theirs written)."""
        if batch.logs:
            return await self.store.write(batch.snapshots, batch.journal, batch.listings, batch.logs, fence=self.owner)
        if batch.journal is not None or batch.snapshots or batch.listings is not None:
            return await self.store.write(batch.snapshots, batch.journal, batch.listings, fence=self.owner)
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
        if self.batch is not None:  # a write that never went through: lost, as a dead process's
            self.batch.done.cancel()
            self.batch = None
        if self.done is not None:
            self.done.cancel()
        self._clear()
