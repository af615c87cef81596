"""Reads: boards, ranks and windows of records.

A rank is 1 + the number of better rows in the same board and period: a higher (``desc``)
or lower (``asc``) score, summed from the rank buckets (``RankBucket``: at most 255 per
level, 8 levels), or the same score reached earlier (then the lower record id), counted on
the index (board, period, score, reached_at). Windows around a record read the rows next
to it on that index, so both stay fast at millions of rows.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Q, QuerySet

from accounts.models import User
from gameplatform.core.errors import ApplicationError, NotFound
from leaderboards.models import Entry, Leaderboard, Record, Tournament


@dataclass
class Row:
    rank: int
    record: Record


@dataclass
class Page:
    """Rows of a board in rank order, and whether other rows rank before and after them."""

    rows: list[Row]
    more_before: bool
    more_after: bool

    def __post_init__(self) -> None:
        # An empty page (after the last row, say) has nothing to link from.
        if not self.rows:
            self.more_before = self.more_after = False


def leaderboard_list() -> QuerySet[Leaderboard]:
    """Boards that are not a tournament's (those are listed as tournaments)."""
    return Leaderboard.objects.filter(tournament__isnull=True).order_by("id")


def leaderboard_get(*, board_id: str) -> Leaderboard:
    board = Leaderboard.objects.filter(pk=board_id).first()
    if board is None:
        raise NotFound("No such leaderboard.", code="not_found")
    return board


def period_of(*, board: Leaderboard, period: str | None) -> int:
    """``current`` (default), ``previous`` or a period number; 400 ``invalid_period``."""
    if period in (None, "", "current"):
        return board.period
    if period == "previous":
        return board.period - 1
    # ASCII digits only: str.isdigit() also takes "²" or "٣", which int() refuses; the length keeps
    # int() away from huge strings (a period counts resets, far below ten digits).
    if len(period) <= 10 and period.isascii() and period.isdigit() and int(period) <= board.period:
        return int(period)
    raise ApplicationError("period is current, previous or a past period's number.", code="invalid_period")


def _records(board: Leaderboard, period: int) -> QuerySet[Record]:
    return Record.objects.filter(board=board, period=period)


def _order(board: Leaderboard, *, reverse: bool = False) -> list[str]:
    fields = ["-score", "reached_at", "id"] if board.sort == "desc" else ["score", "reached_at", "id"]
    if reverse:
        fields = [f[1:] if f.startswith("-") else f"-{f}" for f in fields]
    return fields


def _tied_before(record: Record) -> Q:
    return Q(score=record.score) & (
        Q(reached_at__lt=record.reached_at) | Q(reached_at=record.reached_at, id__lt=record.pk)
    )


def _tied_after(record: Record) -> Q:
    return Q(score=record.score) & (
        Q(reached_at__gt=record.reached_at) | Q(reached_at=record.reached_at, id__gt=record.pk)
    )


def _better_score(board: Leaderboard, record: Record) -> Q:
    return Q(score__gt=record.score) if board.sort == "desc" else Q(score__lt=record.score)


def _worse_score(board: Leaderboard, record: Record) -> Q:
    return Q(score__lt=record.score) if board.sort == "desc" else Q(score__gt=record.score)


LEVELS = 8  # bucket levels: a bucket of level L holds the scores with one ``score >> (8 * L)``


def _better_buckets(board: Leaderboard, record: Record) -> tuple[str, list]:
    """The buckets holding exactly the better scores: at each level, the siblings on the better side.

    A better score first differs from the record's at some level's key under a common parent
    (or at the top level): it is counted in that one sibling bucket, and only there.
    """
    s, ranges, params = record.score, [], [board.pk, record.period]
    for level in range(LEVELS):
        key = s >> (8 * level)
        if level == LEVELS - 1:
            ranges.append("(level = %s AND key " + (">" if board.sort == "desc" else "<") + " %s)")
            params += [level, key]
            continue
        first = (s >> (8 * (level + 1))) << 8  # the parent's first and last child
        low, high = (key + 1, first + 255) if board.sort == "desc" else (first, key - 1)
        if low <= high:
            ranges.append("(level = %s AND key BETWEEN %s AND %s)")
            params += [level, low, high]
    where = " OR ".join(ranges)
    sql = (
        f"SELECT coalesce(sum(count), 0) FROM leaderboards_rankbucket WHERE board_id = %s AND period = %s AND ({where})"
    )
    return sql, params


def record_rank(*, board: Leaderboard, record: Record) -> int:
    """1 + the better scores (summed from the rank buckets) + the same score reached earlier.

    The bucket sum and the tied rows are read in one statement (one snapshot), so the rank is
    exact; without the buckets (not PostgreSQL) the better rows are counted.
    """
    rows = _records(board, record.period)
    tied = rows.filter(_tied_before(record))
    if connection.vendor != "postgresql":
        return 1 + rows.filter(_better_score(board, record)).count() + tied.count()
    better, better_params = _better_buckets(board, record)
    # The same rows as ``_tied_before``, written out: the statement is ours, not the ORM's text.
    tied_sql = (
        f"SELECT count(*) FROM {Record._meta.db_table} WHERE board_id = %s AND period = %s AND score = %s"
        " AND (reached_at < %s OR (reached_at = %s AND id < %s))"
    )
    tied_params = [board.pk, record.period, record.score, record.reached_at, record.reached_at, record.pk]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 + ({better}) + ({tied_sql})", [*better_params, *tied_params])
        return cursor.fetchone()[0]


def records_top(*, board: Leaderboard, period: int, limit: int) -> list[Row]:
    records = _records(board, period).select_related("user").order_by(*_order(board))[:limit]
    return [Row(rank, record) for rank, record in enumerate(records, start=1)]


def _above(board: Leaderboard, record: Record, limit: int) -> list[Record]:
    """Up to ``limit`` rows ranked before ``record``, nearest first: ties on the score, then better scores."""
    rows = _records(board, record.period).select_related("user")
    found = list(rows.filter(_tied_before(record)).order_by(*_order(board, reverse=True))[:limit])
    if len(found) < limit:
        better = rows.filter(_better_score(board, record)).order_by(*_order(board, reverse=True))
        found += list(better[: limit - len(found)])
    return found


def _below(board: Leaderboard, record: Record, limit: int) -> list[Record]:
    """Up to ``limit`` rows ranked after ``record``, nearest first: ties on the score, then worse scores."""
    rows = _records(board, record.period).select_related("user")
    found = list(rows.filter(_tied_after(record)).order_by(*_order(board))[:limit])
    if len(found) < limit:
        found += list(rows.filter(_worse_score(board, record)).order_by(*_order(board))[: limit - len(found)])
    return found


def record_of_period(*, board: Leaderboard, period: int, record_id: int) -> Record | None:
    """The record ``record_id`` if it is one of this board's in ``period`` (a page link names it)."""
    return _records(board, period).filter(pk=record_id).first()


def records_page(
    *, board: Leaderboard, period: int, limit: int, after: Record | None = None, before: Record | None = None
) -> Page:
    """The ``limit`` rows ranked after ``after``, or before ``before``, or the top. Pages follow the
    index from a record (no offset to count through), so the millionth row is as fast as the first."""
    if after is not None:
        found = _below(board, after, limit + 1)
        rank = record_rank(board=board, record=after)
        rows = [Row(rank + i, r) for i, r in enumerate(found[:limit], start=1)]
        return Page(rows, more_before=True, more_after=len(found) > limit)
    if before is not None:
        found = _above(board, before, limit + 1)
        rank = record_rank(board=board, record=before)
        rows = [Row(rank - i, r) for i, r in enumerate(found[:limit], start=1)][::-1]
        return Page(rows, more_before=len(found) > limit, more_after=True)
    rows = records_top(board=board, period=period, limit=limit + 1)
    return Page(rows[:limit], more_before=False, more_after=len(rows) > limit)


def records_page_around(*, board: Leaderboard, period: int, user_id: int, limit: int) -> Page:
    """The page of ``records_around``, and whether rows rank before and after it."""
    rows = records_around(board=board, period=period, user_id=user_id, limit=limit)
    if not rows:
        return Page([], more_before=False, more_after=False)
    return Page(rows, more_before=rows[0].rank > 1, more_after=bool(_below(board, rows[-1].record, 1)))


def records_around(*, board: Leaderboard, period: int, user_id: int, limit: int) -> list[Row]:
    """``limit`` rows with the user's in the middle (or the top when the user has no record)."""
    mine = _records(board, period).select_related("user").filter(user_id=user_id).first()
    if mine is None:
        return records_top(board=board, period=period, limit=limit)
    rank = record_rank(board=board, record=mine)
    above = _above(board, mine, limit - 1)
    below = _below(board, mine, limit - 1)
    keep_above = min(len(above), max((limit - 1) // 2, limit - 1 - len(below)))
    keep_below = min(len(below), limit - 1 - keep_above)
    window = [Row(rank - i, r) for i, r in enumerate(above[:keep_above], start=1)][::-1]
    window.append(Row(rank, mine))
    window += [Row(rank + i, r) for i, r in enumerate(below[:keep_below], start=1)]
    return window


def ranked_user_ids(*, board: Leaderboard, limit: int | None = None) -> list[int]:
    """The current period's users, best first (a tournament's standings)."""
    ids = _records(board, board.period).order_by(*_order(board)).values_list("user_id", flat=True)
    return list(ids[:limit] if limit is not None else ids)


def tournament_list() -> QuerySet[Tournament]:
    return Tournament.objects.select_related("board").order_by("-start", "board_id")


def tournament_get(*, tournament_id: str) -> Tournament:
    tournament = Tournament.objects.select_related("board").filter(pk=tournament_id).first()
    if tournament is None:
        raise NotFound("No such tournament.", code="not_found")
    return tournament


def joined_ids(*, user: User, tournament_ids: list[str]) -> set[str]:
    return set(
        Entry.objects.filter(user=user, tournament_id__in=tournament_ids).values_list("tournament_id", flat=True)
    )


def tournament_status(tournament: Tournament, now: datetime) -> str:
    if tournament.ended_at is not None:
        return "ended"
    if now < tournament.start:
        return "upcoming"
    return "open" if now < tournament.end else "paying"
