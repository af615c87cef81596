"""Drive a mode in a unit test: no server, no sockets, a fake clock, a fixed seed.

``ModeTester`` runs the same ``Room`` the server runs and plays each player's client: it
keeps every frame a player received and rebuilds the player's view from their
``game_state`` and ``state_patch`` frames, as a browser would. After every step it checks
two promises of the platform, so a mode's own tests check them for free:

- the view a player's frames add up to is the view a fresh ``game_state`` would send;
- a refused frame (``Reject`` or a schema error) changed nothing.

A hook that raises is handled as the server handles it: the step changes nothing, the player
who sent the frame gets ``error server_error``, the failure is kept in ``errors`` and, at the
mode's ``max_errors``, the game ends ``aborted``. ``ModeTester(..., raise_errors=True)`` raises
the hook's own exception instead, traceback and all.

Example::

    from gameplatform.modes.testing import ModeTester
    from mygame.mode import Duel

    def test_the_first_player_to_three_wins():
        game = ModeTester(Duel(), players=2, seed=7)
        game.start()                            # both connect and say ready
        game.move(1, {"cell": 4})
        game.refused(2, "not_your_turn", move={"cell": 0})
        game.advance(seconds=0.5)               # ticks and the turn clock run
        assert game.view(1)["board"][4] == "X"
        assert game.result is None

A mode that takes players in progress (``join_in_progress``) is tested the same way:
``pid = game.join("late")`` seats a new player while the game runs (their id is returned; a
refused seat raises ``Reject`` with the room's code), ``game.connect(pid)`` calls ``on_join``;
``game.label()`` is what the match list would show, checked as the server checks it.
"""

import json

from gameplatform.modes.api import Mode, Player, Reject, checked_label
from gameplatform.modes.patch import apply
from gameplatform.modes.room import SPECTATORS, Grace, HookFailed, Room, starting_players
from gameplatform.modes.schema import Invalid

SPECTATOR = SPECTATORS  # ``watch()``'s spectator, where a player id goes: ``view(SPECTATOR)``, ``frames(SPECTATOR)``


def seated(players: int | list[str] = 2) -> list[Player]:
    """The seats of a test game: ``players`` players (``player1``, ``player2``, ...) or these
    names, ids from 1 in seat order, sides left and right by turns."""
    names = [f"player{i + 1}" for i in range(players)] if isinstance(players, int) else list(players)
    return [Player(id=i + 1, username=name, seat=i, side=("left", "right")[i % 2]) for i, name in enumerate(names)]


def replayed(mode: Mode, replay: dict) -> Room:
    """A finished game played again offline from its replay (``GET /api/games/{id}/replay/``, or
    the Python SDK's ``get_replay``) with ``mode``, the mode's code: the room as it ended, its
    ``state``, ``result`` and players. Raises ``ValueError`` if a step does not go as it went (the
    mode's code is not the game's, or not deterministic)."""
    players = [Player(id=p["id"], username=p["username"], seat=p["seat"], side=p["side"]) for p in replay["players"]]
    grace = Grace(**replay["grace"]) if "grace" in replay else None
    first = starting_players(players, replay["steps"])  # who joined later takes their seat at their step
    flags = replay.get("flags") or {}  # what the game's rules read (``ctx.flag``), as it started
    room = Room(
        mode,
        game_id=replay["game_id"],
        players=first,
        seed=replay["seed"],
        grace=grace,
        flags=flags.get("room"),
        player_flags=flags.get("players"),
    )
    if room.replay(replay["steps"]) != len(replay["steps"]):
        raise ValueError("the replay does not play again with this mode's code")
    return room


class ModeTester:
    def __init__(
        self,
        mode: Mode,
        *,
        players: int | list[str] = 2,
        seed: int = 1,
        grace: Grace | None = None,
        check_sync: bool = True,
        raise_errors: bool = False,
        flags: dict | None = None,
        player_flags: dict[int, dict] | None = None,
    ) -> None:
        self.mode = mode
        self.room = Room(
            mode, game_id=1, players=seated(players), seed=seed, grace=grace, flags=flags, player_flags=player_flags
        )
        self.clock = 0.0
        self.check_sync = check_sync
        self.raise_errors = raise_errors
        self.errors: list[HookFailed] = []  # every hook that raised, in order (``.hook``, ``.error``)
        self.inbox: dict[int, list[dict]] = {p.id: [] for p in self.room.players}
        self._client_views: dict[int, object] = {}

    # --- the players ---------------------------------------------------------------

    @property
    def ids(self) -> list[int]:
        return [p.id for p in self.room.players]

    def connect(self, *player_ids: int) -> None:
        for pid in player_ids or self.ids:
            self._step(lambda pid=pid: self.room.connect(pid), sender=pid)

    def disconnect(self, player_id: int) -> None:
        self._step(lambda: self.room.disconnect(player_id), sender=player_id)
        self._client_views.pop(player_id, None)

    def ready(self, *player_ids: int) -> None:
        for pid in player_ids or self.ids:
            self._step(lambda pid=pid: self.room.ready(pid), sender=pid)

    def start(self) -> None:
        """Every player connects, then says ready: the game is active."""
        self.connect()
        self.ready()

    def move(self, player_id: int, movement: dict) -> None:
        self._step(lambda: self.room.move(player_id, movement), sender=player_id)

    def action(self, player_id: int, action: str, data: dict | None = None) -> None:
        self._step(lambda: self.room.action(player_id, action, data if data is not None else {}), sender=player_id)

    def input(self, player_id: int, data: dict) -> None:
        # A real-time room shows inputs in the next tick's patch, not at once: checked after it.
        self._step(lambda: self.room.input(player_id, data), check=not self.mode.tick_rate, sender=player_id)

    def forfeit(self, player_id: int) -> None:
        self._step(lambda: self.room.forfeit(player_id), sender=player_id)

    def join(self, username: str | None = None) -> int:
        """A new player takes the next free seat while the game runs (the mode's
        ``join_in_progress``); returns their id. Not connected yet: ``connect(id)`` calls ``on_join``.
        Refused (``Reject``: ``not_joinable``, ``game_full``, ``game_over``), it changes nothing."""
        seat = len(self.room.players)
        pid = max(self.ids, default=0) + 1
        side = "left" if seat % 2 == 0 else "right"
        player = Player(id=pid, username=username or f"player{pid}", seat=seat, side=side)
        self._step(lambda: self.room.join(player))
        self.inbox[pid] = []
        return pid

    def label(self) -> dict:
        """The game's label in the match list now (``Mode.label``), checked as the server checks it."""
        return checked_label(self.mode.label(self.room.state))

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of game time pass, one tick (or turn-clock second) at a time."""
        end = self.clock + seconds
        step = 1.0 / self.mode.tick_rate if self.mode.tick_rate else 0.25
        while self.clock < end - 1e-9:
            self.clock = min(end, self.clock + step)
            self._step(lambda: self.room.advance(self.clock))

    def refused(self, player_id: int, code: str, **frame) -> Reject | Invalid:
        """Send one frame (``move=``, ``action=(name, data)``, ``input=``, ``ready=True``, ``forfeit=True``)
        and check it is refused with ``code`` (``invalid`` for a schema error) and changes nothing."""
        ((kind, value),) = frame.items()
        send = {
            "move": lambda: self.room.move(player_id, value),
            "action": lambda: self.room.action(player_id, *value),
            "input": lambda: self.room.input(player_id, value),
            "ready": lambda: self.room.ready(player_id),
            "forfeit": lambda: self.room.forfeit(player_id),
        }[kind]
        try:
            self._step(send)
        except (Reject, Invalid) as exc:
            got = exc.code if isinstance(exc, Reject) else "invalid"
            assert got == code, f"refused with {got!r}, expected {code!r}"
            return exc
        raise AssertionError(f"{kind} of player {player_id} was accepted; expected {code!r}")

    # --- what the players see ------------------------------------------------------

    def view(self, player_id: int):
        """The view ``player_id`` has now, rebuilt from the frames they received."""
        return self._client_views.get(player_id)

    def watch(self) -> None:
        """A spectator starts watching (the mode's ``spectators`` and ``spectator_view``): from now
        on ``view(SPECTATOR)``, ``frames(SPECTATOR)`` and ``seen_text(SPECTATOR)`` are what they
        got, checked after every step like a player's."""
        self.inbox.setdefault(SPECTATOR, [])
        self._deliver([(SPECTATOR, self.room.watch(True))], True)

    def frames(self, player_id: int, frame_type: str | None = None) -> list[dict]:
        return [f for f in self.inbox[player_id] if frame_type is None or f["type"] == frame_type]

    def seen_text(self, player_id: int) -> str:
        """Everything ``player_id`` received, as one JSON text (to check a secret never reached them)."""
        return json.dumps(self.inbox[player_id])

    @property
    def result(self):
        return self.room.result

    @property
    def turn(self) -> int | None:
        """Whose turn it is (the mode's ``ctx.turn``)."""
        return self.room.ctx.turn

    @property
    def state(self) -> dict:
        return self.room.state

    @property
    def phase(self) -> str:
        return self.room.phase

    # --- the checks ------------------------------------------------------------------

    def _fresh_view(self, viewer: int):
        if viewer == SPECTATOR:
            return json.loads(json.dumps(self.mode.spectator_view(self.room.state)))
        return self.room.view_of(viewer)

    def _step(self, action, check: bool = True, sender: int | None = None) -> None:
        before = json.dumps([self.room.state, [p.as_dict() for p in self.room.players]], sort_keys=True)
        try:
            action()
        except HookFailed as failure:
            self.errors.append(failure)
            if self.raise_errors:
                raise failure.error
            if sender is not None and sender in self.inbox:
                error = {"type": "error", "code": "server_error", "message": "The game could not take this frame."}
                self.inbox[sender].append(error)
            self._deliver(self.room.drain(), check)
            return
        except (Reject, Invalid):
            after = json.dumps([self.room.state, [p.as_dict() for p in self.room.players]], sort_keys=True)
            assert after == before, "a refused frame changed the game (raise Reject before changing the state)"
            self._deliver(self.room.drain(), check)
            raise
        self._deliver(self.room.drain(), check)

    def _deliver(self, frames: list[tuple[int | None, dict]], check: bool) -> None:
        connected = {p.id for p in self.room.players if p.connected}
        if self.room.watched:
            connected.add(SPECTATOR)
        for to, frame in frames:
            for pid in [to] if to is not None else sorted(connected):
                if pid not in connected:
                    continue
                frame = json.loads(json.dumps(frame))  # what crosses the wire
                self.inbox[pid].append(frame)
                if frame["type"] == "game_state":
                    self._client_views[pid] = frame["view"]
                elif frame["type"] == "state_patch":
                    assert pid in self._client_views, "a state_patch before any game_state"
                    self._client_views[pid] = apply(self._client_views[pid], frame["ops"])
        if self.check_sync and check:
            for pid in connected:
                if pid in self._client_views:
                    fresh = self._fresh_view(pid)
                    assert self._client_views[pid] == fresh, (
                        f"player {pid}'s patches add up to {self._client_views[pid]!r}, "
                        f"a fresh game_state says {fresh!r}"
                    )
