"""A room's steps: each change of a game is one step, whole or not at all, journalled and replayed.

Every step takes one command (``gameplatform.modes.commands``: a client's message, a connect, the
clock's ``Advance``...). One that changed the room is kept as ``(steps, now, op, args, version)``,
the command serialized (``Command.entry()``): what the room's owner journals, and what a room
rebuilt from a snapshot replays (modes are deterministic from their seed and inputs). A step of a client's frame
may name the frame, ``(forwarded id, ref)``, as a sixth item: the room remembers the frames it
took in the last ``TAKEN_SECONDS`` (``took``), in its snapshot and through a replay, so a frame
sent again is answered, not applied again. A hook that raises leaves the room exactly as it was
before the step: it is rebuilt from its last snapshot and the steps after it, frames included; the
failure is answered with ``HookFailed`` and counted, and after the mode's ``max_errors`` in one game
the game ends ``aborted`` (unrated). A frame the rules refuse (``Reject`` from a hook, which the mode
API asks to raise before changing anything) is kept as a step all the same, so that a replay does
what the room did.

A real-time room's runtime may hand it the inputs that came since its last tick as one step,
``Inputs`` (as Nakama's match loop takes a tick's messages): each input is its own atomic unit,
checked and applied in arrival order (one refused or failed changes nothing, and the others
still apply), then the tick runs and shows them. Its entry, ``(steps, now, "inputs", [[player,
data], ...], version[, [[forwarded, ref] or None, ...]])``, holds the inputs that changed the
room, exactly those that were each an entry before (taken, or refused by the mode's hook), so
a replay applies each of them as it went, then the tick. A tick whose hook failed is undone
alone: the entry is then the inputs' alone, at the time before the tick.
"""

import functools
import hashlib
import json
import logging
import warnings
from dataclasses import dataclass, field

from gameplatform.modes.api import Player, Reject
from gameplatform.modes.commands import (
    ADVANCE,
    PLATFORM_COMMANDS,
    ROOM_COMMANDS,
    Abandon,
    Action,
    Advance,
    Command,
    Connect,
    Disconnect,
    Forfeit,
    Input,
    Inputs,
    Join,
    Move,
    PlayerCommand,
    Ready,
    UnknownCommand,
    command_from,
)
from gameplatform.modes.phases import ACTIVE
from gameplatform.modes.schema import Invalid

logger = logging.getLogger(__name__)

# The ops of the commands a step takes, and of those the platform's alone (one release more: the
# commands themselves, ``ROOM_COMMANDS`` and ``PLATFORM_COMMANDS``, say it now).
OPS = frozenset(kind.op for kind in ROOM_COMMANDS)
PLATFORM_OPS = frozenset(kind.op for kind in PLATFORM_COMMANDS)
OP_STEP_DEPRECATED = "Room.step(now, op, *args) is deprecated: give it a command (gameplatform.modes.commands)"
_ROOM_KINDS = frozenset(ROOM_COMMANDS)  # (a step's check of its command: one lookup on every frame and tick)
REBASE_STEPS = 64  # steps a room keeps after its last snapshot before it takes a new one itself
# The frames a room remembers having taken (``Room.took``): a frame sent again (by a socket's
# process while the room moved, within seconds, or by a client after a reconnect, within its
# request's timeout) is not applied twice. Those of the last TAKEN_SECONDS of game time, at most
# TAKEN_KEPT (a room taking thousands of remote inputs a minute keeps its newest).
TAKEN_SECONDS = 30.0
TAKEN_KEPT = 1024
REF_KEPT_CHARS = 64  # a longer ref is remembered by its digest


class HookFailed(Exception):
    """A mode's hook (``view`` included) raised during a step: the room is as it was before it.

    ``hook`` names the hook, ``error`` is what it raised. The room counts it (``Room.errors``)
    and, at the mode's ``max_errors``, has ended the game ``aborted`` before this is raised."""

    def __init__(self, hook: str, error: BaseException) -> None:
        super().__init__(f"{hook} raised {error!r}")
        self.hook = hook
        self.error = error


def atomic(method):
    """A step of the room (a method of its ``Journal``): all of it, or (a hook raised) none of it."""

    @functools.wraps(method)
    def step(self, *args):
        room = self.room
        if self.base is None:  # the room as it was made: what its first failed step is undone from
            room.encode_snapshot()
        saved = (room.views.save(), room.version)
        room.hook = "platform"
        try:
            method(self, *args)
            room.views.sync()  # the views too: a ``view`` that raises fails the step that changed them
        except (Reject, Invalid):
            raise
        except Exception as exc:
            self._rebuild(saved)
            raise self._failed(exc) from exc

    return step


@dataclass
class Batch:
    """The ``Inputs`` step a room is taking: the game time before it (a failure is undone to the
    inputs taken so far, with no tick), each input's outcome (None: applied; else the ``Reject``,
    ``Invalid`` or ``HookFailed`` that refused it, having changed nothing), and which inputs the
    step keeps in its entry (applied, or refused by the mode's hook)."""

    before: float
    outcomes: list = field(default_factory=list)
    kept: list[int] = field(default_factory=list)

    def entry(self, steps: int, batch: Inputs, version: int) -> tuple:
        """What the room is so far, as a journal entry after ``steps``: the kept inputs, no tick."""
        return steps + 1, self.before, *self.taken(batch).entry(), version

    def taken(self, batch: Inputs) -> Inputs:
        """The inputs of ``batch`` its entry keeps, with their frames."""
        frames = batch.frames or (None,) * len(batch.inputs)
        return Inputs(tuple(batch.inputs[i] for i in self.kept), tuple(frames[i] for i in self.kept))


def forwarded_key(forwarded: str | None) -> str | None:
    """What ``Room.took`` knows a frame by when a socket's process forwarded it to the room's owner."""
    return None if forwarded is None else f"f:{forwarded}"


def ref_key(player_id, ref) -> str | None:
    """What ``Room.took`` knows a player's frame by from its ``ref`` (a client sending it again).
    A ``ref`` may be any JSON value: one longer than a short text is known by its digest, so a
    client's large refs cost the room's memory and snapshots no more than small ones."""
    if ref is None or not isinstance(player_id, int):
        return None
    text = json.dumps(ref, separators=(",", ":"), ensure_ascii=False)
    if len(text) > REF_KEPT_CHARS:
        text = "#" + hashlib.sha256(text.encode()).hexdigest()[:32]
    return f"r:{player_id}:{text}"


def starting_players(players: list[Player], steps) -> list[Player]:
    """Of a finished game's ``players``, those it started with: a player who joined while it ran
    (a ``join`` step of its log) takes their seat again at that step when the game is replayed."""
    joined = set()
    for entry in steps:
        match _command_of(entry):
            case Join(player_id=player_id):
                joined.add(player_id)
    return [p for p in players if p.id not in joined]


def _command_of(entry) -> Command | None:
    """The command of a journal entry or game log step; None for one this release does not know."""
    try:
        return command_from(entry[2], entry[3])
    except UnknownCommand:
        return None


class Journal:
    """The steps of one room (``room.journal``): taking one, journalling it, replaying a journal,
    and undoing one that failed.

    What it keeps is this process's alone, none of it in the room's snapshot: the last snapshot's
    text and the steps after it (what a failed step is undone from), the steps its owner has not
    taken yet, and how the last ``Inputs`` step went. The game itself (its step count, errors and
    the frames it took) is the room's."""

    def __init__(self, room) -> None:
        self.room = room
        # What a failed step is undone from: the last snapshot's text and the steps after it.
        self.base: str | None = None
        self.since: list[tuple] = []
        self._new_steps: list[tuple] = []  # steps not yet taken by the owner's journal (``take_steps``)
        self.owned = False  # an owner takes the steps (``take_steps``): keep them for it
        self.replayed_steps: list = []  # the steps a takeover ran again (``replay``)
        self.batch: Batch | None = None  # the last ``Inputs`` step: how each of its inputs went
        self._taking: Inputs | None = None  # the ``Inputs`` step being taken (a failure keeps its inputs so far)

    def rebase(self, text: str) -> None:
        """The room's snapshot is ``text`` now: a step that fails is undone from it."""
        self.base, self.since = text, []

    def step(self, now: float, command: Command | str, *args, frame: tuple | None = None) -> bool:
        """``Room.step``: the clock to ``now``, then ``command``, whole or nothing; True when it
        changed the room (a journal entry, ``take_steps``)."""
        if type(command) not in _ROOM_KINDS and not isinstance(command, ROOM_COMMANDS):
            if not isinstance(command, Command):
                warnings.warn(OP_STEP_DEPRECATED, DeprecationWarning, stacklevel=3)  # where ``Room.step`` was called
                command = command_from(command, args)
            if not isinstance(command, ROOM_COMMANDS):  # a spectator's: the host's, not the room's
                raise ValueError(f"no such step: {command!r}")
        elif args:
            raise TypeError("a command takes no more arguments")
        room = self.room
        wake = room.clock.next_wakeup()
        due = wake is not None and now >= wake - 1e-9
        if not due and not (room.phase == ACTIVE and room.mode.tick_rate):
            room.ctx.now = max(room.ctx.now, now)  # nothing is due: only a turn-based room's clock moves
        if not due and type(command) is Advance:
            return False
        if type(command) is Inputs:
            return self._take_batch(now, command, due)
        try:
            self._apply(now, command, due)
        except Reject:
            if room.hook != "platform":  # refused by the mode, which may have changed something first
                self._took(now, command, frame)
            raise
        self._took(now, command, frame)
        return True

    def _take_batch(self, now: float, batch: Inputs, due: bool) -> bool:
        """The ``Inputs`` step: each input whole or not at all, in order, then the tick when it is
        due (``batch.outcomes`` says how each input went). A tick that fails is undone alone."""
        self.batch = Batch(before=self.room.ctx.now)
        self._taking = batch
        try:
            self._apply(now, batch, False)
            if due:  # the tick after the inputs: its patch shows them
                self._apply(now, ADVANCE, True)
        except Reject:
            if self.room.hook != "platform":  # the tick's hook refused, and may have changed something
                self._took(now, batch)
            raise
        except HookFailed:
            if self.batch.kept:  # the tick is undone, the inputs stay: a step at the time before it
                self._took(self.batch.before, batch)
            raise
        finally:
            self._taking = None
        if not due and not self.batch.kept:
            return False
        self._took(now, batch)
        return True

    def _took(self, now: float, command: Command, frame: tuple | None = None) -> None:
        room = self.room
        frames: tuple = () if frame is None or frame == (None, None) else (frame,)
        if type(command) is Inputs:  # the inputs that changed the room; none: the tick alone
            command = self.batch.taken(command)
            frames = command.frames if any(command.frames) else ()
            if not command.inputs:
                command = ADVANCE
        room.steps += 1
        op, args = command.entry()
        entry = (room.steps, now, op, args, room.version)
        if frames:
            if type(command) is Inputs:
                entry += ([None if f is None else list(f) for f in frames],)
                named = zip(frames, command.inputs, strict=True)
            else:
                entry += (list(frame),)
                named = ((frame, command),)
            for frame_of, taken_command in named:
                if frame_of is not None:
                    self._remember(frame_of, taken_command)
        self.since.append(entry)
        if self.owned:
            self._new_steps.append(entry)
        if len(self.since) >= REBASE_STEPS:  # a failure never replays more than this
            room.encode_snapshot()

    def _remember(self, frame: tuple, command: Command) -> None:
        """``Room.took`` knows the frame ``(forwarded id, ref)`` of ``command`` from now on."""
        forwarded, ref = frame
        taken, now = self.room.taken, self.room.ctx.now
        player_id = command.player_id if isinstance(command, PlayerCommand) else None
        for key in (forwarded_key(forwarded), ref_key(player_id, ref)):
            if key is not None:
                taken.pop(key, None)
                taken[key] = now
        while taken and (len(taken) > TAKEN_KEPT or next(iter(taken.values())) < now - TAKEN_SECONDS):
            del taken[next(iter(taken))]

    def take_steps(self) -> list[tuple]:
        """The steps taken since the last call (once ``owned`` is set): the owner's journal
        entries for this room."""
        steps, self._new_steps = self._new_steps, []
        return steps

    @atomic
    def _apply(self, now: float, command: Command, due: bool) -> None:
        room = self.room
        if due:
            room.clock.run(now)
        match command:
            case Advance():
                pass
            case Input() | Move() | Action():
                room._message(command)
            case Inputs():
                self._inputs(command)
            case Connect(player_id=player_id):
                room._connect(player_id)
            case Disconnect(player_id=player_id):
                room._disconnect(player_id)
            case Ready(player_id=player_id):
                room._ready(player_id)
            case Forfeit(player_id=player_id):
                room._forfeit(player_id)
            case Join():
                room._join(command)
            case Abandon():
                room._abandon()

    def _inputs(self, batch: Inputs) -> None:
        """Each input of an ``Inputs`` step in order, each its own atomic unit: one refused or
        failed changed nothing, and the next goes on from the room as the ones before left it."""
        taking = self.batch
        for index, command in enumerate(batch.inputs):
            outcome, kept = None, True
            try:
                self._input(command)
            except Reject as exc:  # kept when the mode's hook refused it (it may have changed something)
                outcome, kept = exc, self.room.hook != "platform"
            except (Invalid, HookFailed) as exc:
                outcome, kept = exc, False
            taking.outcomes.append(outcome)
            if kept:
                taking.kept.append(index)

    @atomic
    def _input(self, command: Input) -> None:
        self.room._message(command)

    def replay(self, entries, each=None) -> int:
        """``Room.replay``: the journalled steps newer than the room's, in order; how many it applied."""
        room = self.room
        applied = 0
        self.replayed_steps = []  # what the takeover ran again: the game's log goes on from them
        for steps, now, op, args, version, *named in entries:
            if steps <= room.steps:
                continue
            if steps != room.steps + 1:
                break
            try:
                command = command_from(op, args)
            except UnknownCommand:
                logger.warning("a journalled step names no command this release knows", extra={"op": repr(op)[:64]})
                break
            frame = tuple(named[0]) if named else None
            if type(command) is Inputs and named:  # each input's frame
                command, frame = Inputs(command.inputs, tuple(f and tuple(f) for f in named[0])), None
            try:
                changed = room.step(now, command, frame=frame)
            except Reject:  # refused by the mode then too (a refusal that changed something is kept)
                changed = room.steps == steps
            except (Invalid, HookFailed):
                break
            if not changed or (type(command) is Inputs and len(self.batch.kept) != len(command.inputs)):
                break
            room.version = version  # the patches the players were sent counted too
            applied += 1
            self.replayed_steps.append([steps, now, op, args, version])  # the game's log names no frame
            if each is not None:  # a replay's reader: the game after each step
                each(command, now)
        self._new_steps.clear()
        room.drain()
        return applied

    @atomic
    def abandon(self) -> None:
        """``Room.abandon``: the game ends ``abandoned``, as no step."""
        self.room._abandon()

    # --- a step that fails -------------------------------------------------------------

    def _rebuild(self, saved: tuple) -> None:
        """Undo a step that raised: the room is rebuilt from its last snapshot and the steps taken
        after it, and keeps what the players were sent before the step."""
        room = self.room
        views, version = saved
        base = json.loads(self.base)
        journal, steps = self.since, room.steps
        if self._taking is not None and self.batch.kept:  # an ``Inputs`` step's inputs taken so far stay
            journal, steps = [*journal, self.batch.entry(room.steps, self._taking, room.version)], steps + 1
        rebuilt = type(room).restore(room.mode, base, grace=room.grace, journal=journal, seated=True)
        if rebuilt.steps != steps:
            logger.error("a room could not be rebuilt to its last step", extra={"game_id": room.game_id})
        room.state, room.ctx, room.phase, room.turn_deadline = (
            rebuilt.state,
            rebuilt.ctx,
            rebuilt.phase,
            rebuilt.turn_deadline,
        )
        room.away_since, room.seen, room.version = rebuilt.away_since, rebuilt.seen, version
        room.views.restore(views)

    def _failed(self, error: Exception) -> HookFailed:
        """A step raised and was rolled back: counted, and the game aborted at the mode's limit."""
        room = self.room
        failure = HookFailed(room.hook, error)
        room.errors += 1
        if room.errors >= room.mode.max_errors and not room.over:
            room._abort()
        return failure
