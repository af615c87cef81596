"""Owning a room: claimed in the store, made from the game's seats, or restored from its snapshot
and its last owner's journal (a takeover), or, when it is over as it is loaded, finished."""

import asyncio
import json
import logging
import time

from gameplatform.modes import Mode
from gameplatform.modes.room import Grace
from gameplatform.rooms.flags import GameFlags
from gameplatform.rooms.parts import Host
from gameplatform.rooms.records import Running, Seating
from gameplatform.rooms.seats import seat_newcomers
from gameplatform.rooms.server_room import Room
from gameplatform.rooms.store import lease_seconds
from gameplatform.rooms.wire import Delivery

logger = logging.getLogger(__name__)

JOURNAL_CACHE_SECONDS = 10.0  # a dead owner's journal, read once for all the rooms taken over from it


class Takeover:
    """How a room comes to run here: owns the opens on their way (one per game: ``claiming``), the
    dead owners' journals read lately, and each step of an open: the lease claimed, the seats read,
    the room made or restored (its snapshot, then its last owner's journalled steps), checked
    against a lease that may have lapsed meanwhile, then run (``RoomHost.running``) and, when taken
    over, announced to its sockets (``hello``)."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.claiming: dict[int, asyncio.Future] = {}  # games being opened here: the open's answer
        self._journals: dict[str, tuple[float, dict[int, list]]] = {}  # dead owners' journals, read lately

    def clear(self) -> None:
        self._journals.clear()

    async def open(self, game_id: int, *, player_id: int | None = None) -> bool:
        """Own ``game_id`` here if nobody does: True when this process runs it now.

        ``player_id``: open it only if that user plays the game (a socket's first step, before
        its seat is known: a stranger's socket opens no room). False does not say the user has no
        seat; while another open of the game is on its way, its answer is this one's."""
        if game_id in self.host.running:
            return True
        if self.host.draining:
            return False
        pending = self.claiming.get(game_id)
        if pending is not None:
            return await pending
        future = self.claiming[game_id] = asyncio.get_running_loop().create_future()
        try:
            owned = await self._open(game_id, player_id)
            future.set_result(owned)
            return owned
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: a failed claim is reported to the caller, not logged twice
            raise
        finally:
            del self.claiming[game_id]

    async def _open(self, game_id: int, player_id: int | None) -> bool:
        # The room hears the game's group before it is claimed: a socket on another process sends
        # its player's frames there as soon as it finds the room claimed, and a cold owner may
        # still be reading the seats then (its database workers start). What it hears meanwhile
        # waits for the room (``opening``); a process that does not get the room stops listening.
        if self.host.wire.listen is not None:
            await self.host.wire.listen(game_id, self.host)
        try:
            owned = await self._claim_and_run(game_id, player_id)
        except BaseException:
            await self._unlisten(game_id)
            raise
        if not owned:
            await self._unlisten(game_id)
        return owned

    async def _unlisten(self, game_id: int) -> None:
        if self.host.wire.unlisten is not None and game_id not in self.host.running:
            await self.host.wire.unlisten(game_id, self.host)

    async def opening(self, game_id: int) -> bool:
        """Whether ``game_id`` runs here, once an open of it on its way here has its answer: the
        frames its room heard from other processes while it was claimed and loaded wait for it."""
        pending = self.claiming.get(game_id)
        if pending is not None:
            try:
                await asyncio.shield(pending)
            except Exception:
                pass
        return game_id in self.host.running

    async def _claim_and_run(self, game_id: int, player_id: int | None) -> bool:
        asked = time.monotonic()
        claimed, saved = await self.host.store.claim_and_load(game_id, self.host.owner)
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
                saved = await self.host.store.load(game_id)
            room, taken_over = (None, False) if seating is None else await self._load_seated(game_id, seating, saved)
        except BaseException:
            await self.host.store.release(game_id, self.host.owner)
            raise
        if room is None:
            if seating is not None:  # over (its record says so, or it ended as it was loaded)
                self.host.forwarder.ended(game_id)
            await self.host.store.release(game_id, self.host.owner)
            return False
        if self._lease_may_have_lapsed(asked) and not await self._still_holds(game_id):
            return False  # the load outlasted the lease: another process runs it now
        if taken_over:
            seat_newcomers(room, seating.players)  # seated while nobody ran the room
        started_at = seating.started_at
        room.journal.owned = True  # its steps go into this host's journal
        run = self.host.running[game_id] = Running(
            room,
            origin=time.monotonic() - room.ctx.now,
            snapshot_tick=room.ctx.tick,
            started_at=started_at,
            log=list(room.journal.replayed_steps),
        )
        self.host.start()
        self.host.driver.schedule(game_id)
        if taken_over:
            # The room as it was rebuilt, saved under this owner's journal from now on; then (only
            # now) the sockets answer the hello with a ``connect``, and one on another process sends
            # it through the game's group, which this host hears from ``listen`` above on.
            self.host.out.snapshot(game_id, room.encode_snapshot(journal=self.host.out.journal), run.take_log())
            self.host.out.deliver(game_id, Delivery(hello=True), True)
            await self.host.out.sent()
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
        if game_id in await self.host.store.renew([game_id], self.host.owner):
            return True
        if await self.host.store.claim(game_id, self.host.owner):
            logger.warning("room lease ran out while the room was loaded", extra={"game_id": game_id})
            return True
        logger.info("room claimed elsewhere while it was loaded here", extra={"game_id": game_id})
        return False

    async def _seating(self, game_id: int, player_id: int | None = None) -> Seating | None:
        """The game's seats (None: nothing to run, or ``player_id`` has no seat)."""
        seating = await self.host.hooks.seating(game_id)
        if seating is None:
            return None
        if player_id is not None and not any(p.id == player_id for p in seating.players):
            return None
        return seating

    async def _flags(self, game_id: int, seating: Seating) -> GameFlags:
        """A new room's flags (``Hooks.flags``), none without the hook, for a game that is over,
        or for one that started (its room is gone: it ends abandoned, and its flags stay the ones
        it started with, not today's)."""
        if self.host.hooks.flags is None or seating.over or seating.started_at is not None:
            return GameFlags()
        return await self.host.hooks.flags(game_id, [player.id for player in seating.players])

    async def _load_seated(self, game_id: int, seating: Seating, saved: str | None) -> tuple[Room | None, bool]:
        """The room to run from its seats and ``saved``, its snapshot (None: a new room), and
        whether it was taken over; None when there is nothing to run."""
        if saved is None:
            if seating.over:
                return None, False
            flags = await self._flags(game_id, seating)
            room = Room(
                seating.mode,
                game_id=game_id,
                players=seating.players,
                seed=seating.seed,
                lobby_id=seating.lobby_id,
                grace=seating.grace or self.host.hooks.grace(),
                flags=flags.room,
                player_flags=flags.players,
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
        if owner is not None and owner != self.host.out.journal:
            steps = await self._journal_of(owner, game_id)
        return Room.restore(mode, snap, grace=grace or self.host.hooks.grace(), journal=steps)

    async def _journal_of(self, owner: str, game_id: int) -> list:
        """``owner``'s journalled steps of ``game_id``. A dead owner's journal is read once for
        all the rooms taken over from it (it writes no more)."""
        now = time.monotonic()
        self.forget_journals(now)
        cached = self._journals.get(owner)
        if cached is None:
            by_game: dict[int, list] = {}
            for _, batch in await self.host.store.journal(owner):
                for g, entries in batch.items():
                    by_game.setdefault(g, []).extend(entries)
            cached = self._journals[owner] = (now, by_game)
        return cached[1].get(game_id, [])

    def forget_journals(self, now: float) -> None:
        for name in [name for name, (at, _) in self._journals.items() if now - at > JOURNAL_CACHE_SECONDS]:
            del self._journals[name]

    async def _finish(self, game_id: int, room: Room, *, recorded: bool = False) -> None:
        """A room over as it is loaded: its result recorded (once), then announced to every socket
        of the game (the last ``game_state`` and ``game_over``), then its snapshot dropped."""
        run = Running(room, origin=0.0, snapshot_tick=room.ctx.tick, log=list(room.journal.replayed_steps))
        if not recorded:  # else its owner recorded the result, and the replay with it, and died
            await self.host.steps.record_result(game_id, run, running=False)
        self.host.out.deliver(game_id, Delivery(tuple(room.final_frames()), over=True), True)
        self.host.out.snapshot(game_id, None)
        self.host.out.listing(game_id, None)  # a dead owner's
        await self.host.out.sent()
