"""Every write to games: creation, the state machine, moves, reconnection and ratings.

Each public service locks the game row first (``select_for_update``): readies, forfeits,
game-ending moves and the grace timer of one game are serialised. A common move instead
writes with a check of the game's ``version`` (see ``game_move``), which every change
bumps, so two moves can never both be applied to the same board. Frames go out after
commit, to the ``game_<id>`` group.

The state machine lives in ``TRANSITIONS`` and ``_transition`` below; nothing else
assigns ``Game.state``.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from game import events, hooks
from game.elo import START_RATING, rating_changes
from game.models import Game, GamePlayer, Rating
from game.modes import get_engine
from game.modes.base import Outcome, Seat
from gameplatform.errors import ApplicationError, Conflict, Forbidden, NotFound
from gameplatform.groups import game_group
from gameplatform.realtime import broadcast_on_commit, signal_on_commit

State = Game.State

TRANSITIONS: dict[str, frozenset[str]] = {
    State.WAITING_FOR_PLAYERS: frozenset({State.WAITING_FOR_READY, State.FINISHED, State.ABANDONED}),
    State.WAITING_FOR_READY: frozenset({State.ACTIVE, State.FINISHED, State.ABANDONED}),
    State.ACTIVE: frozenset({State.FINISHED, State.ABANDONED}),
    State.FINISHED: frozenset(),
    State.ABANDONED: frozenset(),
}


def _transition(game: Game, to: str) -> None:
    if to not in TRANSITIONS[game.state]:
        raise Conflict(f"A game cannot go from {game.state} to {to}.", code="illegal_transition")
    game.state = to


# --- creation ------------------------------------------------------------------


@transaction.atomic
def game_create(*, mode: str, players: list, lobby_id: int | None = None) -> Game:
    """A game for ``players`` (users or user ids) in seat order: sides alternate left, right, left...

    Sends nothing: the queue sends ``match_found``, invites and lobbies their own events.
    The players leave any matchmaking queue, so nobody is matched into a second game.

    Every seat starts away (nobody has connected yet). Its first-connect window runs from
    when the game is handed to the players, i.e. when this transaction commits (the events
    announcing the game go out after commit too): a matcher creating many games in one long
    transaction does not eat into the time the players have to come.
    """
    return _games_create(mode=mode, groups=[players], lobby_id=lobby_id)[0]


@transaction.atomic
def game_create_many(*, mode: str, groups: list[list]) -> list[Game]:
    """One game per group of players (users or user ids), in the order of ``groups``; as ``game_create``.

    A handful of statements whatever the number of games (one INSERT of the games, one of
    their seats, one ``game_created`` hook for all players, one UPDATE after commit): the
    matcher makes hundreds of games in one transaction. Nobody may be in two groups.
    """
    return _games_create(mode=mode, groups=groups, lobby_id=None)


def _games_create(*, mode: str, groups: list[list], lobby_id: int | None) -> list[Game]:
    engine = get_engine(mode)
    seatings = [[getattr(p, "pk", p) for p in players] for players in groups]
    for user_ids in seatings:
        if len(set(user_ids)) != len(user_ids):
            raise ApplicationError("A player can take only one seat.", code="invalid_players")
        if not engine.MIN_PLAYERS <= len(user_ids) <= engine.MAX_PLAYERS:
            raise ApplicationError(
                f"{mode} takes {engine.MIN_PLAYERS} to {engine.MAX_PLAYERS} players.", code="invalid_player_count"
            )
    everyone = [uid for user_ids in seatings for uid in user_ids]
    if len(set(everyone)) != len(everyone):
        raise ApplicationError("A player can take only one seat.", code="invalid_players")
    if not seatings:
        return []
    now = timezone.now()
    # PostgreSQL and SQLite (3.35+) return the new ids from the one INSERT.
    games = Game.objects.bulk_create([Game(mode=mode, lobby_id=lobby_id) for _ in seatings])
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
    # Registered before the caller's match_found / invite / lobby events, so it runs first.
    game_ids = [game.pk for game in games]
    transaction.on_commit(lambda: _start_first_connect_clock(game_ids=game_ids), robust=True)
    return games


def _start_first_connect_clock(*, game_ids: list[int]) -> None:
    """After commit: the first-connect window of players who have not connected starts now.

    Conditional on "never connected", so a player who connected meanwhile keeps their own
    clock. If this fails (robust hook), the window counts from creation instead: a little
    shorter, never longer. One UPDATE for all the games a transaction made.
    """
    GamePlayer.objects.filter(
        game_id__in=game_ids, connected=False, first_connected_at__isnull=True, forfeited=False
    ).update(disconnected_at=timezone.now())


# --- loading -------------------------------------------------------------------


def _lock(game_id: int) -> tuple[Game, list[GamePlayer]]:
    game = Game.objects.select_for_update().filter(pk=game_id).first()
    if game is None:
        raise NotFound("No such game.", code="game_not_found")
    players = list(GamePlayer.objects.filter(game_id=game_id).select_related("user").order_by("seat"))
    return game, players


def _seat_of(players: list[GamePlayer], user_id: int) -> GamePlayer:
    for player in players:
        if player.user_id == user_id:
            return player
    raise Forbidden("You are not a player of this game.", code="not_a_player")


def _playing_seat(game: Game, players: list[GamePlayer], user_id: int) -> GamePlayer:
    player = _seat_of(players, user_id)
    if game.is_over:
        raise Conflict("The game is over.", code="game_over")
    if player.forfeited:
        raise Forbidden("You have left this game.", code="forfeited")
    return player


def _seats(players: list[GamePlayer]) -> list[Seat]:
    return [
        Seat(
            user_id=p.user_id,
            seat=p.seat,
            side=p.side,
            score=p.score,
            forfeited=p.forfeited,
            reported_scores=p.reported_scores,
        )
        for p in players
    ]


def _emit(game: Game, *payloads: dict, skip_user: int | None = None) -> None:
    for payload in payloads:
        broadcast_on_commit(game_group(game.pk), payload, skip_user=skip_user)


def _save(game: Game, *fields: str) -> None:
    game.version += 1
    game.save(update_fields=["version", *fields])


def _emit_state(game: Game, players: list[GamePlayer], skip_user: int | None = None) -> None:
    _emit(game, events.game_state(game, players), skip_user=skip_user)


# --- connection ------------------------------------------------------------------


@transaction.atomic
def game_player_connect(*, game_id: int, user_id: int, connection_id: str) -> dict:
    """The socket ``connection_id`` now holds the player's seat; returns the full ``game_state``.

    A socket already holding the seat is told to close (4409). Returning within the
    grace keeps the game as it was.
    """
    game, players = _lock(game_id)
    player = _seat_of(players, user_id)
    if game.is_over:
        return events.game_state(game, players)
    returning = player.first_connected_at is not None and not player.connected
    if player.connected:
        signal_on_commit(game_group(game.pk), "replaced", user_id=user_id, connection_id=connection_id)
    player.connected = True
    player.connection_id = connection_id
    player.disconnected_at = None
    player.last_seen_at = timezone.now()
    player.first_connected_at = player.first_connected_at or player.last_seen_at
    player.save(update_fields=["connected", "connection_id", "disconnected_at", "first_connected_at", "last_seen_at"])
    if returning:
        _emit(game, events.player_reconnected(user_id), skip_user=user_id)
    _advance(game, players)
    _save(game, "state", "board", "turn", "started_at")
    _emit_state(game, players, skip_user=user_id)
    return events.game_state(game, players)


@transaction.atomic
def game_player_disconnect(*, game_id: int, user_id: int, connection_id: str, now: datetime | None = None) -> bool:
    """The socket went away; only the socket holding the seat counts (not one replaced by a newer one)."""
    try:
        game, players = _lock(game_id)
        player = _seat_of(players, user_id)
    except ApplicationError:  # the game (or the player) was deleted meanwhile
        return False
    if not player.connected or player.connection_id != connection_id:
        return False
    player.connected = False
    player.disconnected_at = now or timezone.now()
    player.save(update_fields=["connected", "disconnected_at"])
    if game.is_over:
        return True  # history shows who is still around; nobody needs telling
    _save(game)
    _emit(game, events.player_disconnected(user_id))
    _emit_state(game, players)
    return True


def game_player_heartbeat(*, game_id: int, user_id: int, connection_id: str) -> bool:
    """The socket holding the seat is alive: usually one UPDATE, no lock.

    A socket that was taken for dead (its beats were late) but still holds the seat
    comes back as a reconnection.
    """
    seat = GamePlayer.objects.filter(game_id=game_id, user_id=user_id, connection_id=connection_id)
    if seat.filter(connected=True).update(last_seen_at=timezone.now()) == 1:
        return True
    if seat.filter(connected=False, forfeited=False, game__state__in=Game.UNFINISHED).exists():
        game_player_connect(game_id=game_id, user_id=user_id, connection_id=connection_id)
        return True
    return False


@transaction.atomic
def game_mark_stale(*, game_id: int, now: datetime | None = None) -> bool:
    """Players whose socket stopped its heartbeat (its server died) count as away since they were last seen."""
    now = now or timezone.now()
    game, players = _lock(game_id)
    stale_before = now - timedelta(seconds=stale_after_seconds())
    stale = [p for p in players if p.connected and p.last_seen_at is not None and p.last_seen_at < stale_before]
    if game.is_over or not stale:
        return False
    for player in stale:
        player.connected = False
        player.disconnected_at = player.last_seen_at
        player.save(update_fields=["connected", "disconnected_at"])
        _emit(game, events.player_disconnected(player.user_id))
    _save(game)
    _emit_state(game, players)
    return True


def game_seats_heartbeat(*, seats: list[tuple[int, int, str]]) -> int:
    """One beat for every game socket a server process holds: ``(game_id, user_id, connection_id)``.

    One UPDATE for all the seats still connected; the few that are not (taken for
    dead after late beats) go through ``game_player_heartbeat`` one by one.
    Returns how many seats were refreshed.
    """
    if not seats:
        return 0
    by_conn = {conn: (game_id, user_id) for game_id, user_id, conn in seats}
    fresh = GamePlayer.objects.filter(connection_id__in=by_conn, connected=True)
    refreshed = fresh.update(last_seen_at=timezone.now())
    if refreshed < len(by_conn):
        live = set(
            GamePlayer.objects.filter(connection_id__in=by_conn, connected=True).values_list("connection_id", flat=True)
        )
        for conn in by_conn.keys() - live:
            game_id, user_id = by_conn[conn]
            refreshed += game_player_heartbeat(game_id=game_id, user_id=user_id, connection_id=conn)
    return refreshed


def heartbeat_seconds() -> float:
    return float(getattr(settings, "GAME_HEARTBEAT_SECONDS", 15))


def stale_after_seconds() -> float:
    return 3 * heartbeat_seconds()


# --- grace -------------------------------------------------------------------------


def reconnect_grace_seconds() -> int:
    """How long a player who connected once and dropped keeps their seat."""
    return settings.RECONNECT_GRACE_SECONDS


def first_connect_grace_seconds() -> int:
    """How long a player who has never connected keeps their seat: never shorter than the reconnect grace."""
    return max(settings.FIRST_CONNECT_GRACE_SECONDS, reconnect_grace_seconds())


def grace_over(*, now: datetime, prefix: str = "") -> Q:
    """Seats whose grace is over at ``now`` (a filter on ``GamePlayer``, or through ``prefix``).

    ``disconnected_at`` is when the player went away, or, for one who never connected, when
    the game was handed to them; ``first_connected_at`` tells which window applies.
    """
    reconnect_deadline = now - timedelta(seconds=reconnect_grace_seconds())
    first_deadline = now - timedelta(seconds=first_connect_grace_seconds())
    # The first-connect window is never the shorter one, so the reconnect deadline bounds both
    # (keeps the (connected, disconnected_at) index useful).
    absent = {"connected": False, "forfeited": False, "disconnected_at__lte": reconnect_deadline}
    never = {"first_connected_at__isnull": True, "disconnected_at__lte": first_deadline}
    dropped = {"first_connected_at__isnull": False}

    def q(conditions: dict) -> Q:
        return Q(**{prefix + key: value for key, value in conditions.items()})

    return q(absent) & (q(never) | q(dropped))


def _grace_is_over(player: GamePlayer, now: datetime) -> bool:
    if player.connected or player.forfeited:
        return False
    grace = reconnect_grace_seconds() if player.first_connected_at is not None else first_connect_grace_seconds()
    return player.disconnected_at <= now - timedelta(seconds=grace)


# --- the state machine -------------------------------------------------------------


def _advance(game: Game, players: list[GamePlayer]) -> None:
    """Move forward as far as the players allow: everyone here -> ready phase; everyone ready -> active."""
    in_game = [p for p in players if not p.forfeited]
    if game.state == State.WAITING_FOR_PLAYERS and all(p.connected for p in in_game):
        _transition(game, State.WAITING_FOR_READY)
    if game.state == State.WAITING_FOR_READY and all(p.ready for p in in_game):
        _transition(game, State.ACTIVE)
        game.board, game.turn_id = get_engine(game.mode).start(_seats(in_game))
        game.started_at = timezone.now()
        _emit(game, events.game_start())


@transaction.atomic
def game_player_ready(*, game_id: int, user_id: int) -> Game:
    game, players = _lock(game_id)
    player = _playing_seat(game, players, user_id)
    if game.state == State.ACTIVE:
        raise Conflict("The game has started.", code="game_started")
    if player.ready:
        return game
    player.ready = True
    player.save(update_fields=["ready"])
    _emit(game, events.player_ready(user_id))
    _advance(game, players)
    _save(game, "state", "board", "turn", "started_at")
    _emit_state(game, players)
    return game


def _require_active(game: Game) -> None:
    if game.state != State.ACTIVE:
        raise Conflict("The game has not started.", code="game_not_active")


def game_move(*, game_id: int, user_id: int, movement: dict) -> Game:
    """Apply a move through the mode's engine; a refused move changes nothing and sends nothing.

    Most moves are two statements and no transaction: the game and its seats are read by
    one statement (a consistent snapshot), and the new board is written only if the game
    still has the ``version`` that was read; every change to a game or its seats bumps it.
    A move that ends the game, or one that lost that race, is made again under the game's
    row lock, from what is there then.
    """
    game, players = _snapshot(game_id)
    result = _engine_move(game, players, user_id, movement)
    if not result.changed:
        _emit(game, events.player_move(user_id, result.movement))
        return game
    if result.outcome is None:
        written = Game.objects.filter(pk=game.pk, version=game.version, state=State.ACTIVE).update(
            board=result.board, turn_id=result.turn_id, move_count=F("move_count") + 1, version=F("version") + 1
        )
        if written:
            game.board, game.turn_id = result.board, result.turn_id
            game.move_count, game.version = game.move_count + 1, game.version + 1
            _emit(game, events.player_move(user_id, result.movement))
            _emit_state(game, players)
            return game
    return _game_move_locked(game_id=game_id, user_id=user_id, movement=movement)


def _snapshot(game_id: int) -> tuple[Game, list[GamePlayer]]:
    """The game and its seats as one statement saw them, without a lock."""
    players = list(GamePlayer.objects.filter(game_id=game_id).select_related("game", "user").order_by("seat"))
    if not players:
        raise NotFound("No such game.", code="game_not_found")
    game = players[0].game
    for player in players:
        player.game = game
    return game, players


def _engine_move(game: Game, players: list[GamePlayer], user_id: int, movement: dict):
    _playing_seat(game, players, user_id)
    _require_active(game)
    seats = _seats(players)
    me = next(s for s in seats if s.user_id == user_id)
    return get_engine(game.mode).move(
        board=game.board, turn_id=game.turn_id, player=me, players=seats, movement=movement
    )


@transaction.atomic
def _game_move_locked(*, game_id: int, user_id: int, movement: dict) -> Game:
    game, players = _lock(game_id)
    result = _engine_move(game, players, user_id, movement)
    _emit(game, events.player_move(user_id, result.movement))
    if not result.changed:
        return game
    game.board, game.turn_id = result.board, result.turn_id
    game.move_count += 1
    if result.outcome is not None:
        _finish(game, players, result.outcome)
        return game
    _save(game, "board", "turn", "move_count")
    _emit_state(game, players)
    return game


@transaction.atomic
def game_action(*, game_id: int, user_id: int, action: str, data: dict) -> Game:
    """Relay an action to the room; the engine may read it (relay mode: ``report_score``)."""
    game, players = _lock(game_id)
    player = _playing_seat(game, players, user_id)
    _require_active(game)
    seats = _seats(players)
    engine = get_engine(game.mode)
    me = next(s for s in seats if s.user_id == user_id)
    result = engine.action(player=me, players=seats, action=action, data=data)
    _emit(game, events.game_action(user_id, action, data))
    if result.report is None:
        return game
    player.reported_scores = {str(uid): score for uid, score in result.report.items()}
    player.save(update_fields=["reported_scores"])
    _save(game)  # a seat changed: a move read before this must not be written (game_move)
    outcome = engine.settle(_seats(players))
    if outcome is not None:
        _finish(game, players, outcome)
    return game


@transaction.atomic
def game_forfeit(*, game_id: int, user_id: int) -> Game:
    """The player gives up (see ``_eliminate`` for what that costs)."""
    game, players = _lock(game_id)
    player = _playing_seat(game, players, user_id)
    _eliminate(game, players, [player])
    return game


def _eliminate(game: Game, players: list[GamePlayer], leaving: list[GamePlayer]) -> None:
    """Players leave the game. Before it starts that costs nothing (and with fewer than two left the
    game is abandoned); once it runs it is a loss, and the last player left wins."""
    started = game.state == State.ACTIVE
    for player in leaving:
        player.forfeited = True
        player.left_before_start = not started
        player.save(update_fields=["forfeited", "left_before_start"])
        _emit(game, events.forfeit(player.user_id))
    remaining = [p for p in players if not p.forfeited]
    if not started and len(remaining) < 2:
        _finish(game, players, Outcome(winner_id=None, reason=Game.Reason.ABANDONED))
        return
    if started and len(remaining) == 1:
        _finish(game, players, Outcome(winner_id=remaining[0].user_id, reason=Game.Reason.FORFEIT))
        return
    outcome = get_engine(game.mode).settle(_seats(players)) if started else None
    if outcome is not None:
        _finish(game, players, outcome)
        return
    _advance(game, players)
    _save(game, "state", "board", "turn", "started_at")
    _emit_state(game, players)


@transaction.atomic
def game_expire_absent(*, game_id: int, now: datetime | None = None) -> bool:
    """Players whose grace is over forfeit; with nobody left the game is abandoned.

    The grace: ``RECONNECT_GRACE_SECONDS`` since a player who had connected went away;
    ``first_connect_grace_seconds()`` since the game was handed out for a player who never
    connected. Safe to run from several timer processes: the game row lock serialises them
    and the second one finds nothing left to do.
    """
    now = now or timezone.now()
    game, players = _lock(game_id)
    if game.is_over:
        return False
    in_game = [p for p in players if not p.forfeited]
    gone = [p for p in in_game if _grace_is_over(p, now)]
    if not gone:
        return False
    if len(gone) == len(in_game):
        _finish(game, players, Outcome(winner_id=None, reason=Game.Reason.ABANDONED))
        return True
    _eliminate(game, players, gone)
    return True


# --- the end -----------------------------------------------------------------------


def _finish(game: Game, players: list[GamePlayer], outcome: Outcome) -> None:
    abandoned = outcome.reason == Game.Reason.ABANDONED
    _transition(game, State.ABANDONED if abandoned else State.FINISHED)
    game.winner_id = outcome.winner_id
    game.reason = outcome.reason
    game.turn_id = None
    game.finished_at = timezone.now()
    if outcome.scores:
        for player in players:
            player.score = outcome.scores.get(player.user_id, player.score)
        GamePlayer.objects.bulk_update(players, ["score"])
    _save(game, "state", "winner", "reason", "turn", "board", "finished_at", "move_count")
    if not abandoned:
        _ratings_apply(game, players)
    if game.lobby_id is not None:
        hooks.lobby_game_over(game.lobby_id)  # e.g. the lobby opens again
    _emit_state(game, players)
    _emit(game, events.game_over(game.winner_id, game.reason))


def _result(game: Game, player: GamePlayer) -> str:
    if game.winner_id == player.user_id:
        return "win"
    if game.winner_id is None and not player.forfeited:
        return "draw"
    return "loss"


def _ratings_apply(game: Game, players: list[GamePlayer]) -> None:
    """Elo per mode, once per game: the ``rated`` flag flips in this same transaction or nothing happens."""
    if Game.objects.filter(pk=game.pk, state=State.FINISHED, rated=False).update(rated=True) != 1:
        return
    game.rated = True
    players = [p for p in players if not p.left_before_start]
    user_ids = sorted(p.user_id for p in players)
    Rating.objects.bulk_create(
        [Rating(user_id=uid, mode=game.mode, rating=START_RATING) for uid in user_ids], ignore_conflicts=True
    )
    ratings = {
        r.user_id: r
        for r in Rating.objects.select_for_update().filter(mode=game.mode, user_id__in=user_ids).order_by("user_id")
    }
    results = {p.user_id: _result(game, p) for p in players}
    changes = rating_changes({uid: r.rating for uid, r in ratings.items()}, results)
    now = timezone.now()
    for uid, rating in ratings.items():
        rating.rating += changes[uid]
        rating.wins += results[uid] == "win"
        rating.draws += results[uid] == "draw"
        rating.losses += results[uid] == "loss"
        rating.updated_at = now
    Rating.objects.bulk_update(list(ratings.values()), ["rating", "wins", "draws", "losses", "updated_at"])
    for player in players:
        player.rating_change = changes[player.user_id]
    GamePlayer.objects.bulk_update(players, ["rating_change"])
