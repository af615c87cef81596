"""Every write to games: creation, and the two records of a running game (its start, its result).

A game runs in memory, in the room of the process that owns it (``game.rooms``); the database
sees it when it is created (the matchmaker, a lobby or an invite), when it starts and when it
ends. Each of the last two is one conditional update that acts once whatever the number of
processes that try (a room taken over after its owner died may record again): the start only
from a waiting state, the result only from an unfinished one, with the ratings in the same
transaction. Between the two nothing is written: no database trip per move or tick.

The state machine lives in ``TRANSITIONS``; nothing else assigns ``Game.state``.
"""

import functools
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from game import hooks, replays, rewards, selectors
from game.elo import START_RATING, rating_changes
from game.models import Game, GamePlayer, Rating
from game.registry import get_mode, modes
from game.selectors import users_in_unfinished_games
from gameplatform.broadcast.groups import game_group
from gameplatform.broadcast.realtime import signal_on_commit
from gameplatform.core.errors import ApplicationError, Conflict, NotFound, is_outage
from gameplatform.data import rawsql
from gameplatform.modes import Player, Result
from gameplatform.rooms.flags import GameFlags, flags_now
from gameplatform.rooms.wire import SEAT_SIGNAL, seat_signal
from staff import audit

logger = logging.getLogger(__name__)

State = Game.State

TRANSITIONS: dict[str, frozenset[str]] = {
    State.WAITING_FOR_PLAYERS: frozenset({State.WAITING_FOR_READY, State.ACTIVE, State.FINISHED, State.ABANDONED}),
    State.WAITING_FOR_READY: frozenset({State.ACTIVE, State.FINISHED, State.ABANDONED}),
    State.ACTIVE: frozenset({State.FINISHED, State.ABANDONED}),
    State.FINISHED: frozenset(),
    State.ABANDONED: frozenset(),
}


def new_seed() -> int:
    """The seed of a game's random numbers: with the inputs, it replays the game."""
    return secrets.randbits(63)


# --- creation ------------------------------------------------------------------


@transaction.atomic
def game_create(*, mode: str, players: list, lobby_id: int | None = None) -> Game:
    """A game for ``players`` (users or user ids) in seat order: sides alternate left, right, left...

    Sends nothing: the queue sends ``match_found``, invites and lobbies their own events.
    The players leave any matchmaking queue, so nobody is matched into a second game.

    Every seat starts away: the game's room (``game.rooms``) starts with the first player's
    socket and gives the others the first-connect grace from then; a game nobody comes to is
    abandoned by the ``game.unclaimed`` timer, the grace counted from when this transaction commits.
    """
    return _games_create(mode=mode, groups=[players], lobby_id=lobby_id)[0]


@transaction.atomic
def game_create_many(
    *,
    mode: str,
    groups: list[list],
    connect_seconds: int | None = None,
    queued_at: dict[int, datetime] | None = None,
) -> list[Game]:
    """One game per group of players (users or user ids), in the order of ``groups``; as ``game_create``.

    A handful of statements whatever the number of games (one INSERT of the games, one of
    their seats, one ``game_created`` hook for all players): the
    matcher makes hundreds of games in one transaction. Nobody may be in two groups.

    ``connect_seconds``: how long the room waits for a player who has not come yet, when
    shorter than the first-connect grace (the queue's matches); ``queued_at``: since when each
    player (by id) waited in the queue, kept on their seat (``game_called_off`` hands it back).
    """
    return _games_create(
        mode=mode, groups=groups, lobby_id=None, connect_seconds=connect_seconds, queued_at=queued_at or {}
    )


def _games_create(
    *,
    mode: str,
    groups: list[list],
    lobby_id: int | None,
    connect_seconds: int | None = None,
    queued_at: dict[int, datetime] | None = None,
) -> list[Game]:
    spec = get_mode(mode)
    seatings = [[getattr(p, "pk", p) for p in players] for players in groups]
    for user_ids in seatings:
        if len(set(user_ids)) != len(user_ids):
            raise ApplicationError("A player can take only one seat.", code="invalid_players")
        if not spec.min_players <= len(user_ids) <= spec.max_players:
            raise ApplicationError(
                f"{mode} takes {spec.min_players} to {spec.max_players} players.", code="invalid_player_count"
            )
    everyone = [uid for user_ids in seatings for uid in user_ids]
    if len(set(everyone)) != len(everyone):
        raise ApplicationError("A player can take only one seat.", code="invalid_players")
    if not seatings:
        return []
    now = timezone.now()
    # PostgreSQL and SQLite (3.35+) return the new ids from the one INSERT.
    if connect_seconds is not None and connect_seconds >= first_connect_grace_seconds():
        connect_seconds = None  # no shorter than the grace: the grace it is
    queued_at = queued_at or {}
    games = Game.objects.bulk_create(
        [Game(mode=mode, lobby_id=lobby_id, seed=new_seed(), connect_seconds=connect_seconds) for _ in seatings]
    )
    GamePlayer.objects.bulk_create(
        [
            GamePlayer(
                game=game,
                user_id=uid,
                seat=seat,
                side="left" if seat % 2 == 0 else "right",
                disconnected_at=now,
                queued_at=queued_at.get(uid),
            )
            for game, user_ids in zip(games, seatings, strict=True)
            for seat, uid in enumerate(user_ids)
        ]
    )
    hooks.game_created(everyone)  # e.g. the queue forgets them (see game/hooks.py)
    game_ids = [game.pk for game in games]
    transaction.on_commit(lambda: _start_first_connect_clock(game_ids=game_ids), robust=True)
    return games


@transaction.atomic
def game_join(*, game_id: int, user) -> Game:
    """Seat ``user`` in a running game whose mode takes players in progress (``join_in_progress``),
    in the next free seat while the game has fewer than the mode's ``max_players`` seats; the
    game's room learns of it after commit (the ``seat`` signal, wherever the room runs). A user
    already seated there keeps their seat (joining twice is one join).

    The game's row is locked first: two users racing for the last seat take turns, and the second
    finds it taken (``game_full``); the seat's unique constraint would refuse a second anyway."""
    game = Game.objects.select_for_update().filter(pk=game_id).first()
    if game is None:
        raise NotFound("No such game.", code="game_not_found")
    seats = list(GamePlayer.objects.filter(game=game).values_list("user_id", flat=True))
    if user.pk in seats:
        return game
    spec = modes().get(game.mode)  # None: a mode this server no longer runs
    if game.is_over or spec is None or not spec.join_in_progress:
        raise Conflict("This game takes no more players.", code="not_joinable")
    if len(seats) >= spec.max_players:
        raise Conflict("This game has no free seat.", code="game_full")
    if users_in_unfinished_games(user_ids=[user.pk]):
        raise Conflict("You are already in a game.", code="already_in_game")
    seat = len(seats)
    side = "left" if seat % 2 == 0 else "right"
    GamePlayer.objects.create(game=game, user=user, seat=seat, side=side, disconnected_at=timezone.now())
    hooks.game_created([user.pk])  # e.g. the queue forgets them
    player = Player(id=user.pk, username=user.username, seat=seat, side=side)
    signal_on_commit(game_group(game_id), SEAT_SIGNAL, **seat_signal(player))
    return game


def _start_first_connect_clock(*, game_ids: list[int]) -> None:
    """After commit: the first-connect window of the seats starts now, when the game is handed to the
    players (a matcher making many games in one long transaction does not eat into their time). If
    this fails (a robust hook), the window counts from creation: a little shorter, never longer."""
    GamePlayer.objects.filter(game_id__in=game_ids).update(disconnected_at=timezone.now())


# --- the room's records --------------------------------------------------------------


def game_seating(*, game_id: int) -> dict | None:
    """What a room needs to start: the mode's name, the seats in order, the seed, how long it waits
    for a player who has not come (``connect_seconds``, None: the first-connect grace); None for no
    such game."""
    return game_seatings(game_ids=[game_id])[0]


def game_seatings(*, game_ids: list[int]) -> list[dict | None]:
    """``game_seating`` of each game, in one query (a process opens a room for every game it runs).

    Hand-written (``gameplatform.data.rawsql``): every room a server opens reads it, and the ORM's
    join built on each call cost three times the CPU of the statement (``bench/game_boundaries.py``)."""
    if not game_ids:
        return []
    rows: dict[int, list] = {}
    with connection.cursor() as cursor:
        cursor.execute(_seatings_sql(len(game_ids)), list(game_ids))
        for row in cursor.fetchall():
            rows.setdefault(row[0], []).append(row)
    return [_seating(rows[game_id]) if game_id in rows else None for game_id in game_ids]


def game_flags_fix(*, game_id: int, player_ids: list[int]) -> GameFlags:
    """The flags a new room of the game starts with (``ctx.flag``: the game's own, each player's;
    ``gameplatform.rooms.flags``), kept on the game's record for its replay. A room taken over
    keeps its snapshot's and does not ask."""
    flags = flags_now(game_id, player_ids)
    players = {str(player): values for player, values in flags.players.items()}
    Game.objects.filter(pk=game_id).update(flags={"room": flags.room, "players": players})
    return flags


@functools.lru_cache(maxsize=64)
def _seatings_sql(count: int) -> str:
    """The seats of ``count`` games with their game's and player's columns, by game and seat."""
    seat, game = GamePlayer._meta, Game._meta
    user = seat.get_field("user").related_model._meta

    def col(meta, table: str, name: str) -> str:
        return f"{table}.{rawsql.column(meta.get_field(name))}"

    picked = [
        col(seat, "s", "game"),
        *(col(game, "g", name) for name in ("mode", "seed", "lobby_id", "state", "started_at", "connect_seconds")),
        col(seat, "s", "user"),
        col(user, "u", "username"),
        *(col(seat, "s", name) for name in ("seat", "side", "forfeited")),
    ]
    return (
        f'SELECT {", ".join(picked)} FROM "{seat.db_table}" s'
        f' JOIN "{game.db_table}" g ON g.{rawsql.column(game.pk)} = {col(seat, "s", "game")}'
        f' JOIN "{user.db_table}" u ON u.{rawsql.column(user.pk)} = {col(seat, "s", "user")}'
        f" WHERE {col(seat, 's', 'game')} IN ({rawsql.placeholders(count)})"
        f" ORDER BY {col(seat, 's', 'game')}, {col(seat, 's', 'seat')}"
    )


def _seating(rows: list) -> dict:
    # A game has its seats from its creation on: no seat, no game (None above).
    mode, seed, lobby_id, state, started_at, connect_seconds = rows[0][1:7]
    started_at = rawsql.aware(started_at)
    return {
        "mode": mode,
        "seed": seed,
        "lobby_id": lobby_id,
        "over": state not in Game.UNFINISHED,
        "started_at": started_at.timestamp() if started_at else None,
        "connect_seconds": connect_seconds,
        "players": [
            Player(id=user_id, username=username, seat=seat, side=side, out=bool(forfeited))
            for *_, user_id, username, seat, side, forfeited in rows
        ],
    }


def game_record_start(*, game_id: int) -> bool:
    """The game is active: recorded once (from a waiting state only)."""
    return game_record_starts(game_ids=[game_id]) == 1


def game_record_starts(*, game_ids: list[int]) -> int:
    """These games are active, each recorded once (from a waiting state only); how many this call started.

    One hand-written statement (``gameplatform.data.rawsql``: every game a server's rooms run starts
    here, and the ORM's update built on each call cost three times its CPU). Several rows are
    locked in id order first (by its subquery), as ``game_record_results`` locks them; one row
    needs no order. SQLite has no row locks: a write there takes the whole database."""
    ids = sorted(set(game_ids))
    if not ids:
        return 0
    meta = Game._meta
    key, state, started, version = (
        rawsql.column(field) for field in (meta.pk, *(meta.get_field(f) for f in ("state", "started_at", "version")))
    )
    where = f"{key} IN ({rawsql.placeholders(len(ids))}) AND {state} IN (%s, %s)"
    if len(ids) > 1 and connection.features.has_select_for_update:
        where = f'{key} IN (SELECT {key} FROM "{meta.db_table}" WHERE {where} ORDER BY {key} FOR UPDATE)'
    sql = f'UPDATE "{meta.db_table}" SET {state} = %s, {started} = %s, {version} = {version} + 1 WHERE {where}'
    now = meta.get_field("started_at").get_db_prep_save(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [State.ACTIVE, now, *ids, State.WAITING_FOR_PLAYERS, State.WAITING_FOR_READY])
        return cursor.rowcount


@dataclass(frozen=True)
class ResultRecord:
    """What a room hands over when its game ends: the result, the seats as the room left them,
    the final board of a game everyone sees whole, the room's last version, and every step of
    the game with the grace the room ran with (its replay; None: none kept)."""

    game_id: int
    result: Result
    players: list[Player]
    board: object = None
    version: int = 0
    steps: list | None = None
    grace: dict | None = None


GAME_RESULT_FIELDS = [
    "state",
    "winner_id",
    "reason",
    "turn_id",
    "board",
    "finished_at",
    "started_at",
    "version",
    "rated",
]
SEAT_RESULT_FIELDS = [
    "score",
    "forfeited",
    "left_before_start",
    "ready",
    "connected",
    "disconnected_at",
    "rating_change",
]


def game_record_result(*, game_id: int, result: Result, players: list[Player], board=None, version: int = 0) -> bool:
    """The game's result, with the seats' scores and the ratings: once, whoever records it.

    False when the game was already over (another process recorded it first) or is unknown.
    """
    record = ResultRecord(game_id=game_id, result=result, players=players, board=board, version=version)
    return game_record_results(records=[record])[0]


@transaction.atomic
def game_record_results(*, records: list[ResultRecord]) -> list[bool]:
    """Several games' results in one transaction, each recorded once: True for each one this call
    ended, False for one already over (another process recorded it first), unknown, or listed twice.

    A server's rooms end many games a second (``game.rooms`` hands them over together, see
    ``gameplatform.data.batching``): the queries below are the same for one game or fifty. The rows
    are locked in a fixed order (the games by id, then the ratings by mode and player), so
    concurrent calls never wait for each other in a cycle.
    """
    first: dict[int, int] = {}  # each game's first place in ``records``: a later one is not recorded
    for index, record in enumerate(records):
        first.setdefault(record.game_id, index)
    by_id = {game_id: records[index] for game_id, index in first.items()}
    ended: list[tuple[Game, ResultRecord]] = []
    now = timezone.now()
    for game in _games_locked(list(by_id)):
        record = by_id[game.pk]
        abandoned = record.result.reason in (Game.Reason.ABANDONED, Game.Reason.ABORTED)
        to = State.ABANDONED if abandoned else State.FINISHED
        if game.is_over or to not in TRANSITIONS[game.state]:
            continue
        game.state = to
        game.winner_id = None if abandoned else record.result.winner
        game.reason = record.result.reason
        game.turn_id = None
        game.board = record.board
        game.finished_at = now
        game.started_at = game.started_at or (None if abandoned else now)
        # The room's last version when it has one: a client that kept the highest version it saw
        # takes the recorded game (a reconnect to a finished game) as the newest.
        game.version = max(game.version + 1, record.version)
        # The game row is locked and was not over: this is the one transaction that ends it, and
        # the one that rates it (``rated`` flips here, with the ratings below, or not at all).
        game.rated = not abandoned
        ended.append((game, record))
    if not ended:
        return [False] * len(records)
    _update_each(Game, GAME_RESULT_FIELDS, [[getattr(g, f) for f in GAME_RESULT_FIELDS] + [g.pk] for g, _ in ended])
    seats_of: dict[int, list[GamePlayer]] = {}
    for seat in _seats_of([g.pk for g, _ in ended]):
        seats_of.setdefault(seat.game_id, []).append(seat)
    for game, record in ended:
        by_player = {p.id: p for p in record.players}
        for seat in seats_of.get(game.pk, []):
            player = by_player.get(seat.user_id)
            if player is None:
                if record.players:  # seated as the game ended, before its room heard of it: not in its result
                    seat.forfeited = seat.left_before_start = True
                continue
            seat.score = record.result.scores.get(seat.user_id, player.score)
            seat.forfeited = player.out
            seat.left_before_start = player.left_before_start
            seat.ready = player.ready
            seat.connected = player.connected
            if not player.connected:
                seat.disconnected_at = seat.disconnected_at or game.finished_at
    rated = [(game, seats_of.get(game.pk, [])) for game, _ in ended if game.rated]
    if rated:
        _ratings_apply(rated)
    seats = [seat for game, _ in ended for seat in seats_of.get(game.pk, [])]
    _update_each(GamePlayer, SEAT_RESULT_FIELDS, [[getattr(s, f) for f in SEAT_RESULT_FIELDS] + [s.pk] for s in seats])
    # The flags each rated game fixed when its room was made (what its XP is multiplied by): one
    # read for the batch, through the ORM (a JSON column, which the hand-written read leaves out).
    rated = [game.pk for game, _ in ended if game.rated]
    flags_of = dict(Game.objects.filter(pk__in=rated).values_list("pk", "flags")) if rated else {}
    # The hooks by mode, then game: a mode's board is locked in the same order by every batch.
    earned = []  # the rated games' XP, granted for the batch at once after them (players locked by id)
    for game, record in sorted(ended, key=lambda pair: (pair[0].mode, pair[0].pk)):
        if game.rated:  # e.g. the mode's leaderboard takes the scores (see game/hooks.py)
            game_seats = seats_of.get(game.pk, [])
            played = {
                "game_id": game.pk,
                "mode": game.mode,
                "winner": game.winner_id,
                "user_ids": [seat.user_id for seat in game_seats if not seat.left_before_start],
                "flags": flags_of.get(game.pk) or {},
            }
            scores = {seat.user_id: seat.score for seat in game_seats if seat.user_id in record.result.scores}
            hooks.game_result_recorded(**played, scores=scores)
            earned.append(played)
        if game.lobby_id is not None:
            hooks.lobby_game_over(game.lobby_id)  # e.g. the lobby opens again
        if game.reason == Game.Reason.ABANDONED and game.started_at is None and record.players:
            # Called off before the start by its room (a player never came, or left): those who
            # stayed, e.g. the queue takes its players back (see game/hooks.py).
            stayed = [(seat.user_id, seat.queued_at) for seat in seats_of.get(game.pk, []) if not seat.forfeited]
            if stayed:
                hooks.game_called_off(game_id=game.pk, mode=game.mode, stayed=stayed)
    if earned:
        rewards.games_xp_grant(earned)
    _replays_keep([_ran_with(game, record) for game, record in ended if record.steps is not None])
    recorded = {game.pk for game, _ in ended}
    return [record.game_id in recorded and first[record.game_id] == index for index, record in enumerate(records)]


def _ran_with(game: Game, record: ResultRecord) -> ResultRecord:
    """The record with the grace its room ran with: a game with its own first-connect window
    (``connect_seconds``) ran with that one, whatever the settings' (its replay runs the same)."""
    if game.connect_seconds is None or record.grace is None:
        return record
    return replace(record, grace={**record.grace, "first": game.connect_seconds})


def _replays_keep(records: list[ResultRecord]) -> None:
    """The replays of the games a result transaction ends, in it: a game's replay is in the
    database once its result is. In a savepoint: when the database refuses the batch, each
    replay is tried again alone, and one it refuses is logged; the results stand either way.
    An outage is not a refusal: it fails the whole transaction at once."""
    batch = [replays.ReplayRecord(game_id=r.game_id, steps=r.steps, grace=r.grace or {}) for r in records]
    if batch and not _replays_kept(batch) and len(batch) > 1:
        for one in batch:
            _replays_kept([one])


def _replays_kept(batch: list) -> bool:
    try:
        with transaction.atomic():
            replays.replay_record_many(records=batch)
    except Exception as exc:
        if is_outage(exc) or transaction.get_rollback():
            # The database went away (or the savepoint could not be rolled back): the whole end
            # fails at once, and its owner tries it again. Caught here, the transaction would end
            # in a silent rollback and its results be answered as recorded.
            raise
        if len(batch) == 1:
            logger.warning("game replay not recorded", exc_info=True, extra={"game_id": batch[0].game_id})
        return False
    return True


# The reads of a game's end, hand-written (``gameplatform.data.rawsql``): a server's database worker
# records every game its rooms end, and built by the ORM these three reads cost more CPU than
# the rest of the transaction (measured with ``bench/game_boundaries.py``).
GAME_READ = ["id", "mode", "state", "lobby_id", "started_at", "version", "connect_seconds"]
SEAT_READ = [
    "id",
    "game_id",
    "user_id",
    "seat",
    "queued_at",
    *(GamePlayer._meta.get_field(f).attname for f in SEAT_RESULT_FIELDS),
]
RATING_READ = ["id", "mode", "user_id", "rating", "wins", "draws", "losses"]


def _games_locked(game_ids: list[int]) -> list[Game]:
    """These games (what a result changes and reads), locked in id order."""
    key = rawsql.column(Game._meta.pk)
    where = f"{key} IN ({rawsql.placeholders(len(game_ids))})"
    return rawsql.instances(Game, GAME_READ, where, game_ids, order_by=key, lock=True)


def _seats_of(game_ids: list[int]) -> list[GamePlayer]:
    """The seats of these games, by game and seat."""
    game, seat = rawsql.column(GamePlayer._meta.get_field("game")), rawsql.column(GamePlayer._meta.get_field("seat"))
    where = f"{game} IN ({rawsql.placeholders(len(game_ids))})"
    return rawsql.instances(GamePlayer, SEAT_READ, where, game_ids, order_by=f"{game}, {seat}")


def game_abandon_unclaimed(*, game_id: int) -> bool:
    """A game whose room nobody runs or can resume (nobody came, or its owner died and nobody
    came back within the grace) ends abandoned; once, from an unfinished state."""
    game = Game.objects.filter(pk=game_id).first()
    if game is None or game.is_over:
        return False
    return game_record_result(game_id=game_id, result=Result(winner=None, reason=Game.Reason.ABANDONED), players=[])


# --- staff in a running game (the admin's room inspector) ----------------------------


@transaction.atomic
def game_inspect(*, staff, game_id: int) -> dict:
    """A running game's full state for staff (``selectors.game_inspection``): reading it is a
    staff action like any other, in the audit log (``room.inspect``)."""
    found = selectors.game_inspection(game_id=game_id)
    room = found["room"] or {}
    detail = {"owner": found["owner"], "phase": room.get("phase"), "version": room.get("version")}
    audit.record_on(found["game"], staff=staff, action="room.inspect", target_type="game", detail=detail)
    return found


# --- grace -------------------------------------------------------------------------


def reconnect_grace_seconds() -> int:
    """How long a player who connected once and dropped keeps their seat."""
    return settings.RECONNECT_GRACE_SECONDS


def first_connect_grace_seconds() -> int:
    """How long a player who has never connected keeps their seat: never shorter than the reconnect grace."""
    return max(settings.FIRST_CONNECT_GRACE_SECONDS, reconnect_grace_seconds())


def room_grace(connect_seconds: int | None = None) -> dict[str, float]:
    """The grace a game's room runs with (``gameplatform.rooms.Grace``'s fields): the settings',
    with the game's own first-connect window when it has one (``Game.connect_seconds``)."""
    first = first_connect_grace_seconds() if connect_seconds is None else connect_seconds
    return {"reconnect": reconnect_grace_seconds(), "first": first}


def unclaimed_before(now: datetime) -> datetime:
    """Unfinished games made before this, with no room running them, are past every grace."""
    return now - timedelta(seconds=first_connect_grace_seconds())


# --- ratings -------------------------------------------------------------------------


def _result(game: Game, player: GamePlayer) -> str:
    if game.winner_id == player.user_id:
        return "win"
    if game.winner_id is None and not player.forfeited:
        return "draw"
    return "loss"


def _update_each(model, fields: list[str], rows: list[list]) -> None:
    """``UPDATE`` of ``fields`` for each row ``[*values, pk]``: one statement run for every row.

    A game's end writes a handful of seats and ratings, each row with its own values. Built
    through the ORM that is one ``UPDATE`` query per row (or bulk_update's ``CASE`` expressions),
    and building them cost more CPU than running them: at every game's end, on the process
    that runs the rooms. (One ``UPDATE ... FROM (VALUES ...)`` for all the rows, each value cast
    to its column's type, measured slower still on PostgreSQL for one to four rows.) The values
    go through each field's ``get_db_prep_save``, as the ORM's saves do: a JSON field's None is
    SQL NULL, not JSON ``null``.
    """
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{rawsql.column(column)} = %s" for column in columns)
    sql = f'UPDATE "{meta.db_table}" SET {assignments} WHERE {rawsql.column(meta.pk)} = %s'
    params = [
        [column.get_db_prep_save(value, connection) for column, value in zip(columns, row[:-1], strict=True)]
        + [row[-1]]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _ratings_apply(ended: list[tuple[Game, list[GamePlayer]]]) -> None:
    """Elo per mode, in the transaction that finishes the games (``game_record_results``, which rates once).

    The games in id order: a player in two of them is rated by the first, then the second."""
    players_of = {game.pk: [p for p in seats if not p.left_before_start] for game, seats in ended}
    wanted: dict[str, set[int]] = {}
    for game, _ in ended:
        wanted.setdefault(game.mode, set()).update(p.user_id for p in players_of[game.pk])

    def locked() -> dict[tuple[str, int], Rating]:  # by mode and player: concurrent results lock shared rows alike
        mode, user = rawsql.column(Rating._meta.get_field("mode")), rawsql.column(Rating._meta.get_field("user"))
        where = " OR ".join(f"({mode} = %s AND {user} IN ({rawsql.placeholders(len(ids))}))" for ids in wanted.values())
        params = [value for name, ids in wanted.items() for value in (name, *sorted(ids))]
        rows = rawsql.instances(Rating, RATING_READ, where, params, order_by=f"{mode}, {user}", lock=True)
        return {(r.mode, r.user_id): r for r in rows}

    ratings = locked()
    if len(ratings) < sum(len(ids) for ids in wanted.values()):  # somebody's first rated game of a mode
        Rating.objects.bulk_create(
            [
                Rating(user_id=uid, mode=mode, rating=START_RATING)
                for mode, ids in wanted.items()
                for uid in sorted(ids)
                if (mode, uid) not in ratings
            ],
            ignore_conflicts=True,
        )
        ratings = locked()
    for game, _ in ended:
        players = players_of[game.pk]
        results = {p.user_id: _result(game, p) for p in players}
        changes = rating_changes({uid: ratings[(game.mode, uid)].rating for uid in results}, results)
        for uid, outcome in results.items():
            rating = ratings[(game.mode, uid)]
            rating.rating += changes[uid]
            rating.wins += outcome == "win"
            rating.draws += outcome == "draw"
            rating.losses += outcome == "loss"
        for player in players:  # written with the seats by the caller
            player.rating_change = changes[player.user_id]
    now = timezone.now()
    fields = ["rating", "wins", "draws", "losses", "updated_at"]
    touched = [r for key, r in sorted(ratings.items()) if key[1] in wanted[key[0]]]
    for rating in touched:
        rating.updated_at = now
    _update_each(Rating, fields, [[getattr(r, f) for f in fields] + [r.pk] for r in touched])  # rows locked above
