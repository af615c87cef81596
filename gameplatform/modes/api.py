"""The mode API: what a studio writes to put its own game on the platform.

A mode is a class with declared facts (name, players, tick rate, the shapes of client frames)
and hooks that change the game's state. Everything the hooks touch is plain data:

- ``state``: the mode's own JSON-serialisable dict (made by ``setup``), changed in place;
- ``player``: a ``Player`` (id, username, seat, side, connected, ready, out);
- ``ctx``: the ``Context`` of the room: the players, a seeded ``random``, the room clock and
  tick, whose ``turn`` it is, ``finish()`` to end the game, ``send()`` for one-off events.

Hooks do no I/O, no ORM, no awaits and no wall-clock reads: a room step costs microseconds,
a game replays from its seed and inputs, and a unit test needs no server
(``gameplatform.modes.testing``). A hook refuses a frame with ``raise Reject(code, message)``
*before* changing anything: the player gets an ``error`` frame with that code and the state
stays as it was (the test kit checks this).

What a player sees is ``view(state, player)``, and only that: the first ``game_state``, every
``state_patch`` and every ``send`` to them. A hidden hand of cards stays out of the view of
the players who may not see it.
"""

import math
import random
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from gameplatform.modes.schema import Field, check

# A client message's type: what ``Mode.messages`` is keyed by. ``move`` is a ``player_move
# {movement}`` frame, ``input`` an ``input {data}`` frame, any other name a ``game_action {action,
# data}`` of that action; ``*`` stands for every action the map does not name.
FRAME_MESSAGES = ("move", "input")
MESSAGE_TYPE = re.compile(r"[a-z][a-z0-9_]{0,31}\Z")


@dataclass(frozen=True)
class Message:
    """One kind of client message a mode takes: the ``schema`` its data is checked against, and
    the ``handler`` that applies it, ``handler(mode, state, player, data, ctx)`` (a method of the
    mode; under ``"*"``: ``handler(mode, state, player, action, data, ctx)``, named by the action)."""

    schema: Field
    handler: Callable

    @property
    def name(self) -> str:
        """The handler's name: what a failure names (``HookFailed.hook``)."""
        return getattr(self.handler, "__name__", "handler")


def _by_name(handler: Callable, cls: type) -> bool:
    """Whether ``handler`` is a method some base of ``cls`` holds under its own name (decorated, or an
    override of one): a class that defines a method of that name, at any depth or in a mixin, replaces it."""
    name = getattr(handler, "__name__", None)
    return name is not None and any(base.__dict__.get(name) is handler for base in cls.__mro__[1:])


def message(type: str, schema: Field) -> Callable:
    """Put the method it decorates in its mode's ``messages`` map as the handler of ``type``::

    @message("move", Obj(take=Int(1, 3)))
    def take(self, state, player, data, ctx): ...
    """

    def mark(handler: Callable) -> Callable:
        handler.__mode_message__ = (type, schema)
        return handler

    return mark


class Reject(Exception):
    """A frame the rules refuse: answered with an ``error`` frame of this ``code``; nothing changes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Player:
    """A seat in the game. Sides alternate ``left``, ``right`` by seat (the contract's two sides)."""

    id: int
    username: str
    seat: int
    side: str
    connected: bool = False
    ready: bool = False
    out: bool = False  # forfeited, or away past the grace: no longer playing
    score: int = 0
    left_before_start: bool = False  # out before the game started: not part of its result

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "username": self.username,
            "seat": self.seat,
            "side": self.side,
            "connected": self.connected,
            "ready": self.ready,
            "out": self.out,
            "score": self.score,
            "left_before_start": self.left_before_start,
        }


@dataclass(frozen=True)
class Result:
    """How a game ended. ``winner`` None with reason ``draw`` (or ``abandoned``); ``scores`` by player id;
    ``ranking``: player ids best first (optional; a shared place is a list of ids)."""

    winner: int | None
    reason: str
    scores: dict[int, int] = field(default_factory=dict)
    ranking: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "winner": self.winner,
            "reason": self.reason,
            "scores": {str(k): v for k, v in self.scores.items()},
            "ranking": self.ranking,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Result":
        return cls(
            winner=data["winner"],
            reason=data["reason"],
            scores={int(k): v for k, v in data.get("scores", {}).items()},
            ranking=data.get("ranking", []),
        )


REASONS = frozenset({"win", "draw", "forfeit", "abandoned"})
# A label (``Mode.label``): what the match list shows of a running game and filters on.
LABEL_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}\Z")  # a key is a query parameter's name: ``label.KEY``
MAX_LABEL_KEYS = 16
MAX_LABEL_TEXT = 64
MAX_TIMERS = 64  # a game's timers at once
RELAY_TYPES = frozenset({"player_move", "game_action", "game_event"})


def checked_label(label) -> dict:
    """``label`` if it is a label the match list takes, else ``ValueError`` saying why: a dict of
    at most 16 keys (1 to 32 lowercase letters, digits or _, starting with a letter), each value a
    string of at most 64 characters, a finite number or a boolean."""
    if not isinstance(label, dict):
        raise ValueError(f"a label is a dict, not {type(label).__name__}")
    if len(label) > MAX_LABEL_KEYS:
        raise ValueError(f"a label has at most {MAX_LABEL_KEYS} keys")
    for key, value in label.items():
        if not isinstance(key, str) or not LABEL_KEY.match(key):
            raise ValueError(f"label key {key!r}: 1 to 32 lowercase letters, digits or _, starting with a letter")
        if isinstance(value, str):
            if len(value) > MAX_LABEL_TEXT:
                raise ValueError(f"label {key!r}: a string of at most {MAX_LABEL_TEXT} characters")
        elif isinstance(value, bool):
            pass
        elif isinstance(value, int | float):
            if not math.isfinite(value):
                raise ValueError(f"label {key!r}: a finite number")
        else:
            raise ValueError(f"label {key!r}: a string, a number or a boolean, not {type(value).__name__}")
    return label


class SeededRandom(random.Random):
    """``ctx.random``: a ``random.Random`` (the same numbers from the same seed) that knows whether
    it was drawn from since ``drawn`` was last cleared. A room saves its generator's state (625
    numbers, most of a small room's snapshot) with every snapshot; with this it copies and encodes
    that state again only when the game drew since the last one.

    Every draw goes through ``random()`` or ``getrandbits()`` (``randint``, ``choice``, ``shuffle``,
    ``uniform``, ``randbytes``...), except ``gauss``, which also hands out a second number it kept."""

    drawn = True
    _draw = random.Random.random  # the generator's own methods, called without super()'s cost per draw
    _draw_bits = random.Random.getrandbits

    def seed(self, *args, **kwargs) -> None:
        self.drawn = True
        super().seed(*args, **kwargs)

    def setstate(self, state) -> None:
        self.drawn = True
        super().setstate(state)

    def random(self) -> float:
        self.drawn = True
        return self._draw()

    def getrandbits(self, k: int) -> int:
        self.drawn = True
        return self._draw_bits(k)

    def gauss(self, mu: float = 0.0, sigma: float = 1.0) -> float:
        self.drawn = True
        return super().gauss(mu, sigma)


class Context:
    """The room as a mode's hooks see it. Made by the platform (and by the test kit)."""

    def __init__(
        self,
        *,
        players: list[Player],
        seed: int,
        tick_rate: int,
        flags: dict | None = None,
        player_flags: dict[int, dict] | None = None,
    ) -> None:
        self.players = players
        self.flags = dict(flags or {})  # live operations' flags for the game, fixed when the room was made
        # and each player's own, by id (``ctx.flag(name, default, player=id)``)
        self.player_flags = {int(player): dict(values) for player, values in (player_flags or {}).items()}
        self.seed = seed
        self.random = SeededRandom(seed)
        self.tick = 0
        self.now = 0.0  # seconds of game time since the room was made (the room's clock)
        self.tick_rate = tick_rate
        self.turn: int | None = None  # whose turn it is (turn clocks follow it); None: nobody's
        self.result: Result | None = None
        self.outbox: list[tuple[tuple[int, ...] | None, dict]] = []  # (recipients or everyone, frame)
        self.timers: dict[str, tuple[float, object, bool]] = {}  # name -> (game time due, data, public)

    def flag(self, name: str, default=None, *, player: int | None = None):
        """The live operations flag ``name`` for this game, or ``default`` when there is no such flag.

        Without ``player``: the game's own value (a running live event's override, else the
        flag's rules read with the game's id as their only attribute: an experiment whose
        ``hashAttribute`` is ``game_id`` splits games, not players; else its default). With
        ``player=id``: that player's value as their own read of the flags gave it when the game
        started (their audience, their experiment's variation, the live events they joined); a
        player seated after the start reads the game's value. Both are fixed when the room is
        made, before ``setup``: a game's rules do not change under its players, a takeover
        included. A read is a dictionary look-up."""
        if player is not None:
            values = self.player_flags.get(player)
            if values is not None and name in values:
                return values[name]
        return self.flags.get(name, default)

    @property
    def dt(self) -> float:
        """Seconds between two ticks (0 for a turn-based mode)."""
        return 1.0 / self.tick_rate if self.tick_rate else 0.0

    def player(self, player_id: int) -> Player:
        for p in self.players:
            if p.id == player_id:
                return p
        raise KeyError(player_id)

    @property
    def playing(self) -> list[Player]:
        """The players still in the game, in seat order."""
        return [p for p in self.players if not p.out]

    def next_turn(self, after: int | None = None) -> int | None:
        """The id of the next player still playing after ``after`` (default: whose turn it is), by seat."""
        playing = self.playing
        if not playing:
            return None
        after = self.turn if after is None else after
        seats = [p.id for p in self.players]
        start = seats.index(after) + 1 if after in seats else 0
        for offset in range(len(seats)):
            candidate = self.players[(start + offset) % len(seats)]
            if not candidate.out:
                return candidate.id
        return None

    def finish(
        self,
        *,
        winner: int | None = None,
        reason: str | None = None,
        scores: dict[int, int] | None = None,
        ranking: list | None = None,
    ) -> None:
        """End the game: ``winner`` (None for a draw), ``scores`` by player id, ``ranking`` best first.

        The platform records the result once, rates the players and tells everyone (``game_over``).
        """
        if self.result is not None:
            return
        reason = reason or ("win" if winner is not None else "draw")
        if reason not in REASONS:
            raise ValueError(f"reason must be one of {sorted(REASONS)}")
        self.result = Result(winner=winner, reason=reason, scores=dict(scores or {}), ranking=list(ranking or []))

    def after(self, seconds: float, name: str, data=None, *, public: bool = False) -> None:
        """Call ``on_timer(state, name, data, ctx)`` ``seconds`` of game time from now (while the
        game is active). Setting a timer of the same ``name`` again replaces it. ``data`` is any
        JSON data. A ``public`` timer's seconds left are in every player's frames (``timers``):
        a round's clock a client can show. Timers are part of the game: saved with it, replayed
        with it, and they survive a takeover."""
        if not isinstance(name, str) or not 0 < len(name) <= 64:
            raise ValueError("a timer's name is a string of 1 to 64 characters")
        if not seconds >= 0 or seconds == float("inf"):
            raise ValueError("a timer's seconds are a finite number, 0 or more")
        if len(self.timers) >= MAX_TIMERS and name not in self.timers:
            raise ValueError(f"at most {MAX_TIMERS} timers at once")
        self.timers[name] = (self.now + seconds, data, bool(public))

    def cancel(self, name: str) -> None:
        """Forget the timer ``name`` (nothing happens if there is none)."""
        self.timers.pop(name, None)

    def time_left(self, name: str) -> float | None:
        """Seconds of game time until the timer ``name`` runs, or None if there is none."""
        timer = self.timers.get(name)
        return None if timer is None else max(0.0, timer[0] - self.now)

    def send(self, event: dict, *, to: Iterable[int] | None = None) -> None:
        """A one-off ``game_event {event}`` frame to ``to`` (player ids) or to every player.

        Not part of the state: a player who connects later does not get it. Put only what each
        recipient may see in it: ``view`` does not filter events.
        """
        self.outbox.append((None if to is None else tuple(to), {"type": "game_event", "event": event}))

    def relay(self, frame: dict, *, to: Iterable[int] | None = None) -> None:
        """A contract frame to pass on (``player_move {user_id, movement}``, ``game_action {...}``)."""
        if frame.get("type") not in RELAY_TYPES:
            raise ValueError(f"relay takes {sorted(RELAY_TYPES)}")
        self.outbox.append((None if to is None else tuple(to), frame))


class _DeprecatedVerb:
    """``Mode.move_schema``, ``Mode.action_schemas``, ``Mode.input_schema`` read on a mode that
    declares none of them (deprecated in 1.1, gone in 2.0): what its ``messages`` take, with a
    ``DeprecationWarning``. A mode that declares one, in its class or on itself, reads its own."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, mode, owner: type | None = None):
        warnings.warn(
            f"Mode.{self.name} is deprecated (it goes in 2.0): read Mode.messages", DeprecationWarning, stacklevel=2
        )
        messages = (owner or type(mode)).messages if mode is None else mode.messages
        if self.name == "action_schemas":
            return _action_fields(messages)
        declared = messages.get("move" if self.name == "move_schema" else "input")
        return None if declared is None else declared.schema


class Mode:
    """Subclass this; override what your game needs. See the module docstring for the rules of hooks."""

    # --- what the platform lists (GET /api/game/modes/) ----------------------------------
    name: str = ""
    title: str = ""
    description: str = ""
    min_players: int = 2
    max_players: int = 2
    tick_rate: int = 0  # 0: turn-based (the room acts on each frame); else ticks per second

    # --- what clients may send ---------------------------------------------------------
    # Message type -> ``Message(schema, handler)``: ``"move"`` (``player_move {movement}``),
    # ``"input"`` (``input {data}``), an action's name (``game_action {action, data}``), ``"*"``
    # (any other action). Filled from the class's own map, its ``@message`` methods and its bases'.
    messages: dict[str, Message] = {}
    input_rate: float = 30.0  # frames a second per player; extras get ``rate_limited`` and are dropped

    # --- clocks and resumption ---------------------------------------------------------
    turn_seconds: float | None = None  # a turn clock: seconds per turn (None: no clock)
    turn_timeout: str = "pass"  # what a timeout does: "pass" the turn, or "lose" (the player is out)
    resumable: bool = True  # False: a room whose process died ends ``abandoned``
    snapshot_ticks: int = 10  # real-time: snapshot every this many ticks (turn-based: every change)
    # Hooks that may raise in one game before it ends ``aborted`` (unrated). Each one that raises
    # changes nothing: the room goes on from the state before that step, the sender gets ``server_error``.
    max_errors: int = 5
    # A full ``game_state`` after every change besides the patch (the game socket's older clients
    # expect it: tic-tac-toe and relay); False: patches only, a full state on life-cycle changes.
    state_every_change: bool = False
    # Every player sees the same view (nothing hidden): ``view`` is called once per step, with
    # ``player`` None, instead of once per player.
    shared_view: bool = False

    # --- spectators ------------------------------------------------------------------------
    # Who may watch a game (``WS /ws/game/{id}/?watch=1``): "everyone" signed in, or "nobody" (the
    # default: a mode says it can be watched, and what a spectator sees, ``spectator_view``).
    spectators: str = "nobody"
    # Spectators see the game this many seconds after its players do (competitive play: no
    # watching a stream to scout the other side); 0: live.
    spectator_delay: float = 0.0

    # --- meta-game -----------------------------------------------------------------------
    # The leaderboard (its id) this mode's results feed, as the server (it may be
    # ``authoritative``): each player's ``Result.scores`` entry is written with the board's
    # operator; a result without scores gives the winner 1 (a win count on an ``incr`` board).
    leaderboard: str | None = None
    # The XP each player earns when a game of this mode ends with a result (not abandoned), by
    # outcome: ``{"win": 30, "draw": 15, "loss": 10}`` (a key left out: the setting ``GAME_XP``'s);
    # None: ``GAME_XP``. The server multiplies it by the player's ``xp_multiplier`` flag.
    xp: dict[str, int] | None = None

    # --- the match list (GET /api/game/rooms/) -------------------------------------------
    # Players may take a free seat while the game runs (``POST /api/game/rooms/{id}/join/``), as
    # long as the game has fewer than ``max_players`` seats (a seat stays taken when its player
    # leaves). The new player is seated away; their first connection calls ``on_join``, as
    # everyone's does: put them in the game there.
    join_in_progress: bool = False

    # --- hooks ---------------------------------------------------------------------------
    def setup(self, ctx: Context) -> dict:
        """The initial state, before the game starts (the players are known)."""
        return {}

    def on_start(self, state: dict, ctx: Context) -> None:
        """Every player is ready: the game is active. Set ``ctx.turn`` here for a turn-based game."""

    def on_join(self, state: dict, player: Player, ctx: Context) -> None:
        """A player's first connection: before the start, or (``join_in_progress``) at any time
        for a player who took a free seat while the game ran."""

    def on_leave(self, state: dict, player: Player, ctx: Context) -> None:
        """A player's socket went away; the seat is kept for the reconnect grace."""

    def on_reconnect(self, state: dict, player: Player, ctx: Context) -> None:
        """A player is back within the grace."""

    def on_out(self, state: dict, player: Player, ctx: Context) -> None:
        """A player left the game for good (forfeit, grace over, or ``turn_timeout = "lose"``).

        The default: with one player left, that player wins; the turn passes on.
        """
        playing = ctx.playing
        if len(playing) == 1:
            ctx.finish(winner=playing[0].id, reason="forfeit")
        elif ctx.turn == player.id:
            ctx.turn = ctx.next_turn()

    # Deprecated (1.1, gone in 2.0): the three verbs before ``messages``, called for a mode that
    # declares ``move_schema``, ``action_schemas`` or ``input_schema`` (``_verb_messages``): in its
    # class, or set on the mode itself (``__setattr__``). Read on a mode that declares none of them,
    # each is what its ``messages`` map takes, with a ``DeprecationWarning``.
    move_schema = _DeprecatedVerb()  # ``player_move {movement}``; None: the mode takes no moves
    action_schemas = _DeprecatedVerb()  # each ``game_action``'s data by name; "*": any other name
    input_schema = _DeprecatedVerb()  # ``input {data}`` (real-time modes)

    def on_move(self, state: dict, player: Player, movement: dict, ctx: Context) -> None:
        """``player_move {movement}`` (already checked against ``move_schema``). Deprecated."""
        raise Reject("not_supported", "This game takes no moves.")

    def on_action(self, state: dict, player: Player, action: str, data: dict, ctx: Context) -> None:
        """``game_action {action, data}`` (``data`` checked against ``action_schemas[action]``). Deprecated."""
        raise Reject("not_supported", "This game takes no such action.")

    def on_input(self, state: dict, player: Player, data: dict, ctx: Context) -> None:
        """``input {data}`` (checked against ``input_schema``). Deprecated."""
        raise Reject("not_supported", "This game takes no inputs.")

    def __setattr__(self, name: str, value) -> None:
        super().__setattr__(name, value)
        if name in LEGACY_VERBS:  # a verb set on the mode, as in its __init__: read as before
            _warn_verbs(type(self).__name__, [name])
            verbs = {verb: self.__dict__[verb] for verb in LEGACY_VERBS if verb in self.__dict__}
            messages = {**type(self).messages, **_verb_messages(verbs, type(self).messages)}
            super().__setattr__("messages", {t: m for t, m in messages.items() if m.schema is not None})

    def on_tick(self, state: dict, ctx: Context) -> None:
        """One step of a real-time game: ``ctx.dt`` seconds passed."""

    def on_timer(self, state: dict, name: str, data, ctx: Context) -> None:
        """The timer ``name`` set with ``ctx.after(seconds, name, data)`` ran out."""

    def on_turn_timeout(self, state: dict, player: Player, ctx: Context) -> None:
        """``player`` ran out of time (``turn_seconds``). The default follows ``turn_timeout``."""
        if self.turn_timeout == "pass":
            ctx.turn = ctx.next_turn()

    def on_end(self, state: dict, result: Result, ctx: Context) -> None:
        """The game is over (a result, a forfeit, the grace, or abandoned): the last change before
        the final ``game_state`` (e.g. reveal what was hidden, in the state ``view`` reads)."""

    def view(self, state: dict, player: Player) -> dict:
        """Everything ``player`` may see of the game, as JSON data. The default: the whole state."""
        return state

    def label(self, state: dict) -> dict:
        """What the match list shows of a running game, and what it filters on
        (``?label.KEY=VALUE``): a small dict of short strings, numbers and booleans
        (``checked_label``). Anyone may read it: put nothing hidden in it. Read at most once a
        second per game, never inside a step: it changes nothing. The default: ``{}``."""
        return {}

    def spectator_view(self, state: dict) -> dict:
        """What a spectator sees, as JSON data: nothing any player keeps from another. The
        default is ``view(state, None)``, the view of a mode whose players all see the same."""
        return self.view(state, None)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        messages: dict[str, Message] = {}
        for base in reversed(cls.__mro__[1:]):
            messages.update(base.__dict__.get("messages", {}))
        for type_, declared in messages.items():  # a handler overridden by name handles its message still
            if _by_name(declared.handler, cls):
                override = getattr(cls, declared.name, None)  # the class's own, a mixin's or a base's
                if callable(override) and override is not declared.handler:
                    messages[type_] = Message(declared.schema, override)
        declared_verbs = {verb: cls.__dict__[verb] for verb in LEGACY_VERBS if verb in cls.__dict__}
        if declared_verbs:
            _warn_verbs(cls.__name__, declared_verbs)
            messages.update(_verb_messages(declared_verbs, messages))
        messages.update(cls.__dict__.get("messages", {}))
        for handler in cls.__dict__.values():
            if hasattr(handler, "__mode_message__"):
                type_, schema = handler.__mode_message__
                messages[type_] = Message(schema, handler)
        for type_, declared in messages.items():
            if not isinstance(declared, Message):
                raise TypeError(f"{cls.__name__}: messages[{type_!r}] is a Message(schema, handler)")
            # An old action_schemas' name no client can send is listed and never called, as it was.
            legacy = getattr(declared.handler, "legacy_verb", False)
            if type_ != "*" and not legacy and not (isinstance(type_, str) and MESSAGE_TYPE.match(type_)):
                raise TypeError(f"{cls.__name__}: message type {type_!r}: 1 to 32 lowercase letters, digits or _")
        cls.messages = {type_: declared for type_, declared in messages.items() if declared.schema is not None}

    @classmethod
    def describe(cls) -> dict:
        """What ``GET /api/game/modes/`` lists."""
        return {
            "name": cls.name,
            "title": cls.title or cls.name,
            "description": cls.description,
            "min_players": cls.min_players,
            "max_players": cls.max_players,
            "tick_rate": cls.tick_rate,
            "turn_seconds": cls.turn_seconds,
            "messages": cls.message_schemas(),
            "input_rate": cls.input_rate,
            "join_in_progress": cls.join_in_progress,
            "spectators": cls.spectators,
            "spectator_delay": cls.spectator_delay,
        }

    @classmethod
    def message_schemas(cls) -> dict:
        """The client frames this mode takes, as JSON Schema: ``player_move``'s ``movement``,
        each ``game_action``'s ``data`` by action name (``"*"``: any other name) and ``input``'s
        ``data``; None (or no action) where the mode takes no such frame. A client can build its
        controls from them (the web client's panel for modes it has no page of its own for)."""

        def schema(declared: Message | None) -> dict | None:
            return None if declared is None else declared.schema.json_schema()

        messages = cls.messages
        return {
            "player_move": schema(messages.get("move")),
            "game_action": {name: _json(field) for name, field in _action_fields(messages).items()},
            "input": schema(messages.get("input")),
        }


LEGACY_VERBS = ("move_schema", "action_schemas", "input_schema")


def _warn_verbs(mode: str, verbs: Iterable[str]) -> None:
    """The ``DeprecationWarning`` of a mode declaring the old verbs, pointing at the mode's code:
    the class statement, or the line that set one on the mode."""
    warnings.warn(
        f"{mode}: {', '.join(verbs)} (with on_move, on_action, on_input) is deprecated: "
        "declare a messages map (gameplatform.modes.Message, or @message)",
        DeprecationWarning,
        stacklevel=3,
    )


def _verb_messages(verbs: dict, inherited: dict[str, Message]) -> dict[str, Message]:
    """The ``messages`` of the verbs before them (``verbs``: ``move_schema`` with ``on_move``,
    ``action_schemas`` with ``on_action``, ``input_schema`` with ``on_input``, as a mode's class
    or the mode itself declares them) over the map ``inherited``: deprecated in 1.1, they play as
    before until 2.0. A verb set to None (or ``{}``) takes away what was declared before, as it
    did (a ``Message`` of no schema is dropped). ``action_schemas`` replaces every action before
    it. An action it names ``move`` or ``input`` (those names are the other frames' in the map) is
    handled by the map's ``"*"``, which checks its data by its name; a name no client can send is
    listed and never called, as before."""
    messages: dict[str, Message] = {}
    if "move_schema" in verbs:
        messages["move"] = Message(verbs["move_schema"], _call_on_move)
    if "input_schema" in verbs:
        messages["input"] = Message(verbs["input_schema"], _call_on_input)
    if "action_schemas" in verbs:
        for name in inherited:  # the actions declared before are replaced, as an attribute is
            if name not in FRAME_MESSAGES:
                messages[name] = Message(None, _call_on_action)
        actions = dict(verbs["action_schemas"] or {})
        for name, schema in actions.items():
            if name not in FRAME_MESSAGES:
                messages[name] = Message(schema, _call_on_action if name == "*" else _named_action(name))
        framed = {name: schema for name, schema in actions.items() if name in FRAME_MESSAGES}
        if framed:  # "*" stands for them too
            messages["*"] = Message(_ANY_DATA, _ActionsByName(framed, actions.get("*")))
    return messages


class _AnyData(Field):
    """What the ``"*"`` of an old ``action_schemas`` naming ``move`` or ``input`` takes: any data,
    which its handler checks by the action's name (``_ActionsByName``)."""

    def check(self, value, path, errors):
        return value

    def json_schema(self) -> dict:
        return {}


_ANY_DATA = _AnyData()


class _ActionsByName:
    """The ``"*"`` handler of a mode whose old ``action_schemas`` name an action ``move`` or
    ``input``: a ``game_action`` of such a name (or any other, under its ``"*"``) is checked against
    its schema and handed to ``on_action``, as before the map; one the mode does not name is
    refused ``unknown_action``."""

    legacy_verb = True
    __name__ = "on_action"

    def __init__(self, framed: dict[str, Field], other: Field | None) -> None:
        self.framed, self.other = framed, other

    def __call__(self, mode, state, player, action, data, ctx) -> None:
        schema = self.framed.get(action, self.other) if action in FRAME_MESSAGES else self.other
        if schema is None:
            raise Reject("unknown_action", f"This game has no action {action[:32]!r}.")
        mode.on_action(state, player, action, check(schema, data, "data"), ctx)

    def listed(self) -> dict:
        """The actions it stands for, as ``action_schemas`` named them."""
        return {**self.framed, **({"*": self.other} if self.other is not None else {})}


def _action_fields(messages: dict[str, Message]) -> dict:
    """Each ``game_action``'s schema by name (``"*"``: any other), as ``messages`` takes them."""
    fields = {}
    for name, declared in messages.items():
        if isinstance(declared.handler, _ActionsByName):
            fields.update(declared.handler.listed())
        elif name not in FRAME_MESSAGES:
            fields[name] = declared.schema
    return fields


def _json(field: Field | None) -> dict | None:
    return None if field is None else field.json_schema()


def _call_on_move(mode, state, player, data, ctx):
    mode.on_move(state, player, data, ctx)


def _call_on_input(mode, state, player, data, ctx):
    mode.on_input(state, player, data, ctx)


def _call_on_action(mode, state, player, action, data, ctx):
    mode.on_action(state, player, action, data, ctx)


def _named_action(action: str) -> Callable:
    def on_action(mode, state, player, data, ctx):
        mode.on_action(state, player, action, data, ctx)

    on_action.legacy_verb = True
    return on_action


for _caller, _verb in ((_call_on_move, "on_move"), (_call_on_input, "on_input"), (_call_on_action, "on_action")):
    _caller.__name__ = _verb
    _caller.legacy_verb = True
