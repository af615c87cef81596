"""What goes into a room: every change of a game as one typed command.

A socket builds a command from its client's frame (``Move``, ``Ready``...), the host applies it
to the room it owns or forwards it to the room's owner, and the room takes it as one step
(``Room.step``), dispatched by its type. A room's journal, its game's log (the replay) and the
frames forwarded between processes keep a command serialized: its ``op`` and its arguments,
``command.entry()``, read back with ``command_from``. That shape is the one the releases before
commands wrote (an op name and an argument list), so a journal or a game's log they wrote
replays here, and a process of either release reads the other's forwarded frames.

The standard library only: the room's package (``gameplatform.modes``) imports nothing of the server.
"""

from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias


class UnknownCommand(ValueError):
    """A serialized command this release cannot read: an op it does not know, or arguments
    that are not that op's."""


class Command:
    """What one step of a room takes. ``op`` names the command in its serialized form."""

    __slots__ = ()
    op: ClassVar[str]
    __match_args__: ClassVar[tuple[str, ...]] = ()

    def entry(self) -> tuple[str, list]:
        """The command serialized (the journal's, the game log's and the wire's): its op and
        its arguments, JSON data (``command_from`` reads it back). Each command with fields
        spells out its own: a step's entry is on the hot path of every frame and tick."""
        return self.op, []

    def wire(self) -> tuple[int, str, list]:
        """The command as a forwarded frame carries it: the player apart (0: none), then
        the op and the other arguments (``command_from(op, args, player_id=...)``)."""
        op, args = self.entry()
        return 0, op, args

    @classmethod
    def from_args(cls, args: list) -> "Command":
        return cls(*args)


@dataclass(frozen=True, slots=True)
class PlayerCommand(Command):
    """A player's command, whose first argument is the player (a socket's, or staff's for them)."""

    player_id: int

    def entry(self) -> tuple[str, list]:
        return self.op, [self.player_id]

    def wire(self) -> tuple[int, str, list]:
        op, args = self.entry()
        return args[0], op, args[1:]


# --- the room's commands ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Advance(Command):
    """The clock alone: the ticks, timers, turn clock and grace that are due."""

    op: ClassVar[str] = "advance"


@dataclass(frozen=True, slots=True)
class Connect(PlayerCommand):
    """A socket of the player holds the seat now (a fresh ``game_state`` goes to them)."""

    op: ClassVar[str] = "connect"


@dataclass(frozen=True, slots=True)
class Disconnect(PlayerCommand):
    """The socket holding the player's seat went away: the grace starts."""

    op: ClassVar[str] = "disconnect"


@dataclass(frozen=True, slots=True)
class Ready(PlayerCommand):
    op: ClassVar[str] = "ready"


@dataclass(frozen=True, slots=True)
class Forfeit(PlayerCommand):
    """The player leaves the game for good (their own ``forfeit``, or staff kicked them)."""

    op: ClassVar[str] = "forfeit"


@dataclass(frozen=True, slots=True)
class Move(PlayerCommand):
    """A ``player_move`` frame: the mode's ``move`` message."""

    op: ClassVar[str] = "move"
    frame_type: ClassVar[str] = "player_move"  # the client's frame
    movement: Any

    def entry(self) -> tuple[str, list]:
        return self.op, [self.player_id, self.movement]


@dataclass(frozen=True, slots=True)
class Action(PlayerCommand):
    """A ``game_action`` frame: the mode's message named ``action``, or its ``*`` message.
    Not the same as a ``Move`` or an ``Input``: an action named ``move`` is not the ``move``
    message (it goes to ``*``, or is refused ``unknown_action``)."""

    op: ClassVar[str] = "action"
    frame_type: ClassVar[str] = "game_action"
    action: Any
    data: Any

    def entry(self) -> tuple[str, list]:
        return self.op, [self.player_id, self.action, self.data]


@dataclass(frozen=True, slots=True)
class Input(PlayerCommand):
    """An ``input`` frame: the mode's ``input`` message (real-time: shown in the next tick)."""

    op: ClassVar[str] = "input"
    frame_type: ClassVar[str] = "input"
    data: Any

    def entry(self) -> tuple[str, list]:
        return self.op, [self.player_id, self.data]


@dataclass(frozen=True, slots=True)
class Inputs(Command):
    """The ``input`` frames a real-time room got since its last tick, in arrival order, taken as
    one step at the tick (as Nakama's match loop takes a tick's messages): each input checked
    and applied whole or not at all, in order, then the tick, which shows them. ``frames``: each
    input's ``(forwarded id, ref)`` (None: neither), as ``Room.step``'s ``frame`` of one input;
    they stay out of the arguments (a journal entry's sixth item, never in a game's log)."""

    op: ClassVar[str] = "inputs"
    inputs: tuple[Input, ...]
    frames: tuple[tuple | None, ...] = ()

    def entry(self) -> tuple[str, list]:
        return self.op, [[command.player_id, command.data] for command in self.inputs]

    @classmethod
    def from_args(cls, args: list) -> "Inputs":
        return cls(tuple(Input(player_id, data) for player_id, data in args))


@dataclass(frozen=True, slots=True)
class Join(Command):
    """The platform seats a player in a game that runs (the mode's ``join_in_progress``)."""

    op: ClassVar[str] = "join"
    player_id: int
    username: str
    seat: int
    side: str

    def entry(self) -> tuple[str, list]:
        return self.op, [{"id": self.player_id, "username": self.username, "seat": self.seat, "side": self.side}]

    @classmethod
    def from_args(cls, args: list) -> "Join":
        (seat,) = args
        return cls(seat["id"], seat["username"], seat["seat"], seat["side"])


@dataclass(frozen=True, slots=True)
class Abandon(Command):
    """Staff end the game: it ends ``abandoned`` (nothing when it is over). The platform's
    alone: no socket sends it."""

    op: ClassVar[str] = "abandon"


# --- a spectator's socket's (the host's: no room step) -------------------------------------


@dataclass(frozen=True, slots=True)
class Watch(Command):
    """A spectator's socket starts watching (it gets the spectators' ``game_state``)."""

    op: ClassVar[str] = "watch"


@dataclass(frozen=True, slots=True)
class StillWatching(Command):
    """A spectator's socket still watches (every ``WATCH_RENEW_SECONDS``)."""

    op: ClassVar[str] = "still_watching"


@dataclass(frozen=True, slots=True)
class Unwatch(Command):
    op: ClassVar[str] = "unwatch"


# A client's message to the mode (checked against the schema of its ``messages`` entry, then handled).
ClientMessage: TypeAlias = Move | Action | Input
# What ``Room.step`` takes, and of those what only the platform takes (never a socket's frame).
ROOM_COMMANDS = (Advance, Connect, Disconnect, Ready, Forfeit, Move, Action, Input, Inputs, Join, Abandon)
PLATFORM_COMMANDS = (Abandon,)
# What staff may ask of a room wherever it runs (``RoomHost.command``): a player's forfeit made
# for them (a kick), and the end of the game.
STAFF_COMMANDS = (Forfeit, Abandon)
SPECTATOR_COMMANDS = (Watch, StillWatching, Unwatch)
ADVANCE = Advance()

_BY_OP: dict[str, type[Command]] = {kind.op: kind for kind in (*ROOM_COMMANDS, *SPECTATOR_COMMANDS)}


def command_from(op: str, args=(), *, player_id: int | None = None) -> Command:
    """The command of a serialized ``(op, args)`` (``Command.entry()``, or a journal entry or
    game log step of a previous release: the same shape). ``player_id``: a forwarded frame's
    player, carried apart from its arguments (``Command.wire()``). Raises ``UnknownCommand``
    for an op or arguments this release does not know."""
    kind = _BY_OP.get(op) if isinstance(op, str) else None
    if kind is None:
        raise UnknownCommand(f"no such command: {op!r}")
    try:
        args = list(args)
        if player_id is not None and issubclass(kind, PlayerCommand):
            args.insert(0, player_id)
        return kind.from_args(args)
    except (TypeError, ValueError, KeyError) as exc:
        raise UnknownCommand(f"{op!r} does not take the arguments {args!r}") from exc
