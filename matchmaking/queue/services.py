"""The matchmaking queue: rows in the database, matched without races.

``queue_join`` works in two steps. First one statement records the entry and commits
it (autocommit). Then the matcher runs for that mode. The matcher holds a per-mode lock
for its transaction (a PostgreSQL advisory lock; SQLite's IMMEDIATE transactions
serialise writers anyway), so matchers of one mode run one after another, and each
one reads every entry committed before it started. Every entry is committed before
its own join runs the matcher, so two compatible players can never both be missed.
Entries are claimed with ``select_for_update(skip_locked=True)``: an entry that a
concurrent ``leave`` is deleting is skipped, never matched. A matched entry is
deleted in the transaction that creates its game, so it lands in exactly one game.

The grouping (``group_entries``) is better than FIFO: the longest-waiting player seeds
each match and takes the closest ratings within a gap that widens the longer they
wait (``QUEUE_BASE_GAP`` + ``QUEUE_GAP_PER_SECOND`` x seconds waited), so matches are
fair early and nobody waits forever. A two-player mode is matched in pairs
(``pair_entries``), each pair at once. A mode for more (``max_players`` > 2) is matched in
groups of ``min_players`` to ``max_players``: a full group starts at once, a smaller one
once its seed has waited ``QUEUE_FILL_SECONDS`` (the fill window), fewer than
``min_players`` keep waiting. A timer re-runs the matcher every second, so widening gaps
and ending fill windows take effect without anyone new joining.

Only players who are still there are matched (``_present``): a player is there while a socket
of theirs is open on a running server process (``gameplatform.sockets.presence.live_ids``: a killed
process's sockets stop counting within seconds), or while their last join or status request is
less than ``QUEUE_ALIVE_SECONDS`` old (a client that queued over REST and polls the status). The
entry's ``seen_at`` is the last time either was known; the timer ``queue_drop_absent`` (every
second) looks at the entries not seen for ``QUEUE_ALIVE_SECONDS`` and drops those whose player
has no live socket, and the matcher checks its candidates the same way before it groups them.
The drop is a conditional delete of rows no matcher holds (``skip_locked``: that player is being
matched) that are still unseen (a status request just now keeps its player); it holds no row
while it asks presence. A row that a status request or the drop is writing at the instant a
matcher reads is skipped by that matcher like a leaving one: the next round (the timer's, a
second later) takes it.

A match whose room calls it off before the start (a player never came within the match's
connect window, ``MATCH_CONNECT_SECONDS``, or left) puts the players who stayed back in the
queue with the wait they had (``queue_take_back``): ahead of everyone who joined after them.

A join never waits for the lock while holding a database connection that others
need: when another matcher of the mode is running, the join raises a "run again"
flag in the shared cache and returns. A matcher clears the flag right after
taking the lock (so it reads every entry committed before the flag went up) and,
once committed, runs again if the flag went up meanwhile; nothing else clears it. So the guarantee
holds: every committed entry is seen by a matcher that starts after it.
"""

import bisect
import heapq
import logging
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Func, OuterRef, Q, Subquery
from django.utils import timezone

from game import events as game_events
from game import selectors as game_selectors
from game.models import Game
from game.registry import get_mode, modes
from game.services import game_create_many  # it also clears the players' queue entries
from gameplatform.broadcast.realtime import send_to_user
from gameplatform.core.cache import cache
from gameplatform.core.errors import Conflict, NotFound
from gameplatform.data import rawsql
from gameplatform.sockets import presence
from matchmaking.metrics import called_off_on_commit, matches_made_on_commit, queue_dropped_on_commit
from matchmaking.models import QueueEntry

logger = logging.getLogger(__name__)

QUEUE_BASE_GAP = 100
QUEUE_GAP_PER_SECOND = 20
MATCH_CANDIDATES = 500
ABSENT_BATCH = 500  # entries one pass of ``queue_drop_absent`` looks at
SEEN_REFRESH_SECONDS = 1.0  # a status request refreshes ``seen_at`` at most this often
_LOCK_NAMESPACE = 0x6D6D  # "mm": the advisory-lock namespace of the queue


@dataclass(frozen=True)
class QueueStatus:
    status: str  # idle / queued / matched
    mode: str | None = None
    position: int | None = None
    game_id: int | None = None


def allowed_gap(waited_seconds: float) -> float:
    return QUEUE_BASE_GAP + QUEUE_GAP_PER_SECOND * max(0.0, waited_seconds)


class _Waiting:
    """The players still waiting in one matcher round; the nearest rating to a seed in O(log n).

    One heap per rating (longest wait on top; taken ones are dropped when they surface) and the
    ratings somebody still waits with, sorted, searched by bisection.
    """

    def __init__(self, entries: list[QueueEntry]) -> None:
        self.entries = entries
        self.heaps: dict[int, list[tuple]] = {}
        for index, entry in enumerate(entries):
            # The index breaks ties between equal keys by list order, as ``min`` would.
            self.heaps.setdefault(entry.rating, []).append((entry.joined_at, entry.pk or 0, index))
        for heap in self.heaps.values():
            heapq.heapify(heap)
        self.live = {rating: len(heap) for rating, heap in self.heaps.items()}
        self.ratings = sorted(self.heaps)
        self.taken = [False] * len(entries)

    def take(self, index: int) -> None:
        self.taken[index] = True
        rating = self.entries[index].rating
        self.live[rating] -= 1
        if not self.live[rating]:
            self.ratings.pop(bisect.bisect_left(self.ratings, rating))

    def _first_waiting(self, rating: int) -> tuple:
        heap = self.heaps[rating]
        while self.taken[heap[0][2]]:
            heapq.heappop(heap)
        return heap[0]

    def nearest(self, rating: int, gap: float) -> int | None:
        """The waiting entry closest to ``rating`` within ``gap`` (ties: the longer wait, then the lower id)."""
        at = bisect.bisect_left(self.ratings, rating)
        nearest = self.ratings[max(0, at - 1) : at + 1]  # the closest rating below and the closest at or above
        if not nearest:
            return None
        distance = min(abs(r - rating) for r in nearest)
        if distance > gap:
            return None
        return min(self._first_waiting(r) for r in nearest if abs(r - rating) == distance)[2]


def group_entries(
    entries: list[QueueEntry], *, now: datetime, min_players: int, max_players: int, fill_seconds: float
) -> list[list[QueueEntry]]:
    """Groups from entries ordered oldest first, each seed first; the rule for every mode.

    Every seed still waiting, longest wait first, takes the closest ratings inside its gap, one
    by one (``min(fits, key=(rating gap, joined_at, id))`` each time), up to ``max_players``.
    A full group starts at once; a group of at least ``min_players`` starts once its seed has
    waited ``fill_seconds``; a smaller one starts nothing. The players a seed took stay held
    for it this round, started or not: a group filling around the longest wait is not raided
    by younger seeds (the next round, a second later, groups again from scratch). For a
    two-player mode this is exactly ``pair_entries``.
    """
    waiting = _Waiting(entries)
    groups = []
    for index, seed in enumerate(entries):
        if waiting.taken[index]:
            continue
        waiting.take(index)
        waited = (now - seed.joined_at).total_seconds()
        gap = allowed_gap(waited)
        group = [seed]
        while len(group) < max_players and (other := waiting.nearest(seed.rating, gap)) is not None:
            waiting.take(other)
            group.append(entries[other])
        if len(group) == max_players or (len(group) >= min_players and waited >= fill_seconds):
            groups.append(group)
    return groups


def pair_entries(entries: list[QueueEntry], *, now: datetime) -> list[tuple[QueueEntry, QueueEntry]]:
    """Pairs from entries ordered oldest first: each seed takes the closest rating inside its gap.

    Ties go to the longer wait, then the lower id. In O(n log n) (``_Waiting``); the pairs are
    those of the plain reading "every remaining seed takes ``min(fits, key=(rating gap,
    joined_at, id))``": ``group_entries`` for two players, where every group is full.
    """
    groups = group_entries(entries, now=now, min_players=2, max_players=2, fill_seconds=0)
    return [(seed, partner) for seed, partner in groups]


def _queueable(mode: str) -> None:
    get_mode(mode)  # invalid_mode; any listed mode is queued (its groups: min_players to max_players)


def _enqueue(*, user_id: int, mode: str) -> None:
    """Record the entry, committed at once: one INSERT ... ON CONFLICT, no transaction around it.

    A first join inserts; re-joining the same mode changes nothing (your place is kept);
    switching modes is a new place at the back of the other mode's queue. The checks before
    it need no transaction: a game made for the player meanwhile (an invite, a lobby) leaves
    at worst an entry behind that the next matcher drops (it never matches a busy player).
    """
    in_game = game_selectors.user_unfinished_game_id(user_id=user_id)
    if in_game is not None:
        raise Conflict("You are in a game already.", code="already_in_game", extra={"game_id": in_game})
    rating = game_selectors.ratings_for(user_ids=[user_id], mode=mode)[user_id]
    opts = QueueEntry._meta
    table = f'"{opts.db_table}"'
    fields = [opts.get_field(name) for name in ("user", "mode", "rating", "joined_at", "seen_at", "missed_at")]
    user, mode_, rating_, joined, seen, missed = (rawsql.column(field) for field in fields)
    now = fields[3].get_db_prep_value(timezone.now(), connection)

    def when_other_mode(column: str) -> str:  # the new value for another mode, the kept one for the same
        return f"CASE WHEN {table}.{mode_} <> excluded.{mode_} THEN excluded.{column} ELSE {table}.{column} END"

    with connection.cursor() as cursor:  # the same statement in PostgreSQL and SQLite
        cursor.execute(
            f"INSERT INTO {table} ({user}, {mode_}, {rating_}, {joined}, {seen}) VALUES (%s, %s, %s, %s, %s)"
            f" ON CONFLICT ({user}) DO UPDATE SET {rating_} = {when_other_mode(rating_)},"
            f" {joined} = {when_other_mode(joined)}, {mode_} = excluded.{mode_}, {seen} = excluded.{seen},"
            f" {missed} = NULL",
            [user_id, mode, rating, now, now],
        )


def queue_join(*, user_id: int, mode: str) -> QueueStatus:
    """Queue the user for ``mode`` (again: nothing changes) and match whoever can be matched.

    Not one transaction on purpose: the entry must be committed before the matcher runs
    (see the module docstring).
    """
    _queueable(mode)
    _enqueue(user_id=user_id, mode=mode)
    game = _match_or_hand_over(mode=mode).get(user_id)
    if game is not None:  # this join's own matcher seated the player: nothing to read back
        return QueueStatus(status="matched", mode=game.mode, game_id=game.pk)
    return queue_status(user_id=user_id)


def queue_leave(*, user_id: int) -> None:
    if QueueEntry.objects.filter(user_id=user_id).delete()[0] == 0:
        raise NotFound("You are not in the queue.", code="not_queued")


def queue_forget(*, user_ids: list[int]) -> None:
    """Players who got a game (the queue's own matcher, an invite, a lobby) leave the queue."""
    QueueEntry.objects.filter(user_id__in=user_ids).delete()


# --- who is still there ------------------------------------------------------------------


_presence_away = False  # the drop timer found presence unavailable at its last look (logged once)


def _seen_before() -> datetime:
    """Entries last seen before this need a live socket to stay (real time, whatever a test's ``now``)."""
    return timezone.now() - timedelta(seconds=settings.QUEUE_ALIVE_SECONDS)


def _present(entries: list[QueueEntry]) -> tuple[list[QueueEntry], list[QueueEntry]]:
    """``entries`` split into the players still there and those gone (not seen for
    ``QUEUE_ALIVE_SECONDS`` and no socket on a running process). The ones found by their socket
    are seen now (``seen_at``), so each entry is asked about at most once per ``QUEUE_ALIVE_SECONDS``.
    One presence read (two Redis round trips) for any number."""
    cutoff = _seen_before()
    unsure = [entry for entry in entries if entry.seen_at < cutoff]
    if not unsure:
        return entries, []
    try:
        live = presence.live_ids([entry.user_id for entry in unsure])
    except Exception:  # Redis cannot be reached: nobody is taken for gone without a sign of it
        logger.warning("presence unavailable: the matcher takes its candidates as there", exc_info=True)
        return entries, []
    seen = [entry.pk for entry in unsure if entry.user_id in live]
    if seen:
        QueueEntry.objects.filter(pk__in=seen).update(seen_at=timezone.now(), missed_at=None)
    gone = {entry.pk for entry in unsure if entry.user_id not in live}
    missed = [pk for pk in gone if next(e for e in entries if e.pk == pk).missed_at is None]
    if missed:  # the timer's next look decides (``queue_drop_absent``)
        QueueEntry.objects.filter(pk__in=missed).update(missed_at=timezone.now())
    return [e for e in entries if e.pk not in gone], [e for e in entries if e.pk in gone]


def queue_drop_absent() -> int:
    """One pass of the timer: the entries not seen for ``QUEUE_ALIVE_SECONDS`` (at most
    ``ABSENT_BATCH``, the longest unseen first) whose player has no live socket leave the queue.

    The entries are read without a lock and presence is asked outside any transaction, so a
    matcher never finds these rows held while Redis answers. Then two statements, each its own
    transaction: the players found live are seen now, and the others are deleted only if they
    are still unseen (a status request meanwhile keeps its player) and not held by a matcher
    (``skip_locked``: that player is being matched; the next pass looks again if not). Returns
    how many left."""
    global _presence_away
    entries = list(QueueEntry.objects.filter(seen_at__lt=_seen_before()).order_by("seen_at", "id")[:ABSENT_BATCH])
    if not entries:
        return 0
    try:
        live = presence.live_ids([entry.user_id for entry in entries])
    except Exception:  # Redis away: nobody is taken for gone; said once an outage, not every second
        if not _presence_away:
            logger.warning("presence unavailable: nobody leaves the queue until it is back", exc_info=True)
        _presence_away = True
        return 0
    _presence_away = False
    now, cutoff = timezone.now(), _seen_before()
    seen = [entry.pk for entry in entries if entry.user_id in live]
    if seen:
        QueueEntry.objects.filter(pk__in=seen, seen_at__lt=cutoff).update(seen_at=now, missed_at=None)
    # A first look that finds no socket marks the entry; a second one at least QUEUE_MISS_SECONDS
    # later drops it (a client reconnecting through a deploy, a Redis back empty keep their place).
    first = [entry.pk for entry in entries if entry.user_id not in live and entry.missed_at is None]
    if first:
        QueueEntry.objects.filter(pk__in=first, seen_at__lt=cutoff, missed_at=None).update(missed_at=now)
    missed_before = now - timedelta(seconds=settings.QUEUE_MISS_SECONDS)
    gone = [
        entry.pk
        for entry in entries
        if entry.user_id not in live and entry.missed_at is not None and entry.missed_at <= missed_before
    ]
    if not gone:
        return 0
    with transaction.atomic():
        unheld = QueueEntry.objects.select_for_update(skip_locked=True).filter(
            pk__in=gone, seen_at__lt=cutoff, missed_at__lte=missed_before
        )
        dropped = QueueEntry.objects.filter(pk__in=list(unheld.values_list("pk", flat=True))).delete()[0]
        queue_dropped_on_commit(count=dropped)
    return dropped


def queue_take_back(*, game_id: int, mode: str, stayed: list[tuple[int, datetime | None]]) -> None:
    """A match called off before its start (``game.hooks.game_called_off``): its players who
    stayed go back to the queue with the wait they had (their ``joined_at``), so they come before
    everyone who joined after them, and hear ``match_cancelled``; after commit the matcher runs
    for the mode, so they are matched again at once when someone fits. The player who did not
    come is not taken back; a seat the queue did not fill (``queued_at`` None) is left alone."""
    back = {user_id: queued_at for user_id, queued_at in stayed if queued_at is not None}
    if not back or mode not in modes():
        return
    ratings = game_selectors.ratings_for(user_ids=list(back), mode=mode)
    # Taken back by the server is no sign of life: each stays while a socket of theirs is open
    # (their client follows the match to the next one), not for a status request's window.
    unseen = _seen_before() - timedelta(seconds=1)
    QueueEntry.objects.bulk_create(
        [
            QueueEntry(user_id=uid, mode=mode, rating=ratings[uid], joined_at=joined, seen_at=unseen)
            for uid, joined in sorted(back.items())
        ],
        ignore_conflicts=True,  # queued again meanwhile: that place stands
    )
    for user_id in sorted(back):
        send_to_user(user_id, game_events.match_cancelled(game_id, "no_show"))
    called_off_on_commit(mode=mode)
    transaction.on_commit(lambda: queue_match_or_hand_over(mode=mode), robust=True)


def _mode_lock(mode: str, *, wait: bool = True) -> bool:
    """Take the mode's matcher lock for this transaction; without ``wait``, only if it is free."""
    if connection.vendor != "postgresql":
        return True  # SQLite: IMMEDIATE transactions serialise writers already
    key = zlib.crc32(mode.encode()) & 0x7FFFFFFF
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, key])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, key])
        return cursor.fetchone()[0]


def _rerun_key(mode: str) -> str:
    return f"mm:rerun:{mode}"


def queue_match_or_hand_over(*, mode: str) -> None:
    """Match now if no other matcher of ``mode`` runs; otherwise leave it to the one that does."""
    _match_or_hand_over(mode=mode)


def _match_or_hand_over(*, mode: str) -> dict[int, Game]:
    """``queue_match_or_hand_over``; returns the players its matcher runs seated (user id -> game).

    The flag goes up before the lock is tried: a matcher that holds the lock either
    has not cleared the flag yet (and then reads our entry) or sees it after its
    commit and runs again.
    """
    cache.set(_rerun_key(mode), 1, timeout=60)
    seated: dict[int, Game] = {}
    # Only a lock holder clears the flag, right after taking the lock: a flag that went up
    # later is still up after its commit (run again), or for whoever took the lock next.
    while (round_seated := _match(mode=mode, now=None, wait=False)) is not None:
        seated.update(round_seated)
        if not cache.get(_rerun_key(mode)):
            break
    return seated


@transaction.atomic
def queue_match(*, mode: str, now: datetime | None = None) -> list[Game]:
    """Match the waiting players of ``mode`` that can be matched now; each gets ``match_found``."""
    seated = _match(mode=mode, now=now, wait=True)
    return list({game.pk: game for game in seated.values()}.values())


@transaction.atomic
def _match(*, mode: str, now: datetime | None, wait: bool) -> dict[int, Game] | None:
    """The matcher, under the mode's lock: the players it seated (user id -> game).

    ``None`` when ``wait`` is off and the lock is taken. A handful of statements whatever
    the number of groups: all the games are made by one ``game_create_many``.
    """
    if not _mode_lock(mode, wait=wait):
        return None
    if not wait:
        cache.delete(_rerun_key(mode))  # what was committed before the flag went up is read below
    entries = list(
        QueueEntry.objects.select_for_update(skip_locked=True)
        .filter(mode=mode)
        .order_by("joined_at", "id")[:MATCH_CANDIDATES]
    )
    spec = get_mode(mode)
    if len(entries) < spec.min_players:
        return {}
    busy = game_selectors.users_in_unfinished_games(user_ids=[e.user_id for e in entries])
    if busy:  # matched meanwhile by an invite or a lobby: not queued any more
        QueueEntry.objects.filter(pk__in=[e.pk for e in entries if e.user_id in busy]).delete()
        entries = [e for e in entries if e.user_id not in busy]
    entries, _ = _present(entries)  # no socket of theirs: not matched (the timer drops them at a second look)
    groups = group_entries(
        entries,
        now=now or timezone.now(),
        min_players=spec.min_players,
        max_players=spec.max_players,
        fill_seconds=settings.QUEUE_FILL_SECONDS,
    )
    if not groups:
        return {}
    # The matched entries (locked above) are deleted in this transaction by game_create_many's
    # game_created hook (queue_forget), so each player lands in exactly one game.
    games = game_create_many(
        mode=mode,
        groups=[[entry.user_id for entry in group] for group in groups],
        connect_seconds=settings.MATCH_CONNECT_SECONDS,
        queued_at={entry.user_id: entry.joined_at for group in groups for entry in group},
    )
    seated: dict[int, Game] = {}
    for game, group in zip(games, groups, strict=True):
        for entry in group:
            send_to_user(entry.user_id, game_events.match_found(game.pk))
            seated[entry.user_id] = game
    matches_made_on_commit(mode=mode, count=len(games))
    return seated


def queue_status(*, user_id: int) -> QueueStatus:
    # The entry (with its place, in one statement) before the game: a match committing in
    # between (game in, entry out) is then seen as the game, never as idle. The game counts
    # over the entry: a join racing with the match that took this player may leave a stale
    # entry behind for a moment (the next matcher drops it).
    ahead = (
        QueueEntry.objects.filter(mode=OuterRef("mode"))
        .filter(Q(joined_at__lt=OuterRef("joined_at")) | Q(joined_at=OuterRef("joined_at"), id__lt=OuterRef("id")))
        .order_by()
        .values(n=Func(F("id"), function="COUNT"))
    )
    # Asking is a sign of life (a client that queued over REST and polls): at most one write a second.
    now = timezone.now()
    QueueEntry.objects.filter(user_id=user_id, seen_at__lt=now - timedelta(seconds=SEEN_REFRESH_SECONDS)).update(
        seen_at=now, missed_at=None
    )
    entry = QueueEntry.objects.filter(user_id=user_id).values_list("mode", Subquery(ahead)).first()
    game = game_selectors.user_unfinished_game(user_id=user_id)
    if game is not None:
        return QueueStatus(status="matched", mode=game[1], game_id=game[0])
    if entry is None:
        return QueueStatus(status="idle")
    return QueueStatus(status="queued", mode=entry[0], position=entry[1] + 1)
