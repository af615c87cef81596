"""Every write of leaderboards and tournaments.

Records change with one ``INSERT ... ON CONFLICT DO UPDATE`` that applies the board's
operator in SQL, so racing writes of one user never lose an increment nor a better
score. Resets and tournament ends are timer jobs that act once, whichever runner gets
there first (a conditional update on the board's period; a unique payout row written
in the transaction of its ledger entry).
"""

import functools
import json
import logging
from datetime import datetime

from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from game import registry
from gameplatform.core.cron import Cron, CronError
from gameplatform.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from gameplatform.data import rawsql
from leaderboards import selectors
from leaderboards.models import Entry, Leaderboard, Payout, Record, Tournament
from notifications.services import notify
from progression.services import balance_change, player_lock
from staff import audit
from staff.permissions import role_require
from staff.roles import LIVEOPS

logger = logging.getLogger(__name__)

MAX_METADATA_BYTES = 2048
INT64 = (-(2**63), 2**63 - 1)

# The score a write leaves, by operator and sort; ``r`` is the stored row, ``EXCLUDED`` the write.
_NEW_SCORE = {
    ("best", "desc"): "CASE WHEN EXCLUDED.score > r.score THEN EXCLUDED.score ELSE r.score END",
    ("best", "asc"): "CASE WHEN EXCLUDED.score < r.score THEN EXCLUDED.score ELSE r.score END",
    ("set", "desc"): "EXCLUDED.score",
    ("set", "asc"): "EXCLUDED.score",
    ("incr", "desc"): "r.score + EXCLUDED.score",
    ("incr", "asc"): "r.score + EXCLUDED.score",
}


def next_reset(expression: str, after: datetime) -> datetime | None:
    """A board's next reset after ``after`` (None: a board that never resets); ``CronError`` when
    the expression is outside the cron subset (``gameplatform.core.cron``) or never matches."""
    return Cron.parse(expression).next_after(after) if expression else None


def _require_liveops(user: User) -> None:
    """Boards and tournaments are made by staff in the role ``liveops`` (or ``admin``): a player
    is refused ``admin_only``, staff without the role ``permission_denied``."""
    if not user.is_staff:
        raise Forbidden("Only an admin does this.", code="admin_only")
    role_require(user, LIVEOPS)


def _audit(staff: User, action: str, target_type: str, target_id: str, detail: dict) -> None:
    audit.record(
        staff=staff, action=action, target_type=target_type, target_id=target_id, target=target_id, detail=detail
    )


def leaderboard_reset_clean(reset: str | None) -> str:
    """The reset cron as stored (stripped; blank: never); 400 ``invalid_cron`` when it is not one
    that matches, so the timer never meets a cron it cannot schedule."""
    reset = (reset or "").strip()
    try:
        next_reset(reset, timezone.now())
    except CronError as exc:
        raise ApplicationError(f"reset: {exc}", code="invalid_cron") from None
    return reset


@transaction.atomic
def leaderboard_create(
    *,
    actor: User,
    id: str,
    sort: str = "desc",
    operator: str = "best",
    reset: str | None = None,
    authoritative: bool = False,
    metadata: dict | None = None,
) -> Leaderboard:
    """A new board (staff in the role ``liveops``, audited ``leaderboard.create``); 409
    ``leaderboard_exists`` when the id is taken."""
    _require_liveops(actor)
    board = _board_create(
        id=id, sort=sort, operator=operator, reset=reset, authoritative=authoritative, metadata=metadata
    )
    detail = {"sort": sort, "operator": operator, "reset": board.reset, "authoritative": authoritative}
    _audit(actor, "leaderboard.create", "leaderboard", board.pk, detail)
    return board


def _board_create(
    *, id: str, sort: str, operator: str, reset: str | None, authoritative: bool, metadata: dict | None
) -> Leaderboard:
    reset = leaderboard_reset_clean(reset)
    if Leaderboard.objects.filter(pk=id).exists():
        raise Conflict(f"A leaderboard {id!r} exists.", code="leaderboard_exists")
    now = timezone.now()
    return Leaderboard.objects.create(
        id=id,
        sort=sort,
        operator=operator,
        reset=reset,
        authoritative=authoritative,
        metadata=metadata or {},
        next_reset_at=next_reset(reset, now),
    )


EDITABLE = frozenset({"sort", "operator", "reset", "authoritative", "metadata"})


@transaction.atomic
def leaderboard_edit(*, board_id: str, **changes) -> Leaderboard:
    """An admin's edit: only the fields named change (the period and the counters stay the
    timer's and the writers'); a new ``reset`` is checked and schedules the next reset from now."""
    if not changes.keys() <= EDITABLE:
        raise ValueError(f"not editable: {sorted(changes.keys() - EDITABLE)}")
    board = Leaderboard.objects.select_for_update(no_key=True).filter(pk=board_id).first()
    if board is None:
        raise NotFound("No such leaderboard.", code="not_found")
    fields = list(changes)
    if "reset" in changes:
        changes["reset"] = leaderboard_reset_clean(changes["reset"])
        changes["next_reset_at"] = next_reset(changes["reset"], timezone.now())
        fields.append("next_reset_at")
    for field, value in changes.items():
        setattr(board, field, value)
    board.save(update_fields=fields)
    return board


@transaction.atomic
def record_write(
    *, board_id: str, user_id: int, score: int, metadata: dict | None = None, actor: User | None = None
) -> Record:
    """Write a score with the board's operator; ``actor`` None is the server (a mode's result).

    A player writes an ``authoritative`` board only as staff in the role ``liveops`` (403
    ``authoritative`` for players, ``permission_denied`` for staff without the role; audited
    ``leaderboard.record``); a tournament's board takes its entrants' records within [start, end) only.

    The board's row is locked first (``FOR NO KEY UPDATE``, until the caller's transaction
    ends): a record's write locks its row and the rank buckets of its old and new score, and
    a transaction writing several records (a game's result) would otherwise take those in an
    order that crosses another's and deadlock. Behind the board's lock, one transaction at a
    time writes the board; a transaction writing several boards writes them in id order.
    """
    board, tournament = _board_locked(board_id)
    if board is None:
        raise NotFound("No such leaderboard.", code="not_found")
    by_staff = board.authoritative and actor is not None
    if by_staff:
        if not actor.is_staff:
            raise Forbidden("Only the game server writes this leaderboard.", code="authoritative")
        role_require(actor, LIVEOPS)
    record = _record_upsert(board, tournament=tournament, user_id=user_id, score=score, metadata=metadata)
    if by_staff:
        _audit(actor, "leaderboard.record", "leaderboard", board.pk, {"user_id": user_id, "score": score})
    return record


# The board a write locks, and its tournament's window: read by hand (``gameplatform.data.rawsql``), as
# every rated game's result locks its mode's board here, and the ORM built the locking join on
# every call, about a fifth of a result's CPU (``bench/game_boundaries.py --board``). The board's
# JSON ``metadata`` is left deferred: a cursor hands back its text, not the ORM's value.
BOARD_READ = [f.attname for f in Leaderboard._meta.concrete_fields if f.name != "metadata"]
TOURNAMENT_READ = ["board_id", "start", "end"]


def _board_locked(board_id: str) -> tuple[Leaderboard | None, Tournament | None]:
    """The board, its row locked until the transaction ends (see ``record_write``), and its
    tournament if it is one's; (None, None) for no such board."""
    key = rawsql.column(Leaderboard._meta.pk)
    found = rawsql.instances(Leaderboard, BOARD_READ, f"{key} = %s", [board_id], lock=True, no_key=True)
    if not found:
        return None, None
    of_board = rawsql.column(Tournament._meta.get_field("board"))
    tournament = rawsql.instances(Tournament, TOURNAMENT_READ, f"{of_board} = %s", [board_id])
    return found[0], (tournament[0] if tournament else None)


def _record_upsert(
    board: Leaderboard, *, tournament: Tournament | None, user_id: int, score: int, metadata: dict | None
) -> Record:
    """One player's score on a board already locked by this transaction, with its operator."""
    now = timezone.now()
    if tournament is not None:
        if not tournament.start <= now < tournament.end:
            raise Conflict("This tournament takes no records now.", code="tournament_closed")
        if not Entry.objects.filter(tournament=tournament, user_id=user_id).exists():
            raise Forbidden("Join the tournament first.", code="not_entered")
    metadata = metadata or {}
    encoded = json.dumps(metadata, separators=(",", ":"))
    if len(encoded.encode()) > MAX_METADATA_BYTES:
        raise ApplicationError("metadata is larger than 2 KiB.", code="metadata_too_large")
    if not INT64[0] <= score <= INT64[1]:
        raise ApplicationError("score is not a 64-bit integer.", code="score_out_of_range")
    new_score = _NEW_SCORE[(board.operator, board.sort)]
    changed = f"({new_score}) <> r.score"
    replaces = "TRUE" if board.operator != "best" else changed
    postgres = connection.vendor == "postgresql"
    jsonb = "::jsonb" if postgres else ""
    inserted = "(xmax = 0)" if postgres else "FALSE"  # PostgreSQL: a new row, not an update
    sql = f"""
        INSERT INTO leaderboards_record AS r (board_id, period, user_id, score, metadata, reached_at, updated_at)
        VALUES (%s, %s, %s, %s, %s{jsonb}, %s, %s)
        ON CONFLICT (board_id, period, user_id) DO UPDATE SET
            score = {new_score},
            metadata = CASE WHEN {replaces} THEN EXCLUDED.metadata ELSE r.metadata END,
            reached_at = CASE WHEN {changed} THEN EXCLUDED.reached_at ELSE r.reached_at END,
            updated_at = CASE WHEN {replaces} THEN EXCLUDED.updated_at ELSE r.updated_at END
        RETURNING id, score, CAST(metadata AS TEXT), reached_at, updated_at, {inserted}
    """
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [board.pk, board.period, user_id, score, encoded, now, now])
            record_id, kept, kept_metadata, reached_at, updated_at, inserted = cursor.fetchone()
            if not isinstance(kept, int):  # SQLite turns a sum past 64 bits into a float where PostgreSQL refuses it
                raise DataError("integer out of range")
            if inserted:  # counted with the insert; a reset in between zeroed the counter of a new period
                Leaderboard.objects.filter(pk=board.pk, period=board.period).update(record_count=F("record_count") + 1)
    except DataError:
        raise ApplicationError("The score would leave the 64-bit range.", code="score_out_of_range") from None
    return Record(
        id=record_id,
        board=board,
        period=board.period,
        user_id=user_id,
        score=kept,
        metadata=json.loads(kept_metadata),
        reached_at=reached_at,
        updated_at=updated_at,
    )


@functools.cache
def _warn_missing_board(board_id: str) -> None:
    """Said once per process: a mode names a board that was never made (``seed_demo`` makes the
    built-in modes' boards; a studio makes its own in the admin or through the API)."""
    logger.warning("mode leaderboard %r does not exist: game results are not recorded on it", board_id)


def game_result_feed(*, game_id: int, mode: str, winner: int | None, scores: dict[int, int], user_ids: list[int], **_):
    """A finished game's players on the board their mode names (``Mode.leaderboard``).

    With scores in the result, each player's score is written with the board's operator;
    without, the winner gets 1 (a win count on an ``incr`` board). Runs in the game's
    transaction: a rule the board refuses (a tournament the player did not enter) skips
    that player and never undoes the result. The board's row is locked once for all the players
    and stays locked (as in ``record_write``) until the game's transaction ends, so other results
    and writes of the board wait their turn instead of deadlocking on its rank buckets. A board
    the mode names but nobody made is warned about once per process, not at every game.
    """
    board_id = getattr(registry.get_mode(mode), "leaderboard", None)
    if not board_id:
        return
    writes = {uid: scores[uid] for uid in user_ids if uid in scores} if scores else {}
    if not scores and winner is not None:
        writes = {winner: 1}
    if not writes:
        return
    board, tournament = _board_locked(board_id)  # once for all the players, as record_write would each time
    if board is None:
        _warn_missing_board(board_id)
        return
    for user_id, score in sorted(writes.items()):
        try:  # a refusal comes before its write (or rolls its own write back): the others stand
            metadata = {"game_id": game_id}
            _record_upsert(board, tournament=tournament, user_id=user_id, score=int(score), metadata=metadata)
        except ApplicationError as exc:
            logger.info("game %s: board %s refused user %s: %s", game_id, board_id, user_id, exc.code)


# --- resets --------------------------------------------------------------------------


def leaderboard_reset(*, board_id: str, period: int, now: datetime | None = None) -> bool:
    """Archive ``period`` and start an empty one, once: only the update that moves the counter acts."""
    now = now or timezone.now()
    board = Leaderboard.objects.get(pk=board_id)
    return (
        Leaderboard.objects.filter(pk=board_id, period=period).update(
            period=period + 1,
            period_started_at=now,
            next_reset_at=next_reset(board.reset, now),
            record_count=0,
        )
        == 1
    )


def leaderboards_reset_due(*, now: datetime | None = None) -> int:
    """Every board whose cron time has come starts a new period; returns how many this runner moved."""
    now = now or timezone.now()
    due = Leaderboard.objects.filter(next_reset_at__lte=now).values_list("pk", "period")
    return sum(leaderboard_reset(board_id=pk, period=period, now=now) for pk, period in due)


# --- tournaments ---------------------------------------------------------------------


@transaction.atomic
def tournament_create(
    *,
    actor: User,
    id: str,
    start: datetime,
    end: datetime,
    title: str = "",
    sort: str = "desc",
    operator: str = "best",
    authoritative: bool = False,
    metadata: dict | None = None,
    max_entries: int | None = None,
    entry_fee: int = 0,
    rewards: list[dict] | None = None,
) -> Tournament:
    """A time-boxed board with its fee and rewards (staff in the role ``liveops``, audited
    ``tournament.create`` with the rewards it will pay)."""
    _require_liveops(actor)
    if end <= start:
        raise ApplicationError("end must be after start.", code="invalid_window")
    board = _board_create(
        id=id, sort=sort, operator=operator, reset=None, authoritative=authoritative, metadata=metadata
    )
    tournament = Tournament.objects.create(
        board=board,
        title=title,
        start=start,
        end=end,
        max_entries=max_entries,
        entry_fee=entry_fee,
        rewards=rewards or [],
    )
    detail = {
        "title": title,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "max_entries": max_entries,
        "entry_fee": entry_fee,
        "rewards": tournament.rewards,
    }
    _audit(actor, "tournament.create", "tournament", board.pk, detail)
    return tournament


@transaction.atomic
def tournament_join(*, tournament_id: str, user: User) -> tuple[Entry, bool]:
    """Enter once, paying the fee once; the last seat goes once (the tournament row is locked)."""
    tournament = Tournament.objects.select_for_update(no_key=True).filter(pk=tournament_id).first()
    if tournament is None:
        raise NotFound("No such tournament.", code="not_found")
    if timezone.now() >= tournament.end:
        raise Conflict("This tournament is over.", code="tournament_over")
    entry = Entry.objects.filter(tournament=tournament, user=user).first()
    if entry is not None:
        return entry, False
    if tournament.max_entries is not None and tournament.entry_count >= tournament.max_entries:
        raise Conflict("This tournament is full.", code="tournament_full")
    if tournament.entry_fee:
        player = player_lock(user_id=user.pk)
        if player.gold < tournament.entry_fee:
            raise ApplicationError(
                f"The entry fee is {tournament.entry_fee} gold; you have {player.gold}.",
                code="insufficient_funds",
                status_code=402,
            )
        balance_change(
            player=player,
            reason="tournament_entry",
            reference=f"tournament:{tournament.pk}",
            gold=-tournament.entry_fee,
        )
    entry = Entry.objects.create(tournament=tournament, user=user, fee_paid=tournament.entry_fee)
    Tournament.objects.filter(pk=tournament.pk).update(entry_count=F("entry_count") + 1)
    return entry, True


def _reward_for(rewards: list[dict], rank: int) -> int:
    return next((int(r["gold"]) for r in rewards if r["rank_from"] <= rank <= r["rank_to"]), 0)


def tournament_pay(*, tournament_id: str) -> int:
    """Pay the rewards by rank, each in its own transaction with its unique payout row, then end.

    A runner killed midway leaves the payouts it committed; the next run skips them (the
    unique row refuses a second one) and pays the rest. Returns the payouts this run made.
    """
    tournament = Tournament.objects.get(pk=tournament_id)
    if tournament.ended_at is not None:
        return 0
    paid = 0
    top = max((int(r["rank_to"]) for r in tournament.rewards), default=0)
    for rank, user_id in enumerate(selectors.ranked_user_ids(board=tournament.board, limit=top), start=1):
        gold = _reward_for(tournament.rewards, rank)
        if not gold:
            continue
        try:
            with transaction.atomic():
                Payout.objects.create(tournament=tournament, user_id=user_id, rank=rank, gold=gold)
                player = player_lock(user_id=user_id)
                balance_change(
                    player=player, reason="tournament_reward", reference=f"tournament:{tournament.pk}", gold=gold
                )
        except IntegrityError:
            continue  # paid already, by an earlier run or another runner
        paid += 1
    _tournament_end(tournament=tournament)
    return paid


@transaction.atomic
def _tournament_end(*, tournament: Tournament) -> None:
    """Mark it ended once and tell every entrant their place (a ``notification`` frame)."""
    if Tournament.objects.filter(pk=tournament.pk, ended_at__isnull=True).update(ended_at=timezone.now()) != 1:
        return
    payouts = {p.user_id: p for p in Payout.objects.filter(tournament=tournament)}
    ranks = {uid: rank for rank, uid in enumerate(selectors.ranked_user_ids(board=tournament.board), start=1)}
    for user_id in Entry.objects.filter(tournament=tournament).values_list("user_id", flat=True):
        payout = payouts.get(user_id)
        notify(
            user_id=user_id,
            kind="tournament_ended",
            payload={
                "tournament": tournament.pk,
                "title": tournament.title,
                "rank": ranks.get(user_id),
                "gold": payout.gold if payout else 0,
            },
        )


def tournaments_end_due(*, now: datetime | None = None) -> int:
    """Tournaments past their end are paid and ended (the timer job); returns payouts made."""
    now = now or timezone.now()
    due = Tournament.objects.filter(end__lte=now, ended_at__isnull=True).values_list("pk", flat=True)
    return sum(tournament_pay(tournament_id=pk) for pk in due)
