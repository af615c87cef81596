"""The rooms one server process owns: ``RoomHost``, the face the app and the sockets see, and the
parts it owns and wires, one job each.

The owner holds each game's ``Room`` (``gameplatform.rooms.server_room``) and runs it: client frames are
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

The parts, each in its module of this package:

- ``records``: ``Running``, the one record per room every part reads, and the app's ``Hooks``;
- ``parts``: ``Host``, what the parts use of this host (they import it, never this module);
- ``driver``: ``Driver``, the wakes of every room's clock and the pass that steps them;
- ``seats``: ``Seats``, a player's frame applied here, one socket per seat, players seated late;
- ``forwarding``: ``Forwarder``, frames for rooms owned elsewhere, kept until their receipt;
- ``steps_out``: ``Steps``, a step's journal, snapshot and frames in order, and a game's end;
- ``outbox``: ``Outbox``, one store write for many steps, then their deliveries;
- ``takeover``: ``Takeover``, a room claimed, made or restored, and run here;
- ``leases``: ``Leases``, renewals, fencing and the watched games' orphans;
- ``spectators``: ``Watchers``, who watches each room and their (delayed) frames;
- ``matchlist``: ``MatchList``, each room's summary in the match list;
- ``placement``: ``Placement``, this process's load reports and the new rooms placed on the
  least-loaded process (``place``).
"""

import asyncio
import logging
import uuid
import weakref

from gameplatform.core.logs import no_request
from gameplatform.core.loops import per_loop
from gameplatform.modes import Player
from gameplatform.modes.commands import Command
from gameplatform.rooms.driver import STALE_WAKES, Driver, Lateness
from gameplatform.rooms.forwarding import Forwarded, Forwarder, answer_seconds
from gameplatform.rooms.leases import Leases
from gameplatform.rooms.matchlist import MatchList
from gameplatform.rooms.outbox import Outbox, sender
from gameplatform.rooms.placement import Placement
from gameplatform.rooms.records import Hooks, RoomLost, Running, Seating
from gameplatform.rooms.seats import Seats
from gameplatform.rooms.server_room import Room
from gameplatform.rooms.spectators import SPECTATOR_TTL_SECONDS, WATCH_RENEW_SECONDS, Spectators, Watchers
from gameplatform.rooms.steps_out import Steps
from gameplatform.rooms.store import RoomStore, room_store
from gameplatform.rooms.takeover import Takeover
from gameplatform.rooms.wire import HERE, Delivery, Sending, Wire, hub_wire

# Names other modules import from here (the app, the tests, the server's shutdown).
__all__ = [
    "SPECTATOR_TTL_SECONDS",
    "STALE_WAKES",
    "WATCH_RENEW_SECONDS",
    "Forwarded",
    "Hooks",
    "Lateness",
    "RoomHost",
    "RoomLost",
    "Running",
    "Seating",
    "Sending",
    "Spectators",
    "Wire",
    "answer_seconds",
    "drain_all",
]

logger = logging.getLogger(__name__)

STOP_SEND_SECONDS = 2.0  # the longest a stopping host waits for its outbox's last write and deliveries
ENDINGS_SECONDS = 2.0  # the longest a draining host waits for its games' results to reach the database

hosts_of_this_loop = per_loop(weakref.WeakSet)
"""The room hosts that run on the running event loop (the server process's: ``drain_all``)."""


async def drain_all() -> int:
    """Hand the rooms of every host of this loop over to the other processes (a stopping server)."""
    return sum([await host.drain() for host in list(hosts_of_this_loop())])


class RoomHost:
    """The rooms one process owns, as the app and the sockets see them: owns the rooms' records
    (``running``), its name in the store (``owner``), its background tasks and their life (start,
    drain, stop), and the parts it wires together, each reached through small methods: the driver,
    the seats, the forwarder, the steps, the outbox, takeover, the leases, the spectators and the
    match list. Every public method here is one of theirs, or the host's own life."""

    def __init__(
        self, hooks: Hooks, store: RoomStore | None = None, *, owner: str | None = None, wire: Wire | None = None
    ) -> None:
        self.hooks = hooks  # the game's records: the app's
        self.wire = wire or hub_wire()  # the deliveries to the game's sockets: the kit's own
        self.store = store or room_store()
        self.owner = owner or uuid.uuid4().hex
        self.running: dict[int, Running] = {}
        self.stopping = False  # the tasks end at their next turn even if a cancellation got lost
        self.draining = False  # handing its rooms over (the server is stopping): it takes none
        self.publish = sender(self.wire)  # a delivery to the game's sockets
        self.driver = Driver(self)
        self.seats = Seats(self)
        self.forwarder = Forwarder(self)
        self.steps = Steps(self)
        self.takeover = Takeover(self)
        self.leases = Leases(self)
        self.watchers = Watchers(self)
        self.matchlist = MatchList(self)
        self.placement = Placement(self)
        self.out = Outbox(self.store, self.owner, self.publish, self.leases.fenced)
        self._tasks: list[asyncio.Task] = []

    # --- what tests and benches read ----------------------------------------------------

    @property
    def rooms(self) -> dict[int, Room]:
        """The rooms running here, by game (a copy: tests and benches read it)."""
        return {game_id: run.room for game_id, run in self.running.items()}

    def room(self, game_id: int) -> Room | None:
        run = self.running.get(game_id)
        return run.room if run is not None else None

    @property
    def lateness(self) -> Lateness:
        """How late the driver's wakes ran."""
        return self.driver.lateness

    @property
    def spectators(self) -> dict[int, Spectators]:
        """The rooms run here that someone watches, and who."""
        return self.watchers.rooms

    @property
    def watched(self) -> dict[int, int]:
        """The games with sockets here, and how many."""
        return self.leases.watched

    @property
    def forwarded(self) -> dict[str, Forwarded]:
        """This process's frames for rooms owned elsewhere, waiting for their receipts."""
        return self.forwarder.forwarded

    # --- life -------------------------------------------------------------------------

    def start(self) -> None:
        if not self._tasks and not self.draining:
            loop = asyncio.get_running_loop()
            self.stopping = False
            # The process's own work, whichever socket's frame started it: no request id of theirs.
            self._tasks = [
                loop.create_task(no_request(self.driver.run())),
                loop.create_task(no_request(self.leases.keep())),
                loop.create_task(no_request(self.matchlist.keep())),
                loop.create_task(no_request(self.forwarder.keep())),
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
        self.stopping = True
        await self.placement.leave()  # no process places a room here from now on
        await self._cancel_tasks()
        for game_id, run in list(self.running.items()):
            if run.inputs:  # the inputs that came before the handover: taken and answered here
                answers = self.steps.take_inputs(game_id, run)
                await self.steps.after_step(game_id, run, snapshot=False, wait=False, answers=answers)
        endings = [run.ending for run in self.running.values() if run.ending is not None]
        if endings:  # results on their way to the database: a moment to land
            await asyncio.wait(endings, timeout=ENDINGS_SECONDS)
        games = list(self.running)
        for game_id in games:
            run = self.running[game_id]
            if not run.room.over:
                self.out.snapshot(game_id, run.room.encode_snapshot(journal=self.out.journal), run.take_log())
        try:  # bounded: a write the store does not take (Redis away) is tried again, not dropped
            await asyncio.wait_for(self.out.sent(), STOP_SEND_SECONDS)
        except Exception:
            logger.warning("rooms not saved before their handover", exc_info=True, extra={"rooms": len(games)})
        for game_id in games:
            await self.store.release(game_id, self.owner)
            await self.let_go(game_id)
            self.out.deliver(game_id, Delivery(hello=True), True)
        await self.out.sent()
        self.stopping = False
        if games:
            logger.info("rooms handed over", extra={"rooms": len(games)})
        return len(games)

    async def stop(self, *, release: bool = True) -> None:
        """Stop driving (``release=False`` plays a process that died: its leases just run out,
        and what its outbox had not sent yet is lost with it, as a dead process's is).

        The tasks are cancelled and also told to stop: a cancellation that lands in a Redis
        command (a snapshot, a renewal) can be lost in the client (redis-py's asyncio client
        was seen to return normally), and the loop must not go round again for ever. With
        ``release``, what the outbox holds (the steps so far, a tick's answers) is written and
        sent first, for at most ``STOP_SEND_SECONDS``: no answer of a step taken is dropped."""
        self.stopping = True
        for run in self.running.values():
            if run.ending is not None:
                run.ending.cancel()
        await self.placement.close()
        await self._cancel_tasks()
        if release:
            try:
                await asyncio.wait_for(self.out.sent(), STOP_SEND_SECONDS)
            except Exception:
                logger.warning("rooms' last steps not sent before the host stopped", exc_info=True)
        await self.out.stop()
        self.stopping = False
        for game_id in list(self.running):
            if release:
                await self.store.release(game_id, self.owner)
                await self.store.unlist(game_id, self.owner)
            await self.let_go(game_id)
        self.driver.clear()
        self.takeover.clear()
        self.watchers.clear()

    async def _cancel_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        self._tasks = []

    async def let_go(self, game_id: int) -> None:
        """Forget the room: its record goes, and with it everything the host kept for it. The
        inputs it had queued for its next tick are answered, not taken (``Forwarder.untaken``:
        ``unavailable``, or ``game_over`` if it ended); a forwarded one whose sender still keeps
        it is sent again by that sender to the room's next owner."""
        self.watchers.let_go(game_id)
        run = self.running.pop(game_id, None)
        if run is not None:
            queued = run.inputs.drop()
            self.out.forget(game_id)
            self.driver.compact()
            await self.forwarder.untaken(game_id, queued, over=run.room.over)
            if self.wire.unlisten is not None:
                await self.wire.unlisten(game_id, self)

    # --- owning a room (``Takeover``, ``Leases``) ------------------------------------------

    async def open(self, game_id: int, *, player_id: int | None = None) -> bool:
        """Own ``game_id`` here if nobody does: True when this process runs it now (``Takeover.open``)."""
        return await self.takeover.open(game_id, player_id=player_id)

    async def place(self, game_id: int, *, player_id: int) -> bool:
        """A game's first socket here (``player_id``'s): open the room here, or, when it is new and
        another live process runs clearly fewer rooms, there (``Placement``). True when it runs here."""
        if game_id in self.running:
            return True
        there = await self.placement.where(game_id)
        if there is not None and await self.placement.ask(there, game_id, player_id):
            return False
        return await self.open(game_id, player_id=player_id)

    async def opening(self, game_id: int) -> bool:
        """Whether ``game_id`` runs here, once an open of it on its way here has its answer."""
        return await self.takeover.opening(game_id)

    def watch(self, game_id: int) -> None:
        """A socket of ``game_id`` is open here: take the room over if its owner goes away."""
        self.leases.watch(game_id)

    def unwatch(self, game_id: int) -> None:
        self.leases.unwatch(game_id)

    async def keep_leases_once(self) -> None:
        await self.leases.keep_leases_once()

    # --- frames in (``Seats``, ``Forwarder``, ``Watchers``) --------------------------------

    def seat_here(self, game_id: int, player_id: int) -> str | None:
        """The mode's name of a game whose room runs here and that ``player_id`` plays (``Seats``)."""
        return self.seats.seat_here(game_id, player_id)

    async def join(self, game_id: int, player: Player) -> bool:
        """``player`` was seated in the game's record while it runs: the room seats them too."""
        return await self.seats.join(game_id, player)

    async def take_seat_number(self, game_id: int, player_id: int) -> int:
        """The number of a new socket of ``player_id``: the room seats the highest it has heard of."""
        return await self.seats.take_seat_number(game_id, player_id)

    async def submit(self, game_id: int, command: Command, sending: Sending) -> None:
        """A socket's frame, as a command (``gameplatform.modes.commands``: ``Connect``, ``Move``,
        ``Watch``...), to the game's room, wherever it runs: here, or on its owner through the
        game's group, sent again until the owner's receipt comes (``forward``). ``sending``: its
        socket, seat number, ``ref`` and whether the client sent it again (``Sending``)."""
        if not await self.seats.apply(game_id, command, sending):
            await self.forwarder.forward(game_id, command, sending)

    async def apply(self, game_id: int, command: Command, sending: Sending = HERE) -> bool:
        """Apply a player's (or a spectator's socket's, or the platform's) command to a room owned
        here; False when this process does not own it (``Seats.apply``)."""
        return await self.seats.apply(game_id, command, sending)

    async def forward(self, game_id: int, command: Command, sending: Sending) -> None:
        """Send a frame to the room's owner on another process until its receipt (``Forwarder``)."""
        await self.forwarder.forward(game_id, command, sending)

    async def command(self, game_id: int, command: Command, *, timeout: float | None = None) -> bool:
        """The platform's own step for a room, wherever it runs: ``Forfeit(player_id)`` or
        ``Abandon()`` (``Forwarder.command``)."""
        return await self.forwarder.command(game_id, command, timeout=timeout)

    def heard(self, receipts) -> None:
        """The owners took these forwarded frames (their ids, in a delivery's ``took``)."""
        self.forwarder.heard(receipts)

    async def game_over(self, game_id: int) -> None:
        """A socket here heard its game end (the room's last delivery): this process's frames of
        it still waiting for a receipt are answered now, and later ones at once (``Forwarder.game_over``)."""
        await self.forwarder.game_over(game_id)

    async def resend_forwarded(self) -> None:
        await self.forwarder.resend()

    async def spectate(self, game_id: int, conn: str, watching: bool, *, renew: bool = False) -> bool:
        """A spectator's socket starts or stops watching a room run here (``Watchers.spectate``)."""
        return await self.watchers.spectate(game_id, conn, watching, renew=renew)

    def forget_silent_spectators(self, now: float | None = None) -> int:
        return self.watchers.forget_silent(now)

    # --- the match list (``MatchList``) -----------------------------------------------------

    async def list_once(self) -> int:
        return await self.matchlist.list_once()

    def summary(self, game_id: int, run: Running) -> str:
        return self.matchlist.summary(game_id, run)
