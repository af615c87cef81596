"""A real-time room's ``input`` frames between two ticks: queued here, taken by the next tick as one step.

While a room with a tick rate is active, a player's ``input`` is not a step of its own: it waits
in the room's record (``Running.inputs``) and the driver's next step of the room hands every input
that came since the last one to the room as one ``Inputs`` step (as Nakama's match loop takes a
tick's messages), then answers each as its own step would have been answered. The patch of that
tick shows them, as it showed an input applied on arrival: input-to-visible stays within the tick.
A room let go before its tick answers them instead (``RoomHost.let_go``).
"""

import math
from dataclasses import dataclass, field

from gameplatform.modes import Mode
from gameplatform.modes.commands import Input, Inputs
from gameplatform.modes.room import forwarded_key, ref_key


def inputs_waiting_most(mode: Mode) -> int:
    """The most inputs of one player a room of ``mode`` holds for its next tick; one more is
    answered ``rate_limited``, not queued. A player's socket lets through a burst of one second's
    worth of the mode's ``input_rate`` (at least one frame), then frames at that rate: the queue
    holds twice that burst, so neither a whole burst nor the frames that follow it while a tick
    runs late ever meet the bound; it is there for memory (a room holds at most this many inputs
    a seat), derived from what the mode declares, not from a tick's share."""
    return math.ceil(2 * max(float(mode.input_rate), 1.0))


@dataclass(frozen=True, slots=True)
class QueuedInput:
    """One input frame waiting for its room's tick, with what its answer needs."""

    command: Input
    ref: object = None
    forwarded: str | None = None  # its id, when a socket's process forwarded it here

    @property
    def frame(self) -> tuple | None:
        return None if self.forwarded is None and self.ref is None else (self.forwarded, self.ref)


@dataclass(eq=False)
class InputQueue:
    """A room's inputs since its last tick, in arrival order: owns the per-player bound and the
    frames it holds (a copy of one of them, sent again before the tick, is not queued twice)."""

    queued: list[QueuedInput] = field(default_factory=list)
    per_player: dict[int, int] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.queued)

    def holds(self, player_id: int, ref, forwarded: str | None, *, resent: bool) -> bool:
        """Whether this frame is queued already (sent again before the tick: its first copy's
        answer and receipt answer it too)."""
        return forwarded_key(forwarded) in self.keys or (resent and ref_key(player_id, ref) in self.keys)

    def offer(self, queued: QueuedInput, most: int) -> bool:
        """Queue ``queued``; False when its player has ``most`` inputs waiting already
        (``inputs_waiting_most``)."""
        player_id = queued.command.player_id
        count = self.per_player.get(player_id, 0)
        if count >= most:
            return False
        self.per_player[player_id] = count + 1
        self.queued.append(queued)
        for key in (forwarded_key(queued.forwarded), ref_key(player_id, queued.ref)):
            if key is not None:
                self.keys.add(key)
        return True

    def take(self) -> tuple[list[QueuedInput], Inputs]:
        """Every input queued, emptied: what they are and the room's ``Inputs`` step of them."""
        queued = self.drop()
        return queued, Inputs(tuple(q.command for q in queued), tuple(q.frame for q in queued))

    def drop(self) -> list[QueuedInput]:
        """Every input queued, emptied, and no step of them (the room is let go: they are answered)."""
        queued = self.queued
        self.queued, self.per_player, self.keys = [], {}, set()
        return queued
