"""A room's snapshot: everything it needs to go on in another process, as JSON data and text.

``snapshot(room)`` is a JSON-serialisable copy of the room; ``load`` makes a room's game from one
(``Room.restore`` replays the journal's steps after it). The last views are not in it: after a
takeover every player gets a fresh ``game_state``. ``Snapshots.encode`` writes it as text, the
random generator's state (625 numbers, most of a small room's snapshot) again only when the game
drew from it since the last one.
"""

import json

from gameplatform.modes.api import Context, Player, Result, SeededRandom

SNAPSHOT_VERSION = 1
# The standard library's encoder: a state read back is the state written, NaN included.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def snapshot(room) -> dict:
    version, internal, gauss = room.ctx.random.getstate()
    return {**_without_random(room), "random": [version, list(internal), gauss]}


def _without_random(room) -> dict:
    ctx = room.ctx
    return {
        "v": SNAPSHOT_VERSION,
        "mode": room.mode.name,
        "game_id": room.game_id,
        "lobby_id": room.lobby_id,
        "phase": room.phase,
        "version": room.version,
        "seed": ctx.seed,
        "flags": ctx.flags,
        "player_flags": {str(player): values for player, values in ctx.player_flags.items()},
        "tick": ctx.tick,
        "now": ctx.now,
        "turn": ctx.turn,
        "turn_deadline": room.turn_deadline,
        "timers": {name: list(timer) for name, timer in ctx.timers.items()},
        "players": [p.as_dict() for p in room.players],
        "away_since": {str(k): v for k, v in room.away_since.items()},
        "seen": sorted(room.seen),
        "recorded_start": room.recorded_start,
        "result": ctx.result.as_dict() if ctx.result else None,
        "state": room.state,
        "errors": room.errors,
        "steps": room.steps,
        "taken": [[key, at] for key, at in room.taken.items()],
    }


def load(room, snap: dict) -> None:
    """Give ``room`` (its ``mode`` set) the game of ``snap``; ``ValueError`` if it is not one of its mode."""
    mode = room.mode
    if snap.get("v") != SNAPSHOT_VERSION or snap.get("mode") != mode.name:
        raise ValueError("not a snapshot of this mode")
    room.game_id, room.lobby_id = snap["game_id"], snap["lobby_id"]
    players = [Player(**p) for p in snap["players"]]
    ctx = room.ctx = Context(
        players=players,
        seed=snap["seed"],
        tick_rate=mode.tick_rate,
        flags=snap.get("flags"),
        player_flags=snap.get("player_flags"),
    )
    version, internal, gauss = snap["random"]
    ctx.random.setstate((version, tuple(internal), gauss))
    ctx.tick, ctx.now, ctx.turn = snap["tick"], snap["now"], snap["turn"]
    ctx.result = Result.from_dict(snap["result"]) if snap["result"] else None
    ctx.timers = {name: (at, data, public) for name, (at, data, public) in snap.get("timers", {}).items()}
    room.phase, room.version = snap["phase"], snap["version"]
    room.turn_deadline = snap["turn_deadline"]
    room.away_since = {int(k): v for k, v in snap["away_since"].items()}
    room.seen = set(snap["seen"])
    room.recorded_start = snap["recorded_start"]
    room.state = snap["state"]
    room.errors, room.steps = snap.get("errors", 0), snap.get("steps", 0)
    room.taken = {key: at for key, at in snap.get("taken", ())}


class Snapshots:
    """A room's snapshot as text (``encode``), keeping the generator's state as last written."""

    def __init__(self, room) -> None:
        self.room = room
        self._random: tuple[object, str] | None = None  # the generator, its state as last written

    def encode(self) -> str:
        """The snapshot as JSON."""
        rng = self.room.ctx.random
        known = isinstance(rng, SeededRandom) and self._random is not None and self._random[0] is rng
        if not known or rng.drawn:
            version, internal, gauss = rng.getstate()
            if isinstance(rng, SeededRandom):
                rng.drawn = False
            self._random = (rng, _ENCODER.encode([version, list(internal), gauss]))
        # The generator's text spliced in as written: most of the snapshot, not encoded again.
        return f'{_ENCODER.encode(_without_random(self.room))[:-1]},"random":{self._random[1]}}}'


def with_journal(text: str, journal: str) -> str:
    """A snapshot's ``text`` naming the ``journal`` that holds the steps after it."""
    return f'{text[:-1]},"journal":{_ENCODER.encode(journal)}}}'


def restore(cls, mode, snap: dict, *, grace, journal=(), seated: bool = False):
    """A room of class ``cls`` from ``snap`` and the ``journal``'s steps after it (``Room.restore``)."""
    room = object.__new__(cls)
    room.mode, room.grace = mode, grace
    load(room, snap)
    room.fresh_parts()  # its spectators, if any, ask the room again (``watch``)
    room.encode_snapshot()
    room.replayed = room.replay(journal)
    if seated:
        return room
    for player in room.players:  # nobody's socket is known here yet: away since the last step
        if player.connected:
            player.connected = False
            room.away_since.setdefault(player.id, room.ctx.now)
    return room
