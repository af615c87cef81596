"""What a room sends its game's sockets: frames for the players, and typed words for the sockets.

A room's step goes out as one ``Delivery`` to the game's group (the hub signal ``room``): every
socket of the game, on every process, writes the frames addressed to everyone or to its own
player, and acts on the words meant for it. The words are fields of their own, never frames in
the stream: a socket does not look inside frame texts to find them.

The other way, a socket on another process than the room's owner sends its player's frames to the
game's group as ``op`` signals (a command, ``gameplatform.modes.commands``, serialized: the player,
the op and its arguments, ``Command.wire()``), which the owner's ``OpListener`` reads back
(``command_from``) and applies; and a player seated while
the game runs is announced to the room as a ``seat`` signal (``seat_signal``), which the owner's
listener turns into the room's ``join`` step. A command of the platform's own (staff: a player
made to forfeit, a game ended) goes the same way as a player's frame, without a socket, and its
sender hears the receipt on the game's group (``Receipts``) whether or not it holds any socket.
"""

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from gameplatform.broadcast.groups import game_group, watch_group
from gameplatform.broadcast.hub import get_hub
from gameplatform.broadcast.realtime import agroup_signal, agroup_signal_here
from gameplatform.core import metrics
from gameplatform.core.logs import no_request
from gameplatform.modes import Player
from gameplatform.modes.commands import Command, UnknownCommand, command_from

logger = logging.getLogger(__name__)

SIGNAL = "room"  # a room's delivery to its game's sockets
OP_SIGNAL = "op"  # a player's frame to the room's owner, from a socket on another process
SEAT_SIGNAL = "seat"  # a player seated while the game runs, to the room's owner wherever it is
# The most ops of one game waiting at its owner for their turn: about a second of a busy
# real-time game's inputs. An op beyond it is refused ``overloaded`` (``OpListener``).
QUEUED_OPS = 256


def seat_signal(player: Player) -> dict:
    """The ``seat`` signal's data for ``player`` (a ``Player``), as the channel layer carries it."""
    return {"player": {"id": player.id, "username": player.username, "seat": player.seat, "side": player.side}}


@dataclass(frozen=True, slots=True)
class Delivery:
    # (player id, or 0 for every player, the frame's JSON text), in order; a state patch sent as
    # the whole view may have a third item, the same patch as JSON Patch ops, which the sockets
    # whose codec prefers it send instead (``Codec.prefers_patch``; ``Room.drain_encoded``)
    frames: tuple[tuple, ...] = ()
    # The room is now run by another process: every socket of the game takes its seat again.
    hello: bool = False
    # Sockets (their connection ids) whose seat a newer socket of the same player holds: they close 4409.
    replaced: tuple[str, ...] = ()
    # These frames end the game (the last ``game_over`` is among them): the sockets stop watching its room.
    over: bool = False
    # For the game's spectators (its ``watch_group``), not its players.
    watchers: bool = False
    # The frames are for this one socket only (a spectator's first ``game_state``): the others pass them by.
    conn: str | None = None
    # Receipts: the ids of frames forwarded from other processes (``RoomHost.forward``) the room took.
    took: tuple[str, ...] = ()
    # Sockets (connection ids) whose ``connect`` or ``watch`` no room answered in time: they close 1013.
    unanswered: tuple[str, ...] = ()
    # Players staff removed from the game (their room took the ``Forfeit``): their sockets close 4403.
    removed: tuple[int, ...] = ()
    # The outbox's own, never sent: (player id, ref) of each answer among ``frames`` to a frame no
    # forwarder sends again. If the store refuses the step (another process holds the room's lease),
    # its frames are dropped and these frames answered ``unavailable`` instead (``Outbox``).
    unsaved: tuple[tuple[int, object], ...] = ()

    def as_signal(self) -> dict:
        """The signal's data, as the channel layer carries it."""
        data: dict = {"frames": self.frames}
        if self.hello:
            data["hello"] = True
        if self.replaced:
            data["replaced"] = self.replaced
        if self.over:
            data["over"] = True
        if self.conn is not None:
            data["conn"] = self.conn
        if self.took:
            data["took"] = self.took
        if self.unanswered:
            data["unanswered"] = self.unanswered
        if self.removed:
            data["removed"] = self.removed
        return data

    @classmethod
    def from_signal(cls, data: dict) -> "Delivery":
        return cls(
            frames=data.get("frames", ()),  # as they came: read once by each socket, not copied
            hello=bool(data.get("hello")),
            replaced=tuple(data.get("replaced", ())),
            over=bool(data.get("over")),
            conn=data.get("conn"),
            took=tuple(data.get("took", ())),
            unanswered=tuple(data.get("unanswered", ())),
            removed=tuple(data.get("removed", ())),
        )

    def __bool__(self) -> bool:
        return bool(self.frames or self.hello or self.replaced or self.took or self.unanswered or self.removed)


# --- the game's group: deliveries out, other processes' frames in -------------------------


async def publish(game_id: int, delivery: Delivery) -> None:
    """A delivery to the game's sockets on every process."""
    await agroup_signal(game_group(game_id), SIGNAL, **delivery.as_signal())


async def publish_watchers(game_id: int, delivery: Delivery) -> None:
    """A delivery to the game's spectators on every process: one message a process, whatever their number."""
    await agroup_signal(watch_group(game_id), SIGNAL, **delivery.as_signal())


async def publish_here(game_id: int, delivery: Delivery) -> None:
    """A delivery to this process's sockets of the game only (its players are all here)."""
    await agroup_signal_here(game_group(game_id), SIGNAL, **delivery.as_signal())


@dataclass(frozen=True, slots=True)
class Sending:
    """How a frame came to the room that applies it: one record, made once where the frame
    enters the host (a socket, the forwarder, the owner's listener, the platform) and read, not
    copied, by every part it goes through (``RoomHost.submit``, ``Seats.apply``, ``Forwarder``).
    The default, ``HERE``, is a frame of nobody's socket on this process: the platform's own."""

    # The client's ``ref``: the frame is answered ``ack`` (or its ``error``) with it, once taken.
    ref: object = None
    # The socket that sent it, and its seat number (``RoomHost.take_seat_number``): of two sockets
    # of one player the one with the higher number holds the seat (``Seats._hold_seat``).
    conn: str | None = None
    seat: int = 0
    # The socket is on the room's process (False: the frame came through the game's group, and the
    # room's deliveries go to every process until that player's seat is held from here again).
    here: bool = True
    # The frame's id, for one forwarded by a socket's process (``Forwarder``): its receipt goes
    # back with the step's frames, and a copy sent again is answered, not applied twice.
    forwarded: str | None = None
    # The client sent it again after a reconnect: a ``ref`` the room took from this player is
    # answered, not applied twice.
    resent: bool = False
    # When its sender answers it ``unavailable`` (wall clock): a forwarded frame that comes too
    # close to that is not taken (``UNTIL_MARGIN``).
    until: float | None = None


HERE = Sending()


async def send_op(game_id: int, command: Command, sending: Sending) -> None:
    """A player's frame to the room's owner on another process, through the game's group: the
    owner's listener applies it and sends back its receipt (``sending.forwarded``, the frame's id);
    the sockets there pass it by. The signal's shape (``player_id``, ``op``, ``args``) is the one
    the releases before commands sent and read: either release reads the other's."""
    player_id, op, args = command.wire()
    extra = {"forwarded": sending.forwarded, "until": sending.until} if sending.forwarded is not None else {}
    if sending.resent:
        extra["resent"] = True
    await agroup_signal(
        game_group(game_id),
        OP_SIGNAL,
        player_id=player_id,
        op=op,
        args=args,
        ref=sending.ref,
        conn=sending.conn,
        seat=sending.seat,
        **extra,
    )


class RoomOwner(Protocol):
    """The host that owns a room, as its ``OpListener`` hands it what it heard (``RoomHost``)."""

    async def opening(self, game_id: int) -> bool: ...

    async def join(self, game_id: int, player: Player) -> bool: ...

    async def apply(self, game_id: int, command: Command, sending: Sending = HERE) -> bool: ...


class OpListener:
    """The owner's ear on the game's group: the frames of players whose sockets are on other processes.

    The hub hands this process's group messages over one at a time, from one task; applying an op
    waits until its step is in the store and its frames are out (a Redis round trip or more). So
    the listener only queues what it hears and applies it in a task of its own, one op after the
    other in the order heard: one game's step does not hold up the ops of every other game of the
    process, nor the deliveries and subscription markers behind it in the hub (with the players
    of 250 games spread over two processes, new sockets timed out subscribing behind them)."""

    user_id = None

    def __init__(self, host: RoomOwner, game_id: int) -> None:
        self.host, self.game_id = host, game_id
        self.queued: deque[dict] = deque()
        self.task: asyncio.Task | None = None

    async def hub_deliver(self, message: dict) -> None:
        signal = message.get("signal")
        if signal not in (SEAT_SIGNAL, OP_SIGNAL):
            return
        if signal == OP_SIGNAL and len(self.queued) >= QUEUED_OPS:
            await self._refuse(message.get("data", {}))
            return
        self.queued.append(message)
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(no_request(self._apply_queued()))

    async def _apply_queued(self) -> None:
        try:
            while self.queued:
                await self._apply(self.queued.popleft())
        finally:
            self.task = None  # no await since the queue was last seen empty: nothing is left behind

    async def _apply(self, message: dict) -> None:
        # Heard while the room is claimed and loaded here (the host listens before it claims):
        # the frame waits for the room; if another process got it, that one heard it too.
        if not await self.host.opening(self.game_id):
            return
        if message.get("signal") == SEAT_SIGNAL:
            await self._seat(message.get("data", {}))
            return
        data = message.get("data", {})
        try:
            command = command_from(data.get("op"), data.get("args", ()), player_id=data.get("player_id", 0))
        except UnknownCommand as exc:
            # A process of a newer release (a rolling deploy) may send a command this one does not
            # know: refused, and said, and the room keeps listening.
            logger.warning("a forwarded frame of game %s was refused: %s", self.game_id, exc)
            await self._refuse(data, "invalid", "This server does not know this frame; send it again.")
            return
        try:
            sending = Sending(
                data.get("ref"),
                data.get("conn"),
                data.get("seat", 0),
                here=False,
                forwarded=data.get("forwarded"),
                resent=bool(data.get("resent")),
                until=data.get("until"),
            )
            await self.host.apply(self.game_id, command, sending)
        except Exception:
            # The hub drops a member whose delivery raised (for a socket: it is gone). This is the
            # room's only ear for players on other processes: one step whose frames could not be
            # published (a layer shard away) must not leave the room deaf, and its game stuck, for
            # good. The players missed those frames; a socket that reconnects gets the state.
            logger.warning("an op of game %s failed half-way", self.game_id, exc_info=True)

    async def _refuse(
        self, data: dict, code: str = "overloaded", message: str = "The game is busy; send it again later."
    ) -> None:
        """The room is ``QUEUED_OPS`` ops behind: the player's frame is answered ``overloaded`` (on
        its socket's process, through the game's group) instead of waiting in an ever longer line.
        (Or with another ``code``: a frame the room cannot read.)"""
        error = {"type": "error", "code": code, "message": message}
        if data.get("ref") is not None:
            error["ref"] = data["ref"]
        if code == "overloaded":
            metrics.game_op_refused()
        try:
            took = (data["forwarded"],) if data.get("forwarded") else ()  # answered: not sent again
            player_id = data.get("player_id") or 0  # 0: no player's (every player's frames: none sent)
            frames = ((player_id, json.dumps(error)),) if player_id else ()
            await publish(self.game_id, Delivery(frames, took=took))
        except Exception:
            logger.warning("a refusal of game %s was not published", self.game_id, exc_info=True)

    async def _seat(self, data: dict) -> None:
        try:
            await self.host.join(self.game_id, Player(**data["player"]))
        except Exception:  # as an op's: the room's ear must stay; its next connect reads the seats again
            logger.warning("a seat of game %s did not reach its room", self.game_id, exc_info=True)


class Receipts:
    """A process's ear on a game's group while it waits for the owner's receipt of a command it
    forwarded (``RoomHost.command``): a process with no socket of the game hears none of the
    game's deliveries otherwise. ``async with Receipts(game_id) as receipts``, then
    ``await receipts.wait(forwarded_id, seconds)``."""

    user_id = None

    def __init__(self, game_id: int) -> None:
        self.game_id = game_id
        self.heard: set[str] = set()
        self.changed = asyncio.Event()

    async def __aenter__(self) -> "Receipts":
        await get_hub().join(game_group(self.game_id), self)  # subscribed before anything is sent
        return self

    async def __aexit__(self, *exc) -> None:
        await get_hub().leave(game_group(self.game_id), self)

    async def hub_deliver(self, message: dict) -> None:
        if message.get("signal") == SIGNAL and message.get("data", {}).get("took"):
            self.heard.update(message["data"]["took"])
            self.changed.set()

    async def wait(self, forwarded_id: str, seconds: float) -> bool:
        """Whether the owner's receipt of ``forwarded_id`` came, waiting at most ``seconds``."""
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        while forwarded_id not in self.heard:
            left = until - loop.time()
            if left <= 0:
                return False
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except TimeoutError:
                return forwarded_id in self.heard
        return True


@dataclass
class Wire:
    """How a room host reaches its games' sockets, and hears the frames of the sockets on other
    processes: each one a coroutine function. The kit's own goes over this process's hub
    (``hub_wire``), which the host takes when given none; tests and benches give theirs."""

    publish: Callable[[int, Delivery], Awaitable[None]]  # to the game's sockets on every process
    # ``publish`` to this process's sockets only: for a room whose players' sockets are all here.
    publish_here: Callable[[int, Delivery], Awaitable[None]] | None = None
    # ``publish`` to the game's spectators (None: the game has none anywhere: tests, benches)
    publish_watchers: Callable[[int, Delivery], Awaitable[None]] | None = None
    # Hear the players' frames sent from other processes while the host owns the room, and stop.
    listen: Callable[[int, RoomOwner], Awaitable[None]] | None = None
    unlisten: Callable[[int, RoomOwner], Awaitable[None]] | None = None


def hub_wire() -> Wire:
    """The host's deliveries over this process's hub, to the game's group and its spectators'.

    The room hears other processes' frames on the game's own group, which this process has
    subscribed already for the game's sockets here: no subscription of its own per game."""
    listeners: dict[int, OpListener] = {}

    async def listen(game_id: int, host: RoomOwner) -> None:
        listener = listeners[game_id] = OpListener(host, game_id)
        await get_hub().join(game_group(game_id), listener)

    async def unlisten(game_id: int, host: RoomOwner) -> None:
        listener = listeners.pop(game_id, None)
        if listener is not None:
            await get_hub().leave(game_group(game_id), listener)

    return Wire(
        publish=publish,
        publish_here=publish_here,
        publish_watchers=publish_watchers,
        listen=listen,
        unlisten=unlisten,
    )
