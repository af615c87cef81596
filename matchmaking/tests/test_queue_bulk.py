"""The matcher in bulk: a round is a handful of statements whatever the number of pairs,
the pairing is the plain greedy one, and a join takes few round trips."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from game import events as game_events
from game.models import Game, GamePlayer, Rating
from game.timers import abandon_unclaimed_games
from matchmaking.models import QueueEntry
from matchmaking.queue.services import allowed_gap, pair_entries, queue_join, queue_match, queue_status

LATER = timedelta(seconds=31)  # past the default RECONNECT_GRACE_SECONDS (30)
FIRST_WINDOW_OVER = timedelta(seconds=61)  # past the default FIRST_CONNECT_GRACE_SECONDS (60)


def queue(users, *, mode="tictactoe", rating=1000, joined_at=None):
    joined_at = joined_at or timezone.now()
    QueueEntry.objects.bulk_create([QueueEntry(user=u, mode=mode, rating=rating, joined_at=joined_at) for u in users])


@pytest.mark.django_db(transaction=True)
def test_a_matcher_round_of_fifty_games_is_a_handful_of_queries_and_seats_everyone_once(make_user, monkeypatch):
    users = [make_user() for _ in range(100)]
    joined = timezone.now()
    queue(users, joined_at=joined)
    sent = []
    monkeypatch.setattr("matchmaking.queue.services.send_to_user", lambda uid, payload: sent.append((uid, payload)))
    with CaptureQueriesContext(connection) as ctx:
        with transaction.atomic():  # the matcher's transaction reads the clock long before it commits
            with mock.patch("django.utils.timezone.now", return_value=joined - timedelta(minutes=5)):
                games = queue_match(mode="tictactoe", now=joined)
            committing = timezone.now()
    assert len(games) == 50
    # The per-game loop took five statements per game (250 here); now: savepoints, the lock, the
    # entries, the busy check, one INSERT of games, one of seats, one DELETE.
    assert len(ctx.captured_queries) <= 15
    seats = dict(GamePlayer.objects.values_list("user_id", "game_id"))
    assert set(seats) == {u.pk for u in users} and len(GamePlayer.objects.all()) == 100
    assert set(Counter(seats.values()).values()) == {2} and set(seats.values()) == {g.pk for g in games}
    assert sorted(sent) == sorted((uid, game_events.match_found(game_id)) for uid, game_id in seats.items())
    assert not QueueEntry.objects.exists()
    # Nobody came: once the first-connect grace is over, the timer abandons the fifty games.
    assert abandon_unclaimed_games(now=committing + LATER) == 0
    assert set(Game.objects.values_list("state", flat=True)) == {"waiting_for_players"}
    assert abandon_unclaimed_games(now=committing + FIRST_WINDOW_OVER) == 50


# --- the pairing ----------------------------------------------------------------------


def pair_entries_by_the_book(entries, *, now):
    """The pairing as first written (quadratic): the reference the fast one must equal."""
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


def test_pairing_makes_exactly_the_pairs_of_the_plain_greedy_reading():
    now = datetime(2025, 1, 1, tzinfo=UTC)
    rng = random.Random(7)
    for _ in range(2000):
        n = rng.randint(0, 40)
        spread, waits = rng.choice([0, 5, 60, 300, 2000]), rng.choice([0, 3, 40])
        ids = rng.sample(range(1, 10_000), n)
        entries = sorted(
            (
                QueueEntry(
                    id=ids[i],
                    user_id=i + 1,
                    mode="tictactoe",
                    rating=1000 + rng.randint(-spread, spread),
                    joined_at=now - timedelta(seconds=rng.randint(0, waits)),
                )
                for i in range(n)
            ),
            key=lambda e: (e.joined_at, e.pk),
        )
        expected = [(a.pk, b.pk) for a, b in pair_entries_by_the_book(entries, now=now)]
        assert [(a.pk, b.pk) for a, b in pair_entries(entries, now=now)] == expected


def test_pairing_ties_go_to_the_longer_wait_then_the_lower_id():
    now = datetime(2025, 1, 1, tzinfo=UTC)

    def entry(pk, rating, waited):
        return QueueEntry(id=pk, user_id=pk, mode="tictactoe", rating=rating, joined_at=now - timedelta(seconds=waited))

    seed = entry(1, 1000, 10)
    below_newer, above_older, above_same_age_higher_id = entry(9, 950, 1), entry(7, 1050, 5), entry(8, 1050, 5)
    pairs = pair_entries([seed, above_older, above_same_age_higher_id, below_newer], now=now)
    assert [(a.pk, b.pk) for a, b in pairs] == [(1, 7), (8, 9)]


# --- the join -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_join_takes_few_queries_whether_it_matches_or_not(make_user):
    alice, bob = make_user(), make_user()
    with CaptureQueriesContext(connection) as waiting:
        assert queue_join(user_id=alice.pk, mode="tictactoe").status == "queued"
    with CaptureQueriesContext(connection) as matching:
        matched = queue_join(user_id=bob.pk, mode="tictactoe")
    assert matched.status == "matched" and matched == queue_status(user_id=bob.pk)
    # Was 15 and 20 (get_or_create's SELECT + SAVEPOINT + INSERT + RELEASE, a status read after a match).
    assert len(waiting.captured_queries) <= 10
    assert len(matching.captured_queries) <= 14


@pytest.mark.django_db
def test_rejoining_the_same_mode_keeps_the_place_and_switching_modes_goes_to_the_back(make_user):
    first, second = make_user(), make_user()
    Rating.objects.create(user=first, mode="tictactoe", rating=3000)
    Rating.objects.create(user=second, mode="tictactoe", rating=1000)  # too far apart to be matched
    queue_join(user_id=first.pk, mode="tictactoe")
    queue_join(user_id=second.pk, mode="tictactoe")
    before = QueueEntry.objects.get(user=first)
    Rating.objects.filter(user=first).update(rating=1000)  # would match second if it were re-read
    assert queue_join(user_id=first.pk, mode="tictactoe") == queue_status(user_id=first.pk)
    assert queue_status(user_id=first.pk).position == 1
    after = QueueEntry.objects.get(user=first)
    assert (after.pk, after.mode, after.rating, after.joined_at) == (before.pk, "tictactoe", 3000, before.joined_at)
    assert queue_join(user_id=first.pk, mode="relay").position == 1  # another queue
    assert queue_status(user_id=second.pk).position == 1
    assert queue_join(user_id=first.pk, mode="tictactoe").status == "matched"  # back, with the new rating
