"""The matchmaking queue: rows in the database, matched without races.

``queue_join`` works in two steps. First a short transaction records the entry and
commits it. Then the matcher runs for that mode. The matcher holds a per-mode lock
for its transaction (a PostgreSQL advisory lock; SQLite's IMMEDIATE transactions
serialise writers anyway), so matchers of one mode run one after another, and each
one reads every entry committed before it started. Every entry is committed before
its own join runs the matcher, so two compatible players can never both be missed.
Entries are claimed with ``select_for_update(skip_locked=True)``: an entry that a
concurrent ``leave`` is deleting is skipped, never matched. A matched entry is
deleted in the transaction that creates its game, so it lands in exactly one game.

The pairing (``pair_entries``) is better than FIFO: the longest-waiting player seeds
each match and takes the closest rating within a gap that widens the longer they
wait (``QUEUE_BASE_GAP`` + ``QUEUE_GAP_PER_SECOND`` x seconds waited), so matches are
fair early and nobody waits forever. A timer re-runs the matcher every second, so
widening gaps take effect without anyone new joining.

A join never waits for the lock while holding a database connection that others
need: when another matcher of the mode is running, the join raises a "run again"
flag in the shared cache and returns. A matcher clears the flag right after
taking the lock (so it reads every entry committed before the flag went up) and,
once committed, runs again if the flag went up meanwhile; nothing else clears it. So the guarantee
holds: every committed entry is seen by a matcher that starts after it.
"""

import zlib
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from game import events as game_events
from game import selectors as game_selectors
from game.models import Game
from game.modes import get_engine
from game.services import game_create  # game_create also clears queue entries
from gameplatform.errors import Conflict, NotFound
from gameplatform.realtime import send_to_user
from matchmaking.metrics import matches_made_on_commit
from matchmaking.models import QueueEntry

QUEUE_BASE_GAP = 100
QUEUE_GAP_PER_SECOND = 20
MATCH_CANDIDATES = 500
_LOCK_NAMESPACE = 0x6D6D  # "mm": the advisory-lock namespace of the queue


@dataclass(frozen=True)
class QueueStatus:
    status: str  # idle / queued / matched
    mode: str | None = None
    position: int | None = None
    game_id: int | None = None


def allowed_gap(waited_seconds: float) -> float:
    return QUEUE_BASE_GAP + QUEUE_GAP_PER_SECOND * max(0.0, waited_seconds)


def pair_entries(entries: list[QueueEntry], *, now: datetime) -> list[tuple[QueueEntry, QueueEntry]]:
    """Pairs from entries ordered oldest first: each seed takes the closest rating inside its gap."""
    waiting = list(entries)
    pairs = []
    while waiting:
        seed = waiting.pop(0)
        gap = allowed_gap((now - seed.joined_at).total_seconds())
        fits = [e for e in waiting if abs(e.rating - seed.rating) <= gap]
        if fits:
            partner = min(fits, key=lambda e: (abs(e.rating - seed.rating), e.joined_at, e.pk))
            waiting.remove(partner)
            pairs.append((seed, partner))
    return pairs


def _queueable(mode: str) -> None:
    engine = get_engine(mode)  # invalid_mode
    if not engine.MIN_PLAYERS <= 2 <= engine.MAX_PLAYERS:
        raise Conflict(f"{mode} is not played in pairs.", code="invalid_mode")


@transaction.atomic
def _enqueue(*, user_id: int, mode: str) -> None:
    in_game = game_selectors.user_unfinished_game_id(user_id=user_id)
    if in_game is not None:
        raise Conflict("You are in a game already.", code="already_in_game", extra={"game_id": in_game})
    rating = game_selectors.ratings_for(user_ids=[user_id], mode=mode)[user_id]
    entry, created = QueueEntry.objects.get_or_create(
        user_id=user_id, defaults={"mode": mode, "rating": rating, "joined_at": timezone.now()}
    )
    if not created and entry.mode != mode:
        # Switching modes is a new place at the back of the other mode's queue.
        entry.mode, entry.rating, entry.joined_at = mode, rating, timezone.now()
        entry.save(update_fields=["mode", "rating", "joined_at"])


def queue_join(*, user_id: int, mode: str) -> QueueStatus:
    """Queue the user for ``mode`` (again: nothing changes) and match whoever can be matched.

    Not one transaction on purpose: the entry must be committed before the matcher runs
    (see the module docstring).
    """
    _queueable(mode)
    _enqueue(user_id=user_id, mode=mode)
    queue_match_or_hand_over(mode=mode)
    return queue_status(user_id=user_id)


def queue_leave(*, user_id: int) -> None:
    if QueueEntry.objects.filter(user_id=user_id).delete()[0] == 0:
        raise NotFound("You are not in the queue.", code="not_queued")


def queue_forget(*, user_ids: list[int]) -> None:
    """Players who got a game another way (invite, lobby) leave the queue."""
    QueueEntry.objects.filter(user_id__in=user_ids).delete()


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
    """Match now if no other matcher of ``mode`` runs; otherwise leave it to the one that does.

    The flag goes up before the lock is tried: a matcher that holds the lock either
    has not cleared the flag yet (and then reads our entry) or sees it after its
    commit and runs again.
    """
    cache.set(_rerun_key(mode), 1, timeout=60)
    # Only a lock holder clears the flag, right after taking the lock: a flag that went up
    # later is still up after its commit (run again), or for whoever took the lock next.
    while _match(mode=mode, now=None, wait=False) is not None and cache.get(_rerun_key(mode)):
        pass


@transaction.atomic
def queue_match(*, mode: str, now: datetime | None = None) -> list[Game]:
    """Match the waiting players of ``mode`` that can be matched now; each gets ``match_found``."""
    return _match(mode=mode, now=now, wait=True)


@transaction.atomic
def _match(*, mode: str, now: datetime | None, wait: bool) -> list[Game] | None:
    """The matcher, under the mode's lock; ``None`` when ``wait`` is off and the lock is taken."""
    if not _mode_lock(mode, wait=wait):
        return None
    if not wait:
        cache.delete(_rerun_key(mode))  # what was committed before the flag went up is read below
    entries = list(
        QueueEntry.objects.select_for_update(skip_locked=True)
        .filter(mode=mode)
        .order_by("joined_at", "id")[:MATCH_CANDIDATES]
    )
    if len(entries) < 2:
        return []
    busy = game_selectors.users_in_unfinished_games(user_ids=[e.user_id for e in entries])
    if busy:  # matched meanwhile by an invite or a lobby: not queued any more
        QueueEntry.objects.filter(pk__in=[e.pk for e in entries if e.user_id in busy]).delete()
        entries = [e for e in entries if e.user_id not in busy]
    pairs = pair_entries(entries, now=now or timezone.now())
    if not pairs:
        return []
    QueueEntry.objects.filter(pk__in=[e.pk for pair in pairs for e in pair]).delete()
    games = []
    for seed, partner in pairs:
        game = game_create(mode=mode, players=[seed.user_id, partner.user_id])
        for entry in (seed, partner):
            send_to_user(entry.user_id, game_events.match_found(game.pk))
        games.append(game)
    matches_made_on_commit(mode=mode, count=len(games))
    return games


def queue_status(*, user_id: int) -> QueueStatus:
    # The game first: a join racing with the match that took this player may leave a stale
    # entry behind for a moment (the next matcher drops it); the game is what counts.
    game = game_selectors.user_unfinished_game(user_id=user_id)
    if game is not None:
        return QueueStatus(status="matched", mode=game[1], game_id=game[0])
    entry = QueueEntry.objects.filter(user_id=user_id).first()
    if entry is None:
        return QueueStatus(status="idle")
    ahead = QueueEntry.objects.filter(mode=entry.mode).filter(
        Q(joined_at__lt=entry.joined_at) | Q(joined_at=entry.joined_at, id__lt=entry.pk)
    )
    return QueueStatus(status="queued", mode=entry.mode, position=ahead.count() + 1)
