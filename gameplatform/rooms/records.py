"""What the parts of a room host share: the app's records (``Hooks``) and seatings, and one record per running room.

``RoomHost`` (``gameplatform.rooms.host``) keeps one ``Running`` per room it runs; its parts (the
driver, the seats, the spectators, the match list, takeover) read and update that record, and
nothing of a room outlives it.
"""

import asyncio
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from gameplatform.modes import Invalid, Mode, Player, Reject, Result
from gameplatform.modes.room import Grace
from gameplatform.rooms.flags import GameFlags
from gameplatform.rooms.inputs import InputQueue
from gameplatform.rooms.server_room import Room

LABELS_KEPT = 512  # a delayed room's labels on their way to the match list (one a listing pass at most)


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


@dataclass
class Hooks:
    """The game's records, given by the app (and by tests): each one a coroutine function but
    ``grace``. The host's deliveries to the game's sockets are the kit's own (``wire.Wire``)."""

    seating: Callable[[int], Awaitable[Seating | None]]  # the game's record, or None if there is none
    record_start: Callable[[int], Awaitable[None]]
    # (game, result, players, the final board or None, the room's last version, every step of the
    # game: its replay, with its seed and players; None when the store could not give it), once
    record_result: Callable[[int, Result, list[Player], object, int, list | None], Awaitable[None]]
    grace: Callable[[], Grace] = Grace
    # A new room's flags for the mode's ``ctx.flag`` (the room's, each player's: ``gameplatform.rooms.flags``),
    # asked once, when the room is made (not on a takeover: the snapshot keeps them); None: no flags.
    flags: Callable[[int, list[int]], Awaitable[GameFlags]] | None = None


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
    # over, and the database has not taken the result yet: the frames held back (and the player
    # and ref of each answer among them whose frame no forwarder keeps: ``Answers.unsaved``), the
    # tries so far
    unrecorded: bool = False
    held: list[tuple[int, str]] = field(default_factory=list)
    unsaved: list[tuple[int, object]] = field(default_factory=list)
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
    # A real-time room's inputs since its last tick, for the next tick to take as one step
    inputs: InputQueue = field(default_factory=InputQueue)

    def now(self) -> float:
        """The room's game time."""
        return time.monotonic() - self.origin

    def take_log(self) -> list:
        """The room's steps not yet in its game's log, taken to go in with a snapshot."""
        log, self.log = self.log, []
        return log


def text(frame: dict) -> str:
    """A frame the host writes itself (an ``ack``, an ``error``, a summary) as JSON text."""
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


# Why a player's frame no room took is answered with an error to send it again (``not_taken``)
NOT_TAKEN = {
    "unavailable": "The game is moving between servers; send it again.",
    "overloaded": "The server is busy; send it again later.",
}


def not_taken(player_id: int, ref, code: str = "unavailable") -> tuple[int, str]:
    """The answer to a player's frame that no room took and none will (its room moved between
    processes before taking it; ``overloaded``: too many frames wait here): ``error`` with
    ``retry_after`` (1 s) and its ``ref`` when given, which the client sends again."""
    error = {"type": "error", "code": code, "message": NOT_TAKEN[code], "retry_after": 1}
    if ref is not None:
        error["ref"] = ref
    return player_id, text(error)


@dataclass
class Answers:
    """What a step says to the frames it took, to go out after its frames once the step is in the
    store: each frame's answer (``answer``), the receipts of the forwarded ones (``took``), and
    the player and ``ref`` of each answer whose frame no forwarder keeps (``unsaved``): should
    the store refuse the step (``Outbox``; a game's end: ``Steps._end``), those are answered
    ``unavailable`` instead."""

    frames: list[tuple[int, str]] = field(default_factory=list)
    took: list[str] = field(default_factory=list)
    unsaved: list[tuple[int, object]] = field(default_factory=list)

    def add(self, player_id: int, ref, refused: BaseException | None, forwarded: str | None, kept: bool) -> None:
        """A frame the step took (``refused`` None) or refused; ``forwarded``: its id, for one
        forwarded by a socket's process; ``kept``: its sender sends it again if no receipt comes
        (``Forwarder.keeps``), so it is not answered here should the step not be saved."""
        reply = answer(player_id, ref, refused)
        if reply is not None:
            self.frames.append(reply)
            if not kept:
                self.unsaved.append((player_id, ref))
        if forwarded is not None:
            self.took.append(forwarded)


def answer(player_id: int, ref, refused: BaseException | None) -> tuple[int, str] | None:
    """The answer to a player's frame its room took (``refused`` None) or refused: ``ack`` when
    it came with a ``ref`` (None without one), else its ``error``, with its ``ref`` when given."""
    if refused is None:
        return None if ref is None else (player_id, text({"type": "ack", "ref": ref}))
    if isinstance(refused, Reject):
        error = {"type": "error", "code": refused.code, "message": refused.message}
    elif isinstance(refused, Invalid):
        error = {
            "type": "error",
            "code": "invalid",
            "message": "The frame has invalid fields.",
            "fields": refused.fields,
        }
    else:  # a hook that failed (``HookFailed``): the step was undone
        error = {"type": "error", "code": "server_error", "message": "The game could not take this frame."}
    if ref is not None:
        error["ref"] = ref
    return player_id, text(error)
