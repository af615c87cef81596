"""A real race on PostgreSQL: many players join at once and each lands in exactly one game."""

import threading
import time
from collections import Counter

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from conftest import requires_postgres
from game.models import Game, GamePlayer
from gameplatform.core.errors import ApplicationError
from gameplatform.testhelpers import run_at_once
from matchmaking.models import QueueEntry
from matchmaking.queue.services import _mode_lock, _rerun_key, queue_join, queue_leave, queue_match_or_hand_over

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgres]


def failures(results: list) -> list:
    """Error codes (str) and exceptions among the results."""
    return [r for r in results if isinstance(r, str | Exception)]


def test_forty_players_joining_at_once_each_land_in_exactly_one_game(make_user):
    users = [make_user() for _ in range(40)]
    errors = failures(run_at_once(*[lambda u=u: queue_join(user_id=u.pk, mode="tictactoe") for u in users]))
    assert errors == []
    seats = Counter(GamePlayer.objects.values_list("user_id", flat=True))
    assert set(seats) == {u.pk for u in users} and set(seats.values()) == {1}
    assert Game.objects.count() == 20
    assert set(Counter(GamePlayer.objects.values_list("game_id", flat=True)).values()) == {2}
    assert not QueueEntry.objects.exists()


def test_leaving_while_others_join_never_matches_a_player_who_left(make_user):
    stayers = [make_user() for _ in range(20)]
    leavers = [make_user() for _ in range(10)]
    now = timezone.now()
    QueueEntry.objects.bulk_create([QueueEntry(user=u, mode="relay", rating=1000, joined_at=now) for u in leavers])
    left = set()

    def leave(user):
        try:
            queue_leave(user_id=user.pk)
            left.add(user.pk)
        except ApplicationError as exc:
            assert exc.code == "not_queued"  # matched first

    calls = [lambda u=u: queue_join(user_id=u.pk, mode="relay") for u in stayers]
    calls += [lambda u=u: leave(u) for u in leavers]
    assert failures(run_at_once(*calls)) == []
    seats = Counter(GamePlayer.objects.values_list("user_id", flat=True))
    queued = set(QueueEntry.objects.values_list("user_id", flat=True))
    assert set(seats.values()) <= {1} and not set(seats) & queued
    for user in leavers:
        assert (user.pk in left) != (user.pk in seats)  # left, or matched before leaving: never both
        assert user.pk not in queued
    assert all(u.pk in seats or u.pk in queued for u in stayers)


def test_a_join_does_not_wait_for_a_running_matcher_and_leaves_it_a_rerun(make_user):
    alice, bob = make_user(), make_user()
    held, release = threading.Event(), threading.Event()

    def running_matcher() -> None:
        try:
            with transaction.atomic():
                _mode_lock("tictactoe")
                held.set()
                release.wait(10)
        finally:
            connection.close()

    matcher = threading.Thread(target=running_matcher)
    matcher.start()
    try:
        assert held.wait(5)
        started = time.monotonic()
        statuses = run_at_once(
            lambda: queue_join(user_id=alice.pk, mode="tictactoe"),
            lambda: queue_join(user_id=bob.pk, mode="tictactoe"),
        )
        assert time.monotonic() - started < 5  # neither waited for the lock
        assert [s.status for s in statuses] == ["queued", "queued"]
        assert cache.get(_rerun_key("tictactoe")) == 1  # the running matcher will go again
    finally:
        release.set()
        matcher.join(10)
    queue_match_or_hand_over(mode="tictactoe")
    assert QueueEntry.objects.count() == 0 and Game.objects.count() == 1
