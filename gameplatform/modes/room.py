"""One running game: a mode, its state and its players, with no I/O at all.

``Room`` is what the server runs for every game and what the test kit drives in unit tests:
the same code in both places. It owns the life cycle of the contract (``waiting_for_players``
→ ``waiting_for_ready`` → ``active`` → ``finished`` or ``abandoned``), checks every client
frame against the mode's schema before the mode sees it, runs the ticks of a real-time mode
and the turn clock, applies the reconnect grace, and turns each step into frames:

- ``game_state``: the whole game with this player's ``view``; on connect and on every change
  of the game's life cycle (and, for turn-based modes, after every change, as the game
  section of the contract says);
- ``state_patch {tick, ops}``: per player, the JSON Patch from the view they were last sent
  to the one they may see now; at most one per step (a tick, or a frame of a turn-based game);
- the contract's one-off frames (``player_ready``, ``game_start``, ``player_move``...).

Each step returns nothing; ``drain()`` hands over the frames made since the last call, as
``(player_id, frame)`` pairs (``player_id`` None: every connected player). ``snapshot()`` is a
JSON-serialisable copy of everything the room needs to go on in another process
(``Room.restore``); the last views are not in it: after a takeover every player gets a fresh
``game_state``.

Every step (a client's frame, a connect, the clock's ``advance``) that changed the room is kept as
``(steps, now, op, args, version)``: what the room's owner journals, and what a room rebuilt from a
snapshot replays (modes are deterministic from their seed and inputs). A step of a client's frame
may name the frame, ``(forwarded id, ref)``, as a sixth item: the room remembers the frames it
took in the last ``TAKEN_SECONDS`` (``took``), in its snapshot and through a replay, so a frame
sent again is answered, not applied again. A hook that raises leaves
the room exactly as it was before the step: it is rebuilt from its last snapshot and the steps
after it, frames included; the failure is answered with ``HookFailed`` and counted, and after the
mode's ``max_errors`` in one game the game ends ``aborted`` (unrated). A frame the rules refuse
(``Reject`` from a hook, which the mode API asks to raise before changing anything) is kept as a
step all the same, so that a replay does what the room did.
"""

import functools
import hashlib
import json
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass

from gameplatform.modes.api import (
    FRAME_MESSAGES,
    MAX_TIMERS,
    MESSAGE_TYPE,
    Context,
    Mode,
    Player,
    Reject,
    Result,
    SeededRandom,
)
from gameplatform.modes.patch import patch_to
from gameplatform.modes.schema import Invalid, check

logger = logging.getLogger(__name__)

WAITING_FOR_PLAYERS = "waiting_for_players"
WAITING_FOR_READY = "waiting_for_ready"
ACTIVE = "active"
# The recipient id of the frames for the game's spectators (``Room.watched``): their ``game_state``
# and patches of ``Mode.spectator_view``. Frames for everyone (id 0) reach them too.
SPECTATORS = -1
FINISHED = "finished"
ABANDONED = "abandoned"
ABORTED = "aborted"  # the reason of a game whose mode kept failing (its phase is ``abandoned``)
OVER = frozenset({FINISHED, ABANDONED})
# What a step does after the clock (``Room.step``): the players' frames and the clock alone.
OPS = frozenset({"advance", "connect", "disconnect", "ready", "forfeit", "move", "action", "input", "join", "abandon"})
# Of those, the steps only the platform takes, never a player's frame (``RoomHost.command``: staff end a game).
PLATFORM_OPS = frozenset({"abandon"})
REBASE_STEPS = 64  # steps a room keeps after its last snapshot before it takes a new one itself
# The frames a room remembers having taken (``Room.took``): a frame sent again (by a socket's
# process while the room moved, within seconds, or by a client after a reconnect, within its
# request's timeout) is not applied twice. Those of the last TAKEN_SECONDS of game time, at most
# TAKEN_KEPT (a room taking thousands of remote inputs a minute keeps its newest).
TAKEN_SECONDS = 30.0
TAKEN_KEPT = 1024
REF_KEPT_CHARS = 64  # a longer ref is remembered by its digest
SNAPSHOT_VERSION = 1


class HookFailed(Exception):
    """A mode's hook (``view`` included) raised during a step: the room is as it was before it.

    ``hook`` names the hook, ``error`` is what it raised. The room counts it (``Room.errors``)
    and, at the mode's ``max_errors``, has ended the game ``aborted`` before this is raised."""

    def __init__(self, hook: str, error: BaseException) -> None:
        super().__init__(f"{hook} raised {error!r}")
        self.hook = hook
        self.error = error


def _step(method):
    """A step of the room: all of it, or (a hook raised) none of it."""

    @functools.wraps(method)
    def step(self, *args):
        if self._base is None:  # the room as it was made: what its first failed step is undone from
            self.encode_snapshot()
        saved = (
            len(self._frames),
            self._sent.copy(),
            self._texts.copy(),
            self._patches.copy(),
            self._dirty,
            self.version,
        )
        self._hook = "platform"
        try:
            method(self, *args)
            self._sync()  # the views too: a ``view`` that raises fails the step that changed them
        except (Reject, Invalid):
            raise
        except Exception as exc:
            self._rebuild(saved)
            raise self._failed(exc) from exc

    return step


ACTION_NAME = MESSAGE_TYPE  # a ``game_action``'s name
FRAME_TYPES = {"move": "player_move", "action": "game_action", "input": "input"}  # client steps: their frames


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


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encode_json(value) -> str:
    """A frame (or a view) as compact JSON text, by the standard library (``Room.encode``)."""
    return _ENCODER.encode(value)


def _encode_state(value) -> str:
    """A snapshot as JSON (the standard library's encoder: a state read back is the state written,
    NaN included)."""
    return _ENCODER.encode(value)


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
    joined = {entry[3][0]["id"] for entry in steps if entry[2] == "join"}
    return [p for p in players if p.id not in joined]


class Room:
    # How the room writes a frame as JSON text: the standard library's encoder here (the mode API
    # and its test kit need nothing else); the server's rooms write with orjson (gameplatform.rooms.room).
    encode = staticmethod(encode_json)

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
    ) -> None:
        self.mode = mode
        self.game_id = game_id
        self.lobby_id = lobby_id
        self.grace = grace or Grace()
        self.ctx = Context(players=players, seed=seed, tick_rate=mode.tick_rate, flags=flags)
        self.ctx.now = now
        self.phase = WAITING_FOR_PLAYERS
        self.version = 0
        self.turn_deadline: float | None = None
        self.away_since: dict[int, float] = {p.id: now for p in players}  # nobody has connected yet
        self.seen: set[int] = set()  # players who connected at least once
        self.recorded_start = False  # the runtime's mark: the start is in the database
        self.state = mode.setup(self.ctx)
        # player id -> (their view as JSON data, (turn, deadline, timers)) as last sent. A view kept
        # here is never changed in place: a tick's view is a new one sharing its unchanged parts.
        self._sent: dict[int, tuple] = {}
        self._state_view: tuple[str, object] = ("", None)  # the last game_state's view, as text and data
        self._frames: list[tuple[int | None, dict]] = []
        self._dirty = False  # the view may have changed since the last sync
        self._random_text: tuple[random.Random, str] | None = None  # the generator, its state as last encoded
        self._texts: dict[int, str] = {}  # id(frame) -> its JSON, for frames made with their text
        # id(frame) -> the same state patch as JSON Patch ops, for one sent as the whole view
        self._patches: dict[int, str] = {}
        self.errors = 0  # hooks that raised in this game
        self.steps = 0  # steps that changed the room (a journal entry each)
        # What a failed step is undone from: the last snapshot's text and the steps after it.
        self._base: str | None = None
        self._since: list[tuple] = []
        self._new_steps: list[tuple] = []  # steps not yet taken by the owner's journal (``take_steps``)
        self.journalled = False  # an owner takes the steps (``take_steps``): keep them for it
        self._hook = "platform"  # the mode's hook running now (what a failure names)
        self.watched = False  # someone watches: every change makes the spectators' frames too (``watch``)
        self.replayed_steps: list = []  # the steps a takeover ran again (``replay``)
        self.taken: dict[str, float] = {}  # the frames it took, oldest first, and when (``took``)

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
        self._hook = "view"
        live = self._spectator_view() if player_id == SPECTATORS else self._view_of(player_id)
        text = self.encode(live)
        if text == self._state_view[0]:  # players who see the same view share it: their patches too
            view = self._state_view[1]
        else:
            view = json.loads(text)
            self._state_view = (text, view)
        self._sent[player_id] = (view, self._clock())
        result = self.ctx.result if self.over else None
        return {
            "type": "game_state",
            "id": self.game_id,
            "mode": self.mode.name,
            "state": self.phase,
            "players": [self._player_payload(p) for p in self.players],
            "board": view.get("board") if isinstance(view, dict) else None,
            "turn": self.ctx.turn if self.phase == ACTIVE else None,
            "turn_deadline": self._deadline_left(),
            **({"timers": timers} if (timers := self._timers_left()) else {}),
            "winner_id": result.winner if result else None,
            "reason": result.reason if result else None,
            "lobby_id": self.lobby_id,
            "version": self.version,
            "tick": self.ctx.tick,
            "view": view,
        }

    def _view_of(self, player_id: int):
        return self.mode.view(self.state, self.player(player_id))

    def _spectator_view(self, shared=None):
        """The spectators' view (the shared view itself when the mode's spectators see it)."""
        if shared is not None and type(self.mode).spectator_view is Mode.spectator_view:
            return shared
        self._hook = "spectator_view"
        view = self.mode.spectator_view(self.state)
        self._hook = "view"
        return view

    def watch(self, watched: bool) -> dict | None:
        """Someone watches the game now (``watched``), or nobody any more. Returns the spectators'
        fresh ``game_state`` (their patches start from it), made after the frames pending now."""
        self.watched = watched
        if not watched:
            self._sent.pop(SPECTATORS, None)
            return None
        return self.game_state(SPECTATORS)

    def _clock(self) -> tuple:
        """Whose turn and until when, and the public timers (game time): a change is sent in a patch."""
        if self.phase != ACTIVE:
            return (None, None, ())
        public = tuple(sorted((name, at) for name, (at, _, shown) in self.ctx.timers.items() if shown))
        return (self.ctx.turn, self.turn_deadline, public)

    def _timers_left(self) -> dict[str, float]:
        """The public timers' seconds left (what the frames carry)."""
        return {name: round(max(0.0, at - self.ctx.now), 3) for name, at in self._clock()[2]}

    def _deadline_left(self) -> float | None:
        if self.turn_deadline is None or self.phase != ACTIVE:
            return None
        return round(max(0.0, self.turn_deadline - self.ctx.now), 3)

    @staticmethod
    def _player_payload(p: Player) -> dict:
        return {
            "id": p.id,
            "username": p.username,
            "score": p.score,
            "side": p.side,
            "ready": p.ready,
            "connected": p.connected,
            "forfeited": p.out,
        }

    def drain(self) -> list[tuple[int | None, dict]]:
        """The frames made since the last call, state patches last."""
        self._sync()
        frames, self._frames = self._frames, []
        self._texts.clear()
        self._patches.clear()
        return frames

    def drain_encoded(self) -> list[tuple]:
        """``drain()`` as JSON texts: ``(player id, or 0 for everyone, text)``. A frame several
        players share (a shared view's patch) is encoded once; a patch's text is the one made
        while checking its size. A state patch sent as the whole view, whose JSON Patch is under
        twice its length, comes with that patch's text as a third item: the compact
        subprotocol's sockets send it instead (``gameplatform.binary``)."""
        self._sync()
        frames, self._frames = self._frames, []
        texts, self._texts = self._texts, {}
        patches, self._patches = self._patches, {}
        out = []
        for to, frame in frames:
            text = texts.get(id(frame))
            if text is None:
                text = texts[id(frame)] = self.encode(frame)
            patch = patches.get(id(frame)) if patches else None
            out.append((0 if to is None else to, text) if patch is None else (0 if to is None else to, text, patch))
        return out

    # --- steps ------------------------------------------------------------------------------

    def step(self, now: float, op: str, *args, frame: tuple | None = None) -> bool:
        """One step at game time ``now``: the clock runs to ``now`` (the ticks, turn clock and
        grace that are due), then ``op`` (one of ``OPS``; ``"advance"``: the clock alone) with its
        ``args``. Whole or nothing: refused (``Reject``, ``Invalid``) or failed (``HookFailed``), it
        changed nothing. True when it changed the room: a step to journal, as ``(steps, now, op,
        args)``, which ``replay`` applies again to the same effect (modes are deterministic).
        ``frame``: the client frame's ``(forwarded id, ref)``, either None: once the step changed
        the room, ``took`` knows it."""
        if op not in OPS:
            raise ValueError(f"no such step: {op!r}")
        wake = self.next_wakeup()
        due = wake is not None and now >= wake - 1e-9
        if not due and not (self.phase == ACTIVE and self.mode.tick_rate):
            self.ctx.now = max(self.ctx.now, now)  # nothing is due: only a turn-based room's clock moves
        if op == "advance" and not due:
            return False
        try:
            self._apply(now, op, args, due)
        except Reject:
            if self._hook != "platform":  # refused by the mode, which may have changed something first
                self._took(now, op, args, frame)
            raise
        self._took(now, op, args, frame)
        return True

    def _took(self, now: float, op: str, args: tuple, frame: tuple | None = None) -> None:
        self.steps += 1
        entry = (self.steps, now, op, list(args), self.version)
        if frame is not None and frame != (None, None):
            forwarded, ref = frame
            entry += ([forwarded, ref],)
            taken, now = self.taken, self.ctx.now
            for key in (forwarded_key(forwarded), ref_key(args[0] if args else None, ref)):
                if key is not None:
                    taken.pop(key, None)
                    taken[key] = now
            while taken and (len(taken) > TAKEN_KEPT or next(iter(taken.values())) < now - TAKEN_SECONDS):
                del taken[next(iter(taken))]
        self._since.append(entry)
        if self.journalled:
            self._new_steps.append(entry)
        if len(self._since) >= REBASE_STEPS:  # a failure never replays more than this
            self.encode_snapshot()

    def took(self, key: str | None) -> bool:
        """Whether the room took the frame of ``key`` (``forwarded_key``, ``ref_key``) lately."""
        return key is not None and key in self.taken

    def take_steps(self) -> list[tuple]:
        """The steps taken since the last call (once ``journalled`` is set): the owner's journal
        entries for this room."""
        steps, self._new_steps = self._new_steps, []
        return steps

    @_step
    def _apply(self, now: float, op: str, args: tuple, due: bool) -> None:
        if due:
            self._run_clock(now)
        if op in FRAME_TYPES:
            self._message(op, *args)
        elif op != "advance":
            getattr(self, f"_{op}")(*args)

    def replay(self, entries, each=None) -> int:
        """Apply journalled steps ``(steps, now, op, args)`` newer than this room's, in order, and
        drop their frames (every player gets a fresh ``game_state`` after a takeover). Stops at a
        gap or at a step that does not go as it went (a mode that is not deterministic). Returns
        how many it applied."""
        applied = 0
        self.replayed_steps = []  # what the takeover ran again: the game's log goes on from them
        for steps, now, op, args, version, *named in entries:
            if steps <= self.steps:
                continue
            if steps != self.steps + 1:
                break
            try:
                changed = self.step(now, op, *args, frame=tuple(named[0]) if named else None)
            except Reject:  # refused by the mode then too (a refusal that changed something is kept)
                changed = self.steps == steps
            except (Invalid, HookFailed):
                break
            if not changed:
                break
            self.version = version  # the patches the players were sent counted too
            applied += 1
            self.replayed_steps.append([steps, now, op, args, version])  # the game's log names no frame
            if each is not None:  # a replay's reader: the game after each step
                each(op, now, args)
        self._new_steps.clear()
        self.drain()
        return applied

    def advance(self, now: float) -> None:
        """Game time is ``now``: run the ticks that are due, the turn clock and the grace."""
        self.step(now, "advance")

    def connect(self, player_id: int) -> None:
        """A socket of ``player_id`` holds the seat now (a fresh ``game_state`` goes to them)."""
        self.step(self.ctx.now, "connect", player_id)

    def disconnect(self, player_id: int) -> None:
        """The socket holding the seat went away: the grace starts."""
        self.step(self.ctx.now, "disconnect", player_id)

    def ready(self, player_id: int) -> None:
        self.step(self.ctx.now, "ready", player_id)

    def forfeit(self, player_id: int) -> None:
        self.step(self.ctx.now, "forfeit", player_id)

    def move(self, player_id: int, movement) -> None:
        self.step(self.ctx.now, "move", player_id, movement)

    def action(self, player_id: int, action: str, data) -> None:
        self.step(self.ctx.now, "action", player_id, action, data)

    def input(self, player_id: int, data) -> None:
        self.step(self.ctx.now, "input", player_id, data)

    def join(self, player: Player) -> None:
        """``player`` took a free seat of a game whose mode takes players in progress: seated
        away, like a player who has not connected yet (the first-connect grace runs). Refused
        with ``game_over``, ``not_joinable``, ``game_full`` or ``already_seated``."""
        seat = {"id": player.id, "username": player.username, "seat": player.seat, "side": player.side}
        self.step(self.ctx.now, "join", seat)

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
        self._frames.append((player_id, self.game_state(player_id)))

    def _join(self, seat: dict) -> None:
        if self.over:
            raise Reject("game_over", "The game is over.")
        if not self.mode.join_in_progress:
            raise Reject("not_joinable", "This game takes no players once it is made.")
        if any(p.id == seat["id"] for p in self.players):
            raise Reject("already_seated", "This player has a seat in this game.")
        if len(self.players) >= self.mode.max_players:
            raise Reject("game_full", "This game has no free seat.")
        player = Player(id=seat["id"], username=seat["username"], seat=seat["seat"], side=seat["side"])
        self.ctx.players.append(player)
        self.away_since[player.id] = self.ctx.now
        self._changed(full=True)  # the others' game_state lists the new player

    def _disconnect(self, player_id: int) -> None:
        """The socket holding the seat went away: the grace starts."""
        player = self.player(player_id)
        self._sent.pop(player_id, None)
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
            self._arm_turn_clock(None)

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

    def _message(self, op: str, player_id: int, *args) -> None:
        """A client's message (the ``move``, ``action`` and ``input`` steps), dispatched once through
        the mode's ``messages``: checked against its schema, then handed to its handler."""
        action = None
        if op == "action":
            action, data = args
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
            (data,) = args
            declared = self.mode.messages.get(op)
            if declared is None:
                raise Reject("unknown_type", f"This game takes no {FRAME_TYPES[op]} frames.")
            field = "movement" if op == "move" else "data"
            data = check(declared.schema, _required(data, field), field)
        player = self._acting(player_id)
        payload = (player, data) if action is None else (player, action, data)
        self._run(declared.name, declared.handler, self.mode, self.state, *payload, self.ctx)
        if op != "input" or not self.mode.tick_rate:  # real-time: an input shows in the next tick's patch
            self._after_frame()

    def _after_frame(self) -> None:
        """A frame was applied: patches for the views it changed (and, for modes that ask, a full state)."""
        if self.over:  # a game that just ended has sent its last game_state already
            return
        self._dirty = True
        if self._sync() and self.mode.state_every_change:
            for p in self.players:
                if p.connected:
                    self._frames.append((p.id, self.game_state(p.id)))

    def _acting(self, player_id: int) -> Player:
        player = self._playing(player_id)
        if self.phase != ACTIVE:
            raise Reject("game_not_active", "The game has not started.")
        return player

    # --- time --------------------------------------------------------------------------

    def _run_clock(self, now: float) -> None:
        """Game time is ``now``: run the ticks that are due, the turn clock and the grace."""
        if self.over:
            return
        if self.phase == ACTIVE and self.mode.tick_rate:
            dt = 1.0 / self.mode.tick_rate
            # One step per due tick, but never a burst: a late room skips ahead (counted by the runtime).
            due = int((now - self.ctx.now) / dt + 1e-9)
            for _ in range(min(due, 3)):
                self.ctx.tick += 1
                self.ctx.now += dt
                self._call(self.mode.on_tick)
                self._dirty = True
                if self.over:
                    return
                self._run_timers()
            if due > 3:
                self.ctx.now = now
        else:
            self.ctx.now = max(self.ctx.now, now)
        self._run_timers()
        self._turn_clock()
        self._expire_absent()

    def _run_timers(self) -> None:
        """The mode's timers that are due, earliest first (a name breaks a tie), while the game is active."""
        for _ in range(MAX_TIMERS):  # a timer may set another one that is due at once: never for ever
            if self.phase != ACTIVE or self.over:
                return
            due = [(at, name) for name, (at, _, _) in self.ctx.timers.items() if at <= self.ctx.now + 1e-9]
            if not due:
                return
            _, name = min(due)
            _, data, _ = self.ctx.timers.pop(name)
            self._call(self.mode.on_timer, name, data)
            if self.mode.tick_rate:
                self._dirty = True
            else:
                self._after_frame()

    def next_wakeup(self) -> float | None:
        """When this room next needs ``advance`` (game time), or None while nothing is due."""
        if self.over:
            return None
        times = []
        if self.phase == ACTIVE and self.mode.tick_rate:
            times.append(self.ctx.now + 1.0 / self.mode.tick_rate)
        if self.turn_deadline is not None and self.phase == ACTIVE:
            times.append(self.turn_deadline)
        if self.ctx.timers and self.phase == ACTIVE and not self.mode.tick_rate:  # a real-time room's run at ticks
            times.append(min(at for at, _, _ in self.ctx.timers.values()))
        for player_id, since in self.away_since.items():
            if not self.player(player_id).out:
                times.append(since + self._grace_for(player_id))
        return min(times) if times else None

    def _grace_for(self, player_id: int) -> float:
        return self.grace.reconnect if player_id in self.seen else self.grace.first

    def _turn_clock(self) -> None:
        if self.turn_deadline is None or self.phase != ACTIVE or self.ctx.now < self.turn_deadline:
            return
        turn = self.ctx.turn
        if turn is None:
            self.turn_deadline = None
            return
        player = self.ctx.player(turn)
        self._emit({"type": "turn_timeout", "user_id": turn})
        if self.mode.turn_timeout == "lose":
            self._eliminate([player])
        else:
            self._call(self.mode.on_turn_timeout, player)
            self._after_frame()
        if self.ctx.turn == turn and not self.over:
            self._arm_turn_clock(None)  # the same player again: a fresh clock

    def _arm_turn_clock(self, before: int | None) -> None:
        if self.mode.turn_seconds is None or self.phase != ACTIVE:
            return
        if self.ctx.turn is None:
            self.turn_deadline = None
        elif self.ctx.turn != before or self.turn_deadline is None:
            self.turn_deadline = self.ctx.now + self.mode.turn_seconds

    def _expire_absent(self) -> None:
        gone = [
            self.ctx.player(pid)
            for pid, since in self.away_since.items()
            if self.ctx.now >= since + self._grace_for(pid) and not self.ctx.player(pid).out
        ]
        if not gone or self.over:
            return
        if len(gone) == len(self.ctx.playing):
            for player in gone:
                player.out = True
            self._end(Result(winner=None, reason="abandoned"))
            return
        self._eliminate(gone)

    @_step
    def abandon(self) -> None:
        """End the game ``abandoned`` (a mode that cannot resume after its process died), as no
        step: the host records the end at once and nothing replays it."""
        self._abandon()

    def _abandon(self) -> None:
        """The ``abandon`` step (``step(now, "abandon")``, journalled and replayed like any step):
        the game ends ``abandoned`` (staff ended it, ``RoomHost.command``); nothing when it is over."""
        if not self.over:
            self._end(Result(winner=None, reason="abandoned"))

    # --- the mode's hooks and what they leave ------------------------------------------

    def _call(self, hook, *args) -> None:
        self._run(hook.__name__, hook, self.state, *args, self.ctx)

    def _run(self, name: str, hook, *args) -> None:
        """Call a hook of the mode (``name``): then its events go out, its turn and its result count."""
        turn = self.ctx.turn
        self._hook = name
        hook(*args)
        for to, frame in self.ctx.outbox:
            if to is None:
                self._emit(frame)
            else:
                for player_id in to:
                    self._frames.append((player_id, frame))
        self.ctx.outbox.clear()
        if self.ctx.turn != turn:
            self._arm_turn_clock(turn)
        if self.ctx.result is not None and not self.over:
            self._end(self.ctx.result)

    # --- a step that fails -------------------------------------------------------------

    def _rebuild(self, saved: tuple) -> None:
        """Undo a step that raised: the room is rebuilt from its last snapshot and the steps taken
        after it, and keeps what the players were sent before the step."""
        frames, sent, texts, patches, dirty, version = saved
        rebuilt = type(self).restore(
            self.mode, json.loads(self._base), grace=self.grace, journal=self._since, seated=True
        )
        if rebuilt.steps != self.steps:
            logger.error("a room could not be rebuilt to its last step", extra={"game_id": self.game_id})
        self.state, self.ctx, self.phase, self.turn_deadline = (
            rebuilt.state,
            rebuilt.ctx,
            rebuilt.phase,
            rebuilt.turn_deadline,
        )
        self.away_since, self.seen, self.version = rebuilt.away_since, rebuilt.seen, version
        del self._frames[frames:]
        self._sent, self._texts, self._patches, self._dirty = sent, texts, patches, dirty

    def _failed(self, error: Exception) -> HookFailed:
        """A step raised and was rolled back: counted, and the game aborted at the mode's limit."""
        failure = HookFailed(self._hook, error)
        self.errors += 1
        if self.errors >= self.mode.max_errors and not self.over:
            self._abort()
        return failure

    def _abort(self) -> None:
        """End the game ``aborted`` (its mode keeps failing): unrated, and no hook is called again."""
        self.ctx.result = Result(winner=None, reason=ABORTED)
        self.phase = ABANDONED
        self.turn_deadline = None
        self.ctx.outbox.clear()
        frames = len(self._frames)
        try:
            self._changed(full=True)
        except Exception:  # the views fail too: the players get ``game_over`` alone
            del self._frames[frames:]
        self._emit({"type": "game_over", "winner_id": None, "reason": ABORTED})

    def final_frames(self) -> Iterator[tuple[int, str]]:
        """A game that is over, told again to every player: their last ``game_state``, then ``game_over``."""
        try:
            states = [(p.id, self.encode(self.game_state(p.id))) for p in self.players]
        except Exception:  # a mode whose views fail: ``game_over`` alone
            states = []
        yield from states
        result = self.ctx.result
        yield 0, self.encode({"type": "game_over", "winner_id": result.winner, "reason": result.reason})

    def _end(self, result: Result) -> None:
        self.ctx.result = result
        self.phase = ABANDONED if result.reason == "abandoned" else FINISHED
        self.turn_deadline = None
        for player in self.players:
            player.score = result.scores.get(player.id, player.score)
        self._hook = "on_end"
        self.mode.on_end(self.state, result, self.ctx)
        self.ctx.outbox.clear()  # the game is over: nothing more is relayed
        self._changed(full=True)
        self._emit({"type": "game_over", "winner_id": result.winner, "reason": result.reason})

    def _emit(self, frame: dict, skip: int | None = None) -> None:
        if skip is None:
            self._frames.append((None, frame))
        else:
            self._frames.extend((p.id, frame) for p in self.players if p.id != skip and p.connected)

    def _changed(self, *, full: bool = True, skip: int | None = None) -> None:
        """The game's life cycle changed (a player came, left, got ready; the start; the end): a new
        version, and every connected player but ``skip`` gets a fresh ``game_state`` (no patch first)."""
        self.version += 1
        self._dirty = False
        for p in self.players:
            if p.connected and p.id != skip:
                self._frames.append((p.id, self.game_state(p.id)))
        if self.watched:
            self._frames.append((SPECTATORS, self.game_state(SPECTATORS)))

    def _sync(self) -> bool:
        """A ``state_patch`` for each connected player whose view (or whose turn) changed since they
        were last sent one. It carries ``turn`` and ``turn_deadline`` too: they are not in the view.
        True when the game changed for anyone (a new version)."""
        if not self._dirty:
            return False
        self._dirty = False
        clock = self._clock()
        self._hook = "view"
        # Players with the same last view (the same object: a shared view's patches keep it so) and
        # the same view now share one frame: diffed and encoded once.
        made: dict[tuple[int, int], dict] = {}
        unchanged: set[tuple[int, int]] = set()
        held = []  # the views keyed by id stay alive until the end: no id is reused meanwhile
        shared = self.mode.view(self.state, None) if self.mode.shared_view else None
        viewers = [p for p in self.players if p.connected and p.id in self._sent]
        if self.watched and SPECTATORS in self._sent:
            viewers.append(None)  # the spectators: one patch for all of them, wherever they are
        for player in viewers:
            viewer = SPECTATORS if player is None else player.id
            sent = self._sent[viewer]
            if player is None:
                live = self._spectator_view(shared)
            else:
                live = shared if shared is not None else self.mode.view(self.state, player)
            key = (id(sent[0]), id(live))
            held.append((sent, live))
            if key in unchanged and clock == sent[1]:
                continue
            frame = made.get(key)
            if frame is None:
                # The view's Python objects against the JSON data last sent: no encoding, and
                # nothing at all made for a view that did not change.
                ops, view = patch_to(sent[0], live)
                if not ops:
                    unchanged.add(key)
                    if clock == sent[1]:
                        continue
                # The whole view when it is shorter than the patch: the ops' encoded length is at
                # least 26 characters each plus their paths, which often settles it without encoding.
                # The patch is kept beside it when it is under twice the view's length: the compact
                # subprotocol carries a patch in about a quarter of its JSON length but a view in two
                # thirds, so its sockets take the patch (``drain_encoded``).
                text = self.encode(live) if len(ops) > 1 else None
                least = sum(26 + len(op["path"]) for op in ops) if text is not None else 0
                ops_text = None if text is not None and least >= 2 * len(text) else self.encode(ops)
                patch_text = None
                if text is not None and (least > len(text) or len(ops_text) > len(text)):
                    if ops_text is not None and len(ops_text) < 2 * len(text):
                        patch_text = ops_text
                    ops = [{"op": "replace", "path": "", "value": view}]
                    ops_text = f'[{{"op":"replace","path":"","value":{text}}}]'
                frame = made[key] = {
                    "type": "state_patch",
                    "tick": self.ctx.tick,
                    "ops": ops,
                    "turn": clock[0],
                    "turn_deadline": self._deadline_left(),
                    "_view": view,
                }
                # The public timers, while there are some and in the patch that says they are gone.
                timers = self._timers_left() if clock[2] or sent[1][2] else None
                # The frame's text, as self.encode(frame) would give it, without encoding the ops again.
                text_timers = ""
                if timers is not None:
                    frame["timers"] = timers
                    text_timers = f',"timers":{self.encode(timers)}'
                deadline = self.encode(frame["turn_deadline"])
                rest = f'"turn":{self.encode(frame["turn"])},"turn_deadline":{deadline}{text_timers}}}'
                head = f'{{"type":"state_patch","tick":{self.encode(frame["tick"])},"ops":'
                self._texts[id(frame)] = f"{head}{ops_text},{rest}"
                if patch_text is not None:
                    self._patches[id(frame)] = f"{head}{patch_text},{rest}"
            self._sent[viewer] = (frame["_view"], clock)
            self._frames.append((viewer, frame))
        for frame in made.values():
            del frame["_view"]
        if made:
            self.version += 1
        return bool(made)

    # --- going on elsewhere ------------------------------------------------------------

    def snapshot(self) -> dict:
        version, internal, gauss = self.ctx.random.getstate()
        return {**self._snapshot_without_random(), "random": [version, list(internal), gauss]}

    def _snapshot_without_random(self) -> dict:
        return {
            "v": SNAPSHOT_VERSION,
            "mode": self.mode.name,
            "game_id": self.game_id,
            "lobby_id": self.lobby_id,
            "phase": self.phase,
            "version": self.version,
            "seed": self.ctx.seed,
            "flags": self.ctx.flags,
            "tick": self.ctx.tick,
            "now": self.ctx.now,
            "turn": self.ctx.turn,
            "turn_deadline": self.turn_deadline,
            "timers": {name: list(timer) for name, timer in self.ctx.timers.items()},
            "players": [p.as_dict() for p in self.players],
            "away_since": {str(k): v for k, v in self.away_since.items()},
            "seen": sorted(self.seen),
            "recorded_start": self.recorded_start,
            "result": self.ctx.result.as_dict() if self.ctx.result else None,
            "state": self.state,
            "errors": self.errors,
            "steps": self.steps,
            "taken": [[key, at] for key, at in self.taken.items()],
        }

    @classmethod
    def restore(cls, mode: Mode, snap: dict, *, grace: Grace | None = None, journal=(), seated: bool = False) -> "Room":
        """The room of ``snapshot()`` and the ``journal``'s steps after it (``replay``): where its
        players last were. Every player is counted away from then until they connect here, unless
        ``seated`` (the same process, whose sockets are still there)."""
        if snap.get("v") != SNAPSHOT_VERSION or snap.get("mode") != mode.name:
            raise ValueError("not a snapshot of this mode")
        room = object.__new__(cls)
        room.mode, room.game_id, room.lobby_id = mode, snap["game_id"], snap["lobby_id"]
        room.grace = grace or Grace()
        players = [Player(**p) for p in snap["players"]]
        room.ctx = Context(players=players, seed=snap["seed"], tick_rate=mode.tick_rate, flags=snap.get("flags"))
        version, internal, gauss = snap["random"]
        room.ctx.random.setstate((version, tuple(internal), gauss))
        room.ctx.tick, room.ctx.now, room.ctx.turn = snap["tick"], snap["now"], snap["turn"]
        room.ctx.result = Result.from_dict(snap["result"]) if snap["result"] else None
        room.phase, room.version = snap["phase"], snap["version"]
        room.turn_deadline = snap["turn_deadline"]
        room.ctx.timers = {name: (at, data, public) for name, (at, data, public) in snap.get("timers", {}).items()}
        room.away_since = {int(k): v for k, v in snap["away_since"].items()}
        room.seen = set(snap["seen"])
        room.recorded_start = snap["recorded_start"]
        room.state = snap["state"]
        room.errors, room.steps, room._hook = snap.get("errors", 0), snap.get("steps", 0), "platform"
        room.taken = {key: at for key, at in snap.get("taken", ())}
        room._sent, room._frames, room._dirty, room._random_text, room._texts = {}, [], False, None, {}
        room._patches = {}
        room._state_view = ("", None)
        room._base, room._since, room._new_steps, room.journalled = None, [], [], False
        room.watched = False  # its spectators, if any, ask the room again (``watch``)
        room._base = room.encode_snapshot()
        room.replayed = room.replay(journal)
        if seated:
            return room
        for player in room.players:  # nobody's socket is known here yet: away since the last step
            if player.connected:
                player.connected = False
                room.away_since.setdefault(player.id, room.ctx.now)
        return room

    def encode_snapshot(self, *, journal: str | None = None) -> str:
        """``snapshot()`` as JSON, naming the ``journal`` that holds the steps after it. The
        generator's state (625 numbers, most of a small room's snapshot) is encoded again only when
        the game drew from it since the last snapshot."""
        rng = self.ctx.random
        known = isinstance(rng, SeededRandom) and self._random_text is not None and self._random_text[0] is rng
        if not known or rng.drawn:
            version, internal, gauss = rng.getstate()
            if isinstance(rng, SeededRandom):
                rng.drawn = False
            self._random_text = (rng, _encode_state([version, list(internal), gauss]))
        text = f'{_encode_state(self._snapshot_without_random())[:-1]},"random":{self._random_text[1]}}}'
        self._base, self._since = text, []  # a step that fails from now on is undone from this
        if journal is None:
            return text
        return f'{text[:-1]},"journal":{_encode_state(journal)}}}'
