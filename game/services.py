"""Every write to games: creation, and the two records of a running game (its start, its result).

A game runs in memory, in the room of the process that owns it (``game.rooms``); the database
sees it when it is created (the matchmaker, a lobby or an invite), when it starts and when it
ends. Each of the last two is one conditional update that acts once whatever the number of
processes that try (a room taken over after its owner died may record again): the start only
from a waiting state, the result only from an unfinished one, with the ratings in the same
transaction. Between the two nothing is written: no database trip per move or tick.

The state machine lives in ``TRANSITIONS``; nothing else assigns ``Game.state``.
"""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from game import hooks
from game.elo import START_RATING, rating_changes
from game.models import Game, GamePlayer, Rating
from game.registry import get_mode
from gameplatform.errors import ApplicationError
from gameplatform.modes import Player, Result

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
def game_create_many(*, mode: str, groups: list[list]) -> list[Game]:
    """One game per group of players (users or user ids), in the order of ``groups``; as ``game_create``.

    A handful of statements whatever the number of games (one INSERT of the games, one of
    their seats, one ``game_created`` hook for all players): the
    matcher makes hundreds of games in one transaction. Nobody may be in two groups.
    """
    return _games_create(mode=mode, groups=groups, lobby_id=None)


def _games_create(*, mode: str, groups: list[list], lobby_id: int | None) -> list[Game]:
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
    games = Game.objects.bulk_create([Game(mode=mode, lobby_id=lobby_id, seed=new_seed()) for _ in seatings])
    GamePlayer.objects.bulk_create(
        [
            GamePlayer(
                game=game, user_id=uid, seat=seat, side="left" if seat % 2 == 0 else "right", disconnected_at=now
            )
            for game, user_ids in zip(games, seatings, strict=True)
            for seat, uid in enumerate(user_ids)
        ]
    )
    hooks.game_created(everyone)  # e.g. the queue forgets them (see game/hooks.py)
    game_ids = [game.pk for game in games]
    transaction.on_commit(lambda: _start_first_connect_clock(game_ids=game_ids), robust=True)
    return games


def _start_first_connect_clock(*, game_ids: list[int]) -> None:
    """After commit: the first-connect window of the seats starts now, when the game is handed to the
    players (a matcher making many games in one long transaction does not eat into their time). If
    this fails (a robust hook), the window counts from creation: a little shorter, never longer."""
    GamePlayer.objects.filter(game_id__in=game_ids, first_connected_at__isnull=True).update(
        disconnected_at=timezone.now()
    )


# --- the room's records --------------------------------------------------------------


def game_seating(*, game_id: int) -> dict | None:
    """What a room needs to start: the mode's name, the seats in order, the seed; None for no such game.

    One query for the game and its seats (a room opens for every game a process runs)."""
    rows = list(
        GamePlayer.objects.filter(game_id=game_id)
        .order_by("seat")
        .values_list(
            "game__mode",
            "game__seed",
            "game__lobby_id",
            "game__state",
            "user_id",
            "user__username",
            "seat",
            "side",
            "forfeited",
        )
    )
    if not rows:  # a game has its seats from its creation on: no seat, no game
        return None
    mode, seed, lobby_id, state = rows[0][:4]
    return {
        "mode": mode,
        "seed": seed,
        "lobby_id": lobby_id,
        "over": state not in Game.UNFINISHED,
        "players": [
            Player(id=user_id, username=username, seat=seat, side=side, out=forfeited)
            for *_, user_id, username, seat, side, forfeited in rows
        ],
    }


def game_record_start(*, game_id: int) -> bool:
    """The game is active: recorded once (from a waiting state only)."""
    return (
        Game.objects.filter(pk=game_id, state__in=(State.WAITING_FOR_PLAYERS, State.WAITING_FOR_READY)).update(
            state=State.ACTIVE, started_at=timezone.now(), version=F("version") + 1
        )
        == 1
    )


@transaction.atomic
def game_record_result(*, game_id: int, result: Result, players: list[Player], board=None, version: int = 0) -> bool:
    """The game's result, with the seats' scores and the ratings: once, whoever records it.

    False when the game was already over (another process recorded it first) or is unknown.
    """
    # ``get`` rather than ``first``: no ORDER BY to build, at every game's end.
    try:
        game = Game.objects.select_for_update().get(pk=game_id)
    except Game.DoesNotExist:
        return False
    if game.is_over:
        return False
    abandoned = result.reason == Game.Reason.ABANDONED
    to = State.ABANDONED if abandoned else State.FINISHED
    if to not in TRANSITIONS[game.state]:
        return False
    game.state = to
    game.winner_id = None if abandoned else result.winner
    game.reason = result.reason
    game.turn_id = None
    game.board = board
    game.finished_at = timezone.now()
    game.started_at = game.started_at or (None if abandoned else game.finished_at)
    # The room's last version when it has one: a client that kept the highest version it saw
    # takes the recorded game (a reconnect to a finished game) as the newest.
    game.version = max(game.version + 1, version)
    # The game row is locked and was not over: this is the one transaction that ends it, and the
    # one that rates it (``rated`` flips here, with the ratings below, or not at all).
    game.rated = not abandoned
    game.save(
        update_fields=["state", "winner", "reason", "turn", "board", "finished_at", "started_at", "version", "rated"]
    )
    by_id = {p.id: p for p in players}
    seats = list(GamePlayer.objects.filter(game_id=game_id).order_by("seat"))
    for seat in seats:
        player = by_id.get(seat.user_id)
        if player is None:
            continue
        seat.score = result.scores.get(seat.user_id, player.score)
        seat.forfeited = player.out
        seat.left_before_start = player.left_before_start
        seat.ready = player.ready
        seat.connected = player.connected
        if not player.connected:
            seat.disconnected_at = seat.disconnected_at or game.finished_at
    if not abandoned:
        _ratings_apply(game, seats)
    seat_fields = ["score", "forfeited", "left_before_start", "ready", "connected", "disconnected_at", "rating_change"]
    _update_each(GamePlayer, seat_fields, [[getattr(s, f) for f in seat_fields] + [s.pk] for s in seats])
    if not abandoned:  # e.g. the mode's leaderboard takes the scores (see game/hooks.py)
        hooks.game_result_recorded(
            game_id=game.pk,
            mode=game.mode,
            winner=game.winner_id,
            scores={seat.user_id: seat.score for seat in seats if seat.user_id in result.scores},
            user_ids=[seat.user_id for seat in seats if not seat.left_before_start],
        )
    if game.lobby_id is not None:
        hooks.lobby_game_over(game.lobby_id)  # e.g. the lobby opens again
    return True


def game_abandon_unclaimed(*, game_id: int) -> bool:
    """A game whose room nobody runs or can resume (nobody came, or its owner died and nobody
    came back within the grace) ends abandoned; once, from an unfinished state."""
    game = Game.objects.filter(pk=game_id).first()
    if game is None or game.is_over:
        return False
    return game_record_result(game_id=game_id, result=Result(winner=None, reason=Game.Reason.ABANDONED), players=[])


# --- grace -------------------------------------------------------------------------


def reconnect_grace_seconds() -> int:
    """How long a player who connected once and dropped keeps their seat."""
    return settings.RECONNECT_GRACE_SECONDS


def first_connect_grace_seconds() -> int:
    """How long a player who has never connected keeps their seat: never shorter than the reconnect grace."""
    return max(settings.FIRST_CONNECT_GRACE_SECONDS, reconnect_grace_seconds())


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
    that runs the rooms. The values go through each field's ``get_db_prep_value``, as the ORM's.
    """
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    # A column is named by ``db_column``, else the field's ``attname``; quoted the SQL standard's way.
    assignments = ", ".join(f'"{column.db_column or column.attname}" = %s' for column in columns)
    key = meta.pk.db_column or meta.pk.attname
    sql = f'UPDATE "{meta.db_table}" SET {assignments} WHERE "{key}" = %s'
    params = [
        [column.get_db_prep_value(value, connection) for column, value in zip(columns, row[:-1], strict=True)]
        + [row[-1]]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _ratings_apply(game: Game, players: list[GamePlayer]) -> None:
    """Elo per mode, in the transaction that finishes the game (``game_record_result``, which rates once)."""
    players = [p for p in players if not p.left_before_start]
    user_ids = sorted(p.user_id for p in players)

    def locked() -> dict[int, Rating]:  # in user id order: concurrent games lock shared players' rows alike
        rows = Rating.objects.select_for_update().filter(mode=game.mode, user_id__in=user_ids).order_by("user_id")
        return {r.user_id: r for r in rows}

    ratings = locked()
    if len(ratings) < len(user_ids):  # somebody's first rated game of this mode
        Rating.objects.bulk_create(
            [Rating(user_id=uid, mode=game.mode, rating=START_RATING) for uid in user_ids if uid not in ratings],
            ignore_conflicts=True,
        )
        ratings = locked()
    results = {p.user_id: _result(game, p) for p in players}
    changes = rating_changes({uid: r.rating for uid, r in ratings.items()}, results)
    now = timezone.now()
    _update_each(  # rows locked above, in user id order
        Rating,
        ["rating", "wins", "draws", "losses", "updated_at"],
        [
            [
                rating.rating + changes[uid],
                rating.wins + (results[uid] == "win"),
                rating.draws + (results[uid] == "draw"),
                rating.losses + (results[uid] == "loss"),
                now,
                rating.pk,
            ]
            for uid, rating in ratings.items()
        ],
    )
    for player in players:  # written with the seats by the caller
        player.rating_change = changes[player.user_id]
