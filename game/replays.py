"""Replays: a finished game played again from its seed, its seats and every step its room took.

The room engine keeps each game's log (``gameplatform.rooms``: every step, added to the store with
each snapshot by whichever process owned the room then) and hands it over when the game is
recorded; ``replay_record_many`` keeps it in the database beside the game, in the transaction
that records the game's result (``game.services``), with the version of its mode's code.
``replay_for`` plays it again through the mode (modes are deterministic from their seed and
inputs) and answers what the REST API shows: the players' inputs with the tick each one
landed in, and the result, which must be the recorded one. A mode whose code changed since, or
that does not play the same way again, answers ``replay_unavailable`` rather than a wrong replay.
"""

import functools
import hashlib
import inspect
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from game.models import Game, GamePlayer, GameReplay
from game.registry import modes
from gameplatform.core.errors import Conflict, Forbidden, NotFound
from gameplatform.data import rawsql
from gameplatform.modes import Mode, Player
from gameplatform.modes.commands import ROOM_COMMANDS, Action, Command, Input, Inputs, Join, Move, PlayerCommand
from gameplatform.modes.room import Grace, starting_players
from gameplatform.rooms import room_store
from gameplatform.rooms.server_room import Room

logger = logging.getLogger(__name__)

FRAMES_PAGE = 600  # frames of a replay's spectators' view in one answer
# A finished game's frames are kept in the cache after it was played again once, so that paging
# through a replay (or many people watching it) plays it once: for 10 minutes, and only games of
# at most this many frames (a 20-tick game of 5 minutes), so the cache holds no giant entry.
FRAMES_CACHED_MAX = 6000
FRAMES_CACHE_SECONDS = 600
PLAYER_COMMANDS = (PlayerCommand, Join)  # the steps of a replay's ``inputs``: a player's, or their seat taken
# Their ops, as a game's log names them (``Command.entry()``): one release more, for its readers;
# and a real-time tick's inputs, taken as one step (``Inputs``).
PLAYER_OPS = frozenset(kind.op for kind in ROOM_COMMANDS if issubclass(kind, PLAYER_COMMANDS)) | {Inputs.op}


@functools.cache
def _source_version(cls: type) -> str:
    try:
        source = Path(inspect.getfile(cls)).read_bytes()  # the module's file: its code as shipped
    except (OSError, TypeError):  # no file: the class's name is all there is to go by
        source = f"{cls.__module__}.{cls.__qualname__}".encode()
    return hashlib.sha256(source).hexdigest()[:16]


def mode_version(mode: Mode) -> str:
    """The version of a mode's code: a digest of its module's source."""
    return _source_version(type(mode))


@dataclass(frozen=True)
class ReplayRecord:
    """A recorded game's steps, as its room hands them over, and the grace it ran with."""

    game_id: int
    steps: list
    grace: dict


def replay_record_many(*, records: list[ReplayRecord]) -> list[bool]:
    """Several games' replays, each kept once: True for each one this call kept.

    A server's rooms end many games a second and their replays come together (``game.rooms``
    batches them, see ``gameplatform.data.batching``): two statements for one game or fifty (the games
    with no replay yet and their modes, read by hand-written SQL, then the new replays inserted),
    where one game at a time cost each its own read, check and insert. A replay kept meanwhile by
    another owner (the insert skips a conflict) may be answered True here as well: it is kept
    once all the same.
    """
    if not settings.REPLAY_RETENTION_DAYS:
        return [False] * len(records)
    first: dict[int, int] = {}  # a game listed twice is kept from its first record
    for index, record in enumerate(records):
        first.setdefault(record.game_id, index)
    with connection.cursor() as cursor:  # each game with no replay yet, and its mode
        cursor.execute(_unreplayed_sql(len(first)), list(first))
        mode_of = dict(cursor.fetchall())
    new = []
    for game_id, index in first.items():
        mode = modes().get(mode_of.get(game_id))
        if mode is None:  # unknown, or its replay already kept
            continue
        record = records[index]
        new.append(
            GameReplay(
                game_id=game_id, mode_version=mode_version(mode), log=GameReplay.pack(record.steps), grace=record.grace
            )
        )
    GameReplay.objects.bulk_create(new, ignore_conflicts=True)
    made = {replay.game_id for replay in new}
    return [record.game_id in made and first[record.game_id] == index for index, record in enumerate(records)]


@functools.lru_cache(maxsize=64)
def _unreplayed_sql(count: int) -> str:
    """The id and mode of each of ``count`` games that has no replay: hand-written
    (``gameplatform.data.rawsql``), as a server's database worker reads it for every game it records."""
    game, replay = Game._meta, GameReplay._meta
    key, mode = rawsql.column(game.pk), rawsql.column(game.get_field("mode"))
    replayed = rawsql.column(replay.get_field("game"))
    return (
        f'SELECT g.{key}, g.{mode} FROM "{game.db_table}" g LEFT JOIN "{replay.db_table}" r ON r.{replayed} = g.{key}'
        f" WHERE g.{key} IN ({rawsql.placeholders(count)}) AND r.{replayed} IS NULL"
    )


def game_log(*, game_id: int, most: int) -> list:
    """A game's newest ``most`` steps, oldest first, each ``[steps, now, op, args, version]``: its
    replay's once it ended, else its room's as the room store holds it now (``RoomStore.inspect``:
    the newest segments of the log its owners added with each snapshot, then the steps journalled
    after the last snapshot; a bounded read, whatever the game's length), so a running game has its
    steps too. ``[]`` for a game no room has run, one whose steps were not kept, or when the store
    does not answer (logged)."""
    replay = GameReplay.objects.filter(game_id=game_id).first()
    if replay is not None:
        return replay.steps[-most:]
    try:
        return room_store().inspect(game_id, steps=most).steps
    except Exception:  # the store away: the caller goes on without the steps
        logger.warning("a running game's log could not be read", exc_info=True, extra={"game_id": game_id})
        return []


def replay_for(*, game_id: int, user) -> dict:
    """A finished game's replay as the REST API shows it, for its players, staff, and anyone for
    a mode whose views are all public (``shared_view``). Played again here, to check it still ends
    as it did and to say at which tick each input landed."""
    inputs = []

    def landed(room: Room, command: Command, now: float) -> None:
        # A tick's inputs, taken as one step, each at that tick: the one whose patch showed them.
        for each in command.inputs if isinstance(command, Inputs) else (command,):
            if isinstance(each, PLAYER_COMMANDS):
                at = {"t": round(now, 3), "tick": room.ctx.tick, "player": each.player_id, "type": each.op}
                inputs.append({**at, "data": _data(each)})

    game, replay, players, room = _play_again(game_id, user, landed)
    result = room.result
    return {
        "game_id": game_id,
        "mode": game.mode,
        "mode_version": replay.mode_version,
        "seed": game.seed,
        "flags": {"room": {}, "players": {}, **(game.flags or {})},  # what its rules read: with the seed, to replay it
        "players": [{"id": p.id, "username": p.username, "seat": p.seat, "side": p.side} for p in players],
        "inputs": inputs,
        "steps": replay.steps,  # every step, clock steps included: to play it again exactly, offline
        "grace": replay.grace,
        "result": {
            "winner_id": result.winner,
            "reason": result.reason,
            "scores": {str(k): v for k, v in result.scores.items()},
        },
    }


def replay_frames(*, game_id: int, user, start: int = 0, end: int | None = None) -> list[dict]:
    """What a spectator saw of a finished game, played again: ``{tick, view}`` each time the
    spectators' view changed, at ``start`` to ``end`` (a real-time game's ticks; a turn-based
    game's changes, counted from 0), at most ``FRAMES_PAGE`` of them. Who may see them is asked
    on every call; the game is played again once in ``FRAMES_CACHE_SECONDS`` (``_all_frames``)."""
    game = Game.objects.filter(pk=game_id).values_list("mode", flat=True).first()
    mode = modes().get(game) if game else None
    if mode is not None and mode.spectators != "everyone":
        raise Conflict("Games of this mode have no spectators' view to replay.", code="replay_unavailable")
    game, replay, seats, mode = _checked(game_id, user)
    # The seed and the replay's time too: a game id alone may name another game in another database.
    key = f"replay-frames:{game_id}:{game.seed}:{replay.created_at.timestamp()}:{replay.mode_version}"
    frames = cache.get(key)
    if frames is None:
        frames = _all_frames(game, replay, seats, mode, start=start, end=end)
        if frames is None:  # too long to keep: this call's page only
            return _all_frames(game, replay, seats, mode, start=start, end=end, keep=False)
        cache.set(key, frames, FRAMES_CACHE_SECONDS)
    return [f for f in frames if f["tick"] >= start and (end is None or f["tick"] <= end)][:FRAMES_PAGE]


def _all_frames(game, replay, seats, mode, *, start: int, end: int | None, keep: bool = True) -> list[dict] | None:
    """Every frame of the game played again (None past ``FRAMES_CACHED_MAX``), or with
    ``keep=False`` the page from ``start`` to ``end`` only."""
    frames: list[dict] = []
    last = {"text": None, "turn": -1, "over": False}

    def seen(room: Room, command: Command, now: float) -> None:
        view = room.mode.spectator_view(room.state)
        text = json.dumps(view, sort_keys=True)
        if text == last["text"]:
            return
        last["text"] = text
        last["turn"] += 1
        at = room.ctx.tick if room.mode.tick_rate else last["turn"]
        if keep:
            last["over"] = last["over"] or len(frames) >= FRAMES_CACHED_MAX
            if not last["over"]:
                frames.append({"tick": at, "view": json.loads(text)})
        elif at >= start and (end is None or at <= end) and len(frames) < FRAMES_PAGE:
            frames.append({"tick": at, "view": json.loads(text)})

    _play(game, replay, seats, mode, seen)
    return None if last["over"] else frames


def _play_again(game_id: int, user, each) -> tuple[Game, GameReplay, list[Player], Room]:
    """The game played again from its replay, ``each(room, command, now)`` after every step;
    refused as ``replay_for`` says."""
    game, replay, seats, mode = _checked(game_id, user)
    players, room = _play(game, replay, seats, mode, each)
    return game, replay, players, room


def _checked(game_id: int, user) -> tuple[Game, GameReplay, list[GamePlayer], Mode]:
    """The game, its replay, its seats and its mode, when ``user`` may see its replay and the mode's
    code is the one it was played with; refused as ``replay_for`` says otherwise."""
    game = Game.objects.filter(pk=game_id).first()
    if game is None:
        raise NotFound("No such game.", code="game_not_found")
    mode = modes().get(game.mode)
    seats = list(GamePlayer.objects.filter(game_id=game_id).select_related("user").order_by("seat"))
    allowed = user.is_staff or any(s.user_id == user.pk for s in seats) or (mode is not None and mode.shared_view)
    if not allowed:
        raise Forbidden("Only the game's players may see this replay.", code="not_allowed")
    replay = GameReplay.objects.filter(game_id=game_id).first()
    if replay is None:
        raise NotFound("This game has no replay (not finished, or older than the replays kept).", code="not_found")
    if mode is None or mode_version(mode) != replay.mode_version:
        raise Conflict(
            "The mode's code changed since this game: its replay cannot be played.", code="replay_unavailable"
        )
    return game, replay, seats, mode


def _play(game: Game, replay: GameReplay, seats: list[GamePlayer], mode: Mode, each) -> tuple[list[Player], Room]:
    """The game played again: its room starts with the players it started with (a player who
    joined while it ran takes their seat at their ``join`` step, as they did)."""
    players = [Player(id=s.user_id, username=s.user.username, seat=s.seat, side=s.side) for s in seats]
    grace = Grace(**replay.grace)
    first = starting_players(players, replay.steps)
    flags = game.flags or {}  # what its rules read (``ctx.flag``), as it started
    room = Room(
        mode,
        game_id=game.pk,
        players=first,
        seed=game.seed,
        lobby_id=game.lobby_id,
        grace=grace,
        flags=flags.get("room"),
        player_flags=flags.get("players"),
    )
    applied = room.replay(replay.steps, each=lambda command, now: each(room, command, now))
    if applied != len(replay.steps) or room.result is None or room.result.winner != game.winner_id:
        raise Conflict(
            "This game does not play again as it went: its replay cannot be shown.", code="replay_unavailable"
        )
    return players, room


def _data(command: Command):
    match command:
        case Action(action=action, data=data):
            return {"action": action, "data": data}
        case Move(movement=movement):
            return movement
        case Input(data=data):
            return data
    return None
