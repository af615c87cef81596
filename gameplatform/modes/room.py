"""One running game: a mode, its state and its players, with no I/O at all.

``Room`` is what the server runs for every game and what the test kit drives in unit tests: the
same code in both places (the server's writes its frames with orjson, ``gameplatform.rooms.server_room``).
It is made of one part per job, each in its module:

- ``room`` (here): the life cycle of the contract (``waiting_for_players`` → ``waiting_for_ready``
  → ``active`` → ``finished`` or ``abandoned``), the seats, and the client's messages, each checked
  against the mode's schema (``Mode.messages``) before its handler sees it;
- ``clock`` (``room.clock``): the ticks of a real-time mode, the mode's timers, the turn clock
  and the grace;
- ``steps`` (``room.journal``): every change as one step, whole or not at all, journalled and
  replayed;
- ``views`` (``room.views``): what each viewer sees, their ``game_state`` and ``state_patch``
  frames, and the texts;
- ``snapshots`` (``room.snapshots``): the room as data and text, to go on in another process
  (``Room.restore``).

The game itself (its phase, state, clock times, seats, step count) is the room's, one record that
its snapshot copies whole; each part holds the room and keeps only what is this process's alone.

Each step returns nothing; ``drain()`` hands over the frames made since the last call, as
``(player_id, frame)`` pairs (``player_id`` None: every connected player).
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass

from gameplatform.modes import snapshots
from gameplatform.modes.api import FRAME_MESSAGES, MESSAGE_TYPE, Context, Mode, Player, Reject, Result
from gameplatform.modes.clock import Clock
from gameplatform.modes.commands import (
    ADVANCE,
    Action,
    ClientMessage,
    Command,
    Connect,
    Disconnect,
    Forfeit,
    Input,
    Join,
    Move,
    Ready,
)
from gameplatform.modes.phases import (
    ABANDONED,
    ABORTED,
    ACTIVE,
    FINISHED,
    OVER,
    SPECTATORS,
    WAITING_FOR_PLAYERS,
    WAITING_FOR_READY,
)
from gameplatform.modes.schema import Invalid, check
from gameplatform.modes.steps import (
    OPS,
    PLATFORM_OPS,
    REF_KEPT_CHARS,
    TAKEN_KEPT,
    TAKEN_SECONDS,
    HookFailed,
    Journal,
    forwarded_key,
    ref_key,
    starting_players,
)
from gameplatform.modes.views import Views, encode_json, written_json

__all__ = [
    "ABANDONED",
    "ABORTED",
    "ACTION_NAME",
    "ACTIVE",
    "FINISHED",
    "OPS",
    "OVER",
    "PLATFORM_OPS",
    "REF_KEPT_CHARS",
    "SPECTATORS",
    "TAKEN_KEPT",
    "TAKEN_SECONDS",
    "WAITING_FOR_PLAYERS",
    "WAITING_FOR_READY",
    "Grace",
    "HookFailed",
    "Room",
    "encode_json",
    "forwarded_key",
    "ref_key",
    "starting_players",
]

ACTION_NAME = MESSAGE_TYPE  # a ``game_action``'s name


def _required(value, field: str):
    """A client frame's field as sent; missing (or null) is refused as the schemas refuse a missing key."""
    if value is None:
        raise Invalid({field: ["This field is required."]})
    return value


@dataclass(frozen=True)
class Grace:
    """Seconds a player may be away: after having connected (``reconnect``), before ever connecting
    (``first``, counted from the room's opening or the player's join; it may be the shorter: a
    queue match waits for a player who never comes less long than for one who dropped)."""

    reconnect: float = 60.0
    first: float = 60.0


class Room:
    """One game: its mode, state, players and phase. It owns the seats and the life cycle, and
    dispatches each client message once through the mode's ``messages``; its clock (``clock``),
    steps (``journal``), frames (``views``) and snapshots (``snapshots``) are parts it holds."""

    # How the room writes a frame as JSON text: the standard library's encoder here (the mode API
    # and its test kit need nothing else); the server's rooms write with orjson (gameplatform.rooms.server_room).
    encode = staticmethod(encode_json)
    written = staticmethod(written_json)

    def __init__(
        self,
        mode: Mode,
        *,
        game_id: int,
        players: list[Player],
        seed: int,
        lobby_id: int | None = None,
        grace: Grace | None = None,
        now: float = 0.0,
        flags: dict | None = None,
        player_flags: dict[int, dict] | None = None,
    ) -> None:
        self.mode, self.game_id, self.lobby_id = mode, game_id, lobby_id
        self.grace = grace or Grace()
        self.ctx = Context(players=players, seed=seed, tick_rate=mode.tick_rate, flags=flags, player_flags=player_flags)
        self.ctx.now = now
        self.phase = WAITING_FOR_PLAYERS
        self.version = 0
        self.turn_deadline: float | None = None
        self.away_since: dict[int, float] = {p.id: now for p in players}  # nobody has connected yet
        self.seen: set[int] = set()  # players who connected at least once
        self.recorded_start = False  # the runtime's mark: the start is in the database
        self.errors = 0  # hooks that raised in this game
        self.steps = 0  # steps that changed the room (a journal entry each)
        self.taken: dict[str, float] = {}  # the frames it took, oldest first, and when (``took``)
        self.fresh_parts()
        self.state = mode.setup(self.ctx)

    def fresh_parts(self) -> None:
        """What a room keeps only while it runs in this process (none of it in its snapshot)."""
        self.clock = Clock(self)
        self.journal = Journal(self)
        self.views = Views(self)
        self.snapshots = snapshots.Snapshots(self)
        self.hook = "platform"  # the mode's hook running now (what a failure names)
        self.watched = False  # someone watches: every change makes the spectators' frames too (``watch``)

    # --- reading ---------------------------------------------------------------------

    @property
    def players(self) -> list[Player]:
        return self.ctx.players

    @property
    def result(self) -> Result | None:
        return self.ctx.result if self.phase in OVER else None

    @property
    def over(self) -> bool:
        return self.phase in OVER

    def player(self, player_id: int) -> Player:
        try:
            return self.ctx.player(player_id)
        except KeyError:
            raise Reject("not_a_player", "You are not a player of this game.") from None

    def view_of(self, player_id: int):
        """The view ``player_id`` may see now, as JSON data (what their ``game_state`` carries)."""
        return json.loads(self.encode(self.mode.view(self.state, self.player(player_id))))

    def game_state(self, player_id: int) -> dict:
        """A fresh ``game_state`` for ``player_id`` (or ``SPECTATORS``); from now on their patches
        start from it."""
        return self.views.game_state(player_id)

    def watch(self, watched: bool) -> dict | None:
        """Someone watches the game now (``watched``), or nobody any more. Returns the spectators'
        fresh ``game_state`` (their patches start from it), made after the frames pending now."""
        self.watched = watched
        if not watched:
            self.views.sent.pop(SPECTATORS, None)
            return None
        return self.game_state(SPECTATORS)

    def drain(self) -> list[tuple[int | None, dict]]:
        """The frames made since the last call, state patches last."""
        return self.views.drain()

    def drain_encoded(self) -> list[tuple]:
        """``drain()`` as JSON texts (``Views.drain_encoded``)."""
        return self.views.drain_encoded()

    def final_frames(self) -> Iterator[tuple[int, str]]:
        """A game that is over, told again to every player (``Views.final_frames``)."""
        return self.views.final_frames()

    def took(self, key: str | None) -> bool:
        """Whether the room took the frame of ``key`` (``forwarded_key``, ``ref_key``) lately."""
        return key is not None and key in self.taken

    def next_wakeup(self) -> float | None:
        """When this room next needs ``advance`` (game time), or None while nothing is due."""
        return self.clock.next_wakeup()

    # --- steps ---------------------------------------------------------------------------

    def step(self, now: float, command: Command | str, *args, frame: tuple | None = None) -> bool:
        """One step at game time ``now``: the clock runs to ``now`` (the ticks, turn clock and
        grace that are due), then ``command`` (one of ``ROOM_COMMANDS``; ``Advance``: the clock
        alone). Whole or nothing: refused (``Reject``, ``Invalid``) or failed (``HookFailed``), it
        changed nothing. True when it changed the room: a step to journal, as ``(steps, now, op,
        args)`` (``Command.entry()``), which ``replay`` applies again to the same effect (modes are
        deterministic). ``frame``: the client frame's ``(forwarded id, ref)``, either None: once
        the step changed the room, ``took`` knows it. ``command`` may still be given serialized,
        as an op and its ``args`` (``room.step(now, "move", 1, {"cell": 4})``), for one release."""
        return self.journal.step(now, command, *args, frame=frame)

    def replay(self, entries, each=None) -> int:
        """Apply journalled steps ``(steps, now, op, args, version)`` newer than this room's, in
        order, and drop their frames (every player gets a fresh ``game_state`` after a takeover).
        Stops at a gap, at a step that does not go as it went (a mode that is not deterministic)
        or at one whose command this release does not know. ``each(command, now)``, when given,
        is called after each step. Returns how many it applied."""
        return self.journal.replay(entries, each)

    def advance(self, now: float) -> None:
        """Game time is ``now``: run the ticks that are due, the turn clock and the grace."""
        self.journal.step(now, ADVANCE)

    def connect(self, player_id: int) -> None:
        """A socket of ``player_id`` holds the seat now (a fresh ``game_state`` goes to them)."""
        self.journal.step(self.ctx.now, Connect(player_id))

    def disconnect(self, player_id: int) -> None:
        """The socket holding the seat went away: the grace starts."""
        self.journal.step(self.ctx.now, Disconnect(player_id))

    def ready(self, player_id: int) -> None:
        self.journal.step(self.ctx.now, Ready(player_id))

    def forfeit(self, player_id: int) -> None:
        self.journal.step(self.ctx.now, Forfeit(player_id))

    def move(self, player_id: int, movement) -> None:
        self.journal.step(self.ctx.now, Move(player_id, movement))

    def action(self, player_id: int, action: str, data) -> None:
        self.journal.step(self.ctx.now, Action(player_id, action, data))

    def input(self, player_id: int, data) -> None:
        self.journal.step(self.ctx.now, Input(player_id, data))

    def join(self, player: Player) -> None:
        """``player`` took a free seat of a game whose mode takes players in progress: seated
        away, like a player who has not connected yet (the first-connect grace runs). Refused
        with ``game_over``, ``not_joinable``, ``game_full`` or ``already_seated``."""
        self.journal.step(self.ctx.now, Join(player.id, player.username, player.seat, player.side))

    def abandon(self) -> None:
        """End the game ``abandoned`` (a mode that cannot resume after its process died), as no
        step: the host records the end at once and nothing replays it."""
        self.journal.abandon()

    # --- connection and life cycle -----------------------------------------------------

    def _connect(self, player_id: int) -> None:
        """A socket of ``player_id`` holds the seat now (a fresh ``game_state`` goes to them)."""
        player = self.player(player_id)
        returning = player_id in self.seen and not player.connected
        player.connected = True
        self.away_since.pop(player_id, None)
        if not self.over:
            if player_id not in self.seen:
                self.seen.add(player_id)
                self._call(self.mode.on_join, player)
            elif returning:
                self._emit({"type": "player_reconnected", "user_id": player_id}, skip=player_id)
                self._call(self.mode.on_reconnect, player)
            self._advance()
            self._changed(full=True, skip=player_id)
        self.views.push(player_id, self.game_state(player_id))

    def _join(self, join: Join) -> None:
        if self.over:
            raise Reject("game_over", "The game is over.")
        if not self.mode.join_in_progress:
            raise Reject("not_joinable", "This game takes no players once it is made.")
        if any(p.id == join.player_id for p in self.players):
            raise Reject("already_seated", "This player has a seat in this game.")
        if len(self.players) >= self.mode.max_players:
            raise Reject("game_full", "This game has no free seat.")
        player = Player(id=join.player_id, username=join.username, seat=join.seat, side=join.side)
        self.ctx.players.append(player)
        self.away_since[player.id] = self.ctx.now
        self._changed(full=True)  # the others' game_state lists the new player

    def _disconnect(self, player_id: int) -> None:
        """The socket holding the seat went away: the grace starts."""
        player = self.player(player_id)
        self.views.sent.pop(player_id, None)
        if not player.connected:
            return
        player.connected = False
        self.away_since[player_id] = self.ctx.now
        if self.over:
            return
        self._emit({"type": "player_disconnected", "user_id": player_id})
        self._call(self.mode.on_leave, player)
        self._changed(full=True)

    def _ready(self, player_id: int) -> None:
        player = self._playing(player_id)
        if self.phase == ACTIVE:
            raise Reject("game_started", "The game has started.")
        if player.ready:
            return
        player.ready = True
        self._emit({"type": "player_ready", "user_id": player_id})
        self._advance()
        self._changed(full=True)

    def _forfeit(self, player_id: int) -> None:
        self._eliminate([self._playing(player_id)])

    def _playing(self, player_id: int) -> Player:
        player = self.player(player_id)
        if self.over:
            raise Reject("game_over", "The game is over.")
        if player.out:
            raise Reject("forfeited", "You have left this game.")
        return player

    def _advance(self) -> None:
        """Forward as far as the players allow: everyone here, then everyone ready: active."""
        playing = self.ctx.playing
        if self.phase == WAITING_FOR_PLAYERS and all(p.connected for p in playing):
            self.phase = WAITING_FOR_READY
        if self.phase == WAITING_FOR_READY and all(p.ready for p in playing):
            self.phase = ACTIVE
            self._emit({"type": "game_start"})
            self._call(self.mode.on_start)
            self.clock.arm_turn(None)

    def _eliminate(self, leaving: list[Player]) -> None:
        """Players leave for good. Before the start it costs nothing (under two left: abandoned);
        once active the mode decides (``on_out``; by default the last one left wins)."""
        started = self.phase == ACTIVE
        for player in leaving:
            player.out = True
            player.left_before_start = not started
            self._emit({"type": "forfeit", "user_id": player.id})
        if not started:
            if len(self.ctx.playing) < 2:
                self._end(Result(winner=None, reason="abandoned"))
                return
            self._advance()
        else:
            for player in leaving:
                if self.ctx.result is None:
                    self._call(self.mode.on_out, player)
        if not self.over:
            self._changed(full=True)

    # --- client frames -------------------------------------------------------------

    def _message(self, message: ClientMessage) -> None:
        """A client's message (a ``Move``, ``Action`` or ``Input``), dispatched once through the
        mode's ``messages``: checked against its schema, then handed to its handler."""
        action = None
        if isinstance(message, Action):
            action, data = message.action, message.data
            if not isinstance(action, str) or not ACTION_NAME.match(action):
                raise Invalid({"action": ["Must be 1 to 32 lowercase letters, digits or _, starting with a letter."]})
            declared = self.mode.messages.get(action) if action not in FRAME_MESSAGES else None
            if declared is None:
                declared = self.mode.messages.get("*")
                if declared is None:
                    raise Reject("unknown_action", f"This game has no action {action[:32]!r}.")
            else:
                action = None
            data = check(declared.schema, data, "data")
        else:
            moved = isinstance(message, Move)
            data = message.movement if moved else message.data
            declared = self.mode.messages.get(message.op)
            if declared is None:
                raise Reject("unknown_type", f"This game takes no {message.frame_type} frames.")
            field = "movement" if moved else "data"
            data = check(declared.schema, _required(data, field), field)
        player = self._acting(message.player_id)
        payload = (player, data) if action is None else (player, action, data)
        self._run(declared.name, declared.handler, self.mode, self.state, *payload, self.ctx)
        if not isinstance(message, Input) or not self.mode.tick_rate:  # real-time: shown in the next tick's patch
            self._after_frame()

    def _after_frame(self) -> None:
        """A frame was applied: patches for the views it changed (and, for modes that ask, a full state)."""
        if self.over:  # a game that just ended has sent its last game_state already
            return
        self.views.dirty = True
        if self.views.sync() and self.mode.state_every_change:
            for p in self.players:
                if p.connected:
                    self.views.push(p.id, self.game_state(p.id))

    def _acting(self, player_id: int) -> Player:
        player = self._playing(player_id)
        if self.phase != ACTIVE:
            raise Reject("game_not_active", "The game has not started.")
        return player

    def _abandon(self) -> None:
        """The ``Abandon`` step (``step(now, Abandon())``, journalled and replayed like any step):
        the game ends ``abandoned`` (staff ended it, ``RoomHost.command``); nothing when it is over."""
        if not self.over:
            self._end(Result(winner=None, reason="abandoned"))

    # --- the mode's hooks and what they leave ------------------------------------------

    def _call(self, hook, *args) -> None:
        self._run(hook.__name__, hook, self.state, *args, self.ctx)

    def _run(self, name: str, hook, *args) -> None:
        """Call a hook of the mode (``name``): then its events go out, its turn and its result count."""
        turn = self.ctx.turn
        self.hook = name
        hook(*args)
        for to, frame in self.ctx.outbox:
            if to is None:
                self._emit(frame)
            else:
                for player_id in to:
                    self.views.push(player_id, frame)
        self.ctx.outbox.clear()
        if self.ctx.turn != turn:
            self.clock.arm_turn(turn)
        if self.ctx.result is not None and not self.over:
            self._end(self.ctx.result)

    def _abort(self) -> None:
        """End the game ``aborted`` (its mode keeps failing): unrated, and no hook is called again."""
        self.ctx.result = Result(winner=None, reason=ABORTED)
        self.phase = ABANDONED
        self.turn_deadline = None
        self.ctx.outbox.clear()
        made = len(self.views.pending)
        try:
            self._changed(full=True)
        except Exception:  # the views fail too: the players get ``game_over`` alone
            del self.views.pending[made:]
        self._emit({"type": "game_over", "winner_id": None, "reason": ABORTED})

    def _end(self, result: Result) -> None:
        self.ctx.result = result
        self.phase = ABANDONED if result.reason == "abandoned" else FINISHED
        self.turn_deadline = None
        for player in self.players:
            player.score = result.scores.get(player.id, player.score)
        self.hook = "on_end"
        self.mode.on_end(self.state, result, self.ctx)
        self.ctx.outbox.clear()  # the game is over: nothing more is relayed
        self._changed(full=True)
        self._emit({"type": "game_over", "winner_id": result.winner, "reason": result.reason})

    def _emit(self, frame: dict, skip: int | None = None) -> None:
        if skip is None:
            self.views.push(None, frame)
        else:
            for p in self.players:
                if p.id != skip and p.connected:
                    self.views.push(p.id, frame)

    def _changed(self, *, full: bool = True, skip: int | None = None) -> None:
        """The game's life cycle changed (a player came, left, got ready; the start; the end): a new
        version, and every connected player but ``skip`` gets a fresh ``game_state`` (no patch first)."""
        self.version += 1
        self.views.dirty = False
        for p in self.players:
            if p.connected and p.id != skip:
                self.views.push(p.id, self.game_state(p.id))
        if self.watched:
            self.views.push(SPECTATORS, self.game_state(SPECTATORS))

    # --- going on elsewhere ------------------------------------------------------------

    def snapshot(self) -> dict:
        """A JSON-serialisable copy of everything the room needs to go on elsewhere (``restore``)."""
        return snapshots.snapshot(self)

    def encode_snapshot(self, *, journal: str | None = None) -> str:
        """``snapshot()`` as JSON, naming the ``journal`` that holds the steps after it. A step that
        fails from now on is undone from it."""
        text = self.snapshots.encode()
        self.journal.rebase(text)
        return text if journal is None else snapshots.with_journal(text, journal)

    @classmethod
    def restore(cls, mode: Mode, snap: dict, *, grace: Grace | None = None, journal=(), seated: bool = False) -> "Room":
        """The room of ``snapshot()`` and the ``journal``'s steps after it (``replay``): where its
        players last were. Every player is counted away from then until they connect here, unless
        ``seated`` (the same process, whose sockets are still there)."""
        return snapshots.restore(cls, mode, snap, grace=grace or Grace(), journal=journal, seated=seated)
