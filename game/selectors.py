import json
from datetime import UTC, datetime

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.expressions import Expression
from django.db.models.functions import Coalesce

from game.elo import START_RATING
from game.models import Game, GamePlayer, Rating
from gameplatform.core.errors import Forbidden, NotFound
from gameplatform.rooms import room_store


def user_unfinished_game(*, user_id: int) -> tuple[int, str] | None:
    """(id, mode) of the game this user still plays (or is about to), if any."""
    return (
        GamePlayer.objects.filter(user_id=user_id, forfeited=False, game__state__in=Game.UNFINISHED)
        .order_by("-game_id")
        .values_list("game_id", "game__mode")
        .first()
    )


def user_unfinished_game_id(*, user_id: int) -> int | None:
    found = user_unfinished_game(user_id=user_id)
    return found[0] if found else None


def users_in_unfinished_games(*, user_ids: list[int]) -> set[int]:
    return set(
        GamePlayer.objects.filter(user_id__in=user_ids, forfeited=False, game__state__in=Game.UNFINISHED).values_list(
            "user_id", flat=True
        )
    )


def game_require_player(*, game_id: int, user_id: int) -> None:
    """Raise NotFound for an unknown game and Forbidden for someone who does not play in it."""
    if GamePlayer.objects.filter(game_id=game_id, user_id=user_id).exists():
        return
    if Game.objects.filter(pk=game_id).exists():
        raise Forbidden("You are not a player of this game.", code="not_a_player")
    raise NotFound("No such game.", code="game_not_found")


def game_player_seat(*, game_id: int, user_id: int) -> dict:
    """``{mode, over}`` of a game this user plays; NotFound / Forbidden as ``game_require_player``."""
    # One row at most (a seat per player and game): no ORDER BY and LIMIT to build, at every game socket's connect.
    found = next(
        iter(GamePlayer.objects.filter(game_id=game_id, user_id=user_id).values_list("game__mode", "game__state")),
        None,
    )
    if found is None:
        game_require_player(game_id=game_id, user_id=user_id)
    mode, state = found
    return {"mode": mode, "over": state not in Game.UNFINISHED}


def game_to_watch(*, game_id: int) -> dict:
    """``{mode, over}`` of a game a spectator may watch: NotFound for an unknown game, Forbidden
    ``watching_not_allowed`` for a game of a mode nobody watches (``Mode.spectators``)."""
    from game.registry import modes

    found = Game.objects.filter(pk=game_id).values_list("mode", "state").first()
    if found is None:
        raise NotFound("No such game.", code="game_not_found")
    mode, state = found
    if getattr(modes().get(mode), "spectators", "nobody") != "everyone":
        raise Forbidden("Games of this mode cannot be watched.", code="watching_not_allowed")
    return {"mode": mode, "over": state not in Game.UNFINISHED}


def game_with_seats(*, game_id: int) -> tuple[Game, list[GamePlayer]]:
    game = Game.objects.get(pk=game_id)
    return game, list(GamePlayer.objects.filter(game_id=game_id).select_related("user").order_by("seat"))


def _with_players(queryset: QuerySet) -> QuerySet:
    return queryset.prefetch_related(
        Prefetch("players", queryset=GamePlayer.objects.select_related("user").order_by("seat"))
    )


def games_for_user(*, user_id: int) -> QuerySet:
    """The user's games, newest first."""
    return _with_players(Game.objects.filter(players__user_id=user_id).order_by("-created_at", "-id"))


def game_get_for_player(*, game_id: int, user_id: int) -> Game:
    game_require_player(game_id=game_id, user_id=user_id)
    return _with_players(Game.objects.filter(pk=game_id)).get()


def leaderboard(*, mode: str) -> QuerySet:
    return Rating.objects.filter(mode=mode).select_related("user").order_by("-rating", "-wins", "user_id")


def ratings_for(*, user_ids: list[int], mode: str) -> dict[int, int]:
    """Current ratings (``START_RATING`` for players without a rated game in this mode)."""
    found = dict(Rating.objects.filter(mode=mode, user_id__in=user_ids).values_list("user_id", "rating"))
    return {uid: found.get(uid, START_RATING) for uid in user_ids}


def running_game_counts() -> dict[tuple[str, str], int]:
    """``{(mode, state): games}`` of the games not finished (waiting for players or ready, active)."""
    rows = (
        Game.objects.filter(state__in=Game.UNFINISHED).values_list("mode", "state").annotate(n=Count("id")).order_by()
    )
    return {(mode, state): n for mode, state, n in rows}


def active_game_counts() -> dict[str, int]:
    """``{mode: games in state active}`` (the modes with none left out)."""
    return dict(Game.objects.filter(state=Game.State.ACTIVE).values_list("mode").annotate(n=Count("id")).order_by())


def running_games(*, limit: int) -> list[Game]:
    """The newest ``limit`` unfinished games, with their seats."""
    return list(_with_players(Game.objects.filter(state__in=Game.UNFINISHED)).order_by("-created_at", "-id")[:limit])


class _ParsedSummaries:
    """The summaries the last list parsed, by their JSON text: a room's summary changes at most once
    a second (most far less often), so each list parses only those that changed since the one
    before; parsing every summary was most of a list's time at a thousand games. Replaced whole by
    each list, so it holds the rooms running now and no more; lists on several threads at once
    each keep a complete one. Its dicts are never changed: the list copies those it answers."""

    def __init__(self) -> None:
        self.by_text: dict[str, dict] = {}

    def parse(self, texts: list[str]) -> list[dict]:
        known = self.by_text
        fresh = [text for text in texts if text not in known]
        if fresh:  # one parse for all of them: a call per summary costs more
            known = {**known, **dict(zip(fresh, json.loads(f"[{','.join(fresh)}]"), strict=True))}
        rooms = [known[text] for text in texts]
        self.by_text = dict(zip(texts, rooms, strict=True))
        return rooms


_parsed_summaries = _ParsedSummaries()


def running_rooms(*, mode: str | None = None, open_only: bool | None = None, labels: dict[str, str] | None = None):
    """The running games of the match list, newest first: what their rooms published
    (``gameplatform.rooms.store``: one Redis command for every room, no database query),
    as ``{id, mode, phase, players, spectators, label, open, started_at}`` with ``started_at`` a
    datetime or None. ``open_only``: only those a player may join (True) or may not (False);
    ``labels``: the label's value of each key, as the query string gives it (a number or a
    boolean as its JSON text: ``players=3``, ``ranked=true``)."""
    found = []
    for room in _parsed_summaries.parse(room_store().listings()):
        if mode is not None and room["mode"] != mode:
            continue
        if open_only is not None and room["open"] != open_only:
            continue
        if labels and not all(_label_text(room["label"].get(key)) == value for key, value in labels.items()):
            continue
        started = room["started_at"]
        found.append({**room, "started_at": datetime.fromtimestamp(started, UTC) if started is not None else None})
    found.sort(key=lambda room: room["id"], reverse=True)
    return found


def _label_text(value) -> str | None:
    """A label's value as a query string would spell it: a string as itself, anything else as JSON."""
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


INSPECT_STEPS = 20  # the room inspector's newest steps
INSPECT_STATE_CHARS = 200_000  # a mode's state shown up to this (a big real-time world is cut)


def game_inspection(*, game_id: int) -> dict:
    """A game as the admin's room inspector shows it: the record (``game``, its ``seats``), and
    its room as the store holds it now: ``owner`` (the process holding its lease, or None),
    ``room`` (its last snapshot: ``{phase, tick, version, now, turn, ...}``, or None when no
    snapshot is kept: not opened yet, or over), ``players`` (the snapshot's, with ``connected``,
    ``ready``, ``out``, ``score``, ``away_since``; else the seats'; none connected once the game
    is over), ``state`` (the mode's state,
    indented JSON) and the newest ``steps`` (``[steps, now, op, args, version]``, newest last).
    NotFound for an unknown game."""
    game = Game.objects.filter(pk=game_id).first()
    if game is None:
        raise NotFound("No such game.", code="game_not_found")
    seats = list(GamePlayer.objects.filter(game_id=game_id).select_related("user").order_by("seat"))
    record = room_store().inspect(game_id, steps=INSPECT_STEPS)
    room = json.loads(record.snapshot) if record.snapshot else None
    if room is not None:
        away = room.get("away_since", {})
        players = [{**p, "away_since": away.get(str(p["id"]))} for p in room["players"]]
        state = json.dumps(room.get("state"), indent=2, sort_keys=True, ensure_ascii=False)
    else:
        players = [
            {"id": s.user_id, "username": s.user.username, "seat": s.seat, "side": s.side, "connected": s.connected}
            | {"ready": s.ready, "out": s.forfeited, "score": s.score, "away_since": None}
            for s in seats
        ]
        state = ""
    if game.is_over:
        # A socket left open on a game that ended connects its player to nothing: no seat is
        # connected (the record's flags and the last snapshot keep what they were at the end).
        players = [{**p, "connected": False, "away_since": None} for p in players]
    return {
        "game": game,
        "seats": seats,
        "owner": record.owner,
        "room": room,
        "players": players,
        "state": state[:INSPECT_STATE_CHARS],
        "state_cut": len(state) > INSPECT_STATE_CHARS,
        "steps": record.steps,
    }


def finished_games_played_of(*, user_ref: str = "pk") -> Expression:
    """How many games the user ``OuterRef(user_ref)`` sat in as a player that ended finished
    (abandoned ones aside), as an expression of a query over users."""
    seats = GamePlayer.objects.filter(user_id=OuterRef(user_ref), game__state=Game.State.FINISHED)
    seats = seats.values("user_id").annotate(total=Count("pk")).values("total")
    return Coalesce(Subquery(seats, output_field=IntegerField()), Value(0))


def game_was_player(*, game_id: int, user_id: int) -> bool:
    """Whether the user played (or plays) the game: a seat of theirs."""
    return GamePlayer.objects.filter(game_id=game_id, user_id=user_id).exists()


def users_played_together(user_a_id: int, user_b_id: int) -> bool:
    """Whether the two ever sat in the same game (``accounts.hooks.met``)."""
    return GamePlayer.objects.filter(
        user_id=user_a_id, game__in=GamePlayer.objects.filter(user_id=user_b_id).values("game_id")
    ).exists()
