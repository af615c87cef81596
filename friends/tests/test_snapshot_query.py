"""The presence snapshot reads friends and their last-seen times, and a presence change its user's
friends, each through one hand-written statement: the rows the ORM's query gives, in its order,
with its types (run on PostgreSQL, or on SQLite without ``DATABASE_URL``, where a cursor's
datetimes are naive until made aware)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from friends.models import Friendship, LastSeen
from friends.selectors import _friends_last_seen, friend_ids_of, presence_snapshot
from friends.services import friendship_create

pytestmark = pytest.mark.django_db

SEEN = datetime(2026, 11, 1, 12, 30, 15, 250000, tzinfo=UTC)


@pytest.fixture
def alice_with_friends(make_user):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    friendship_create(user_a=alice, user_b=bob)
    friendship_create(user_a=alice, user_b=carol)
    LastSeen.objects.create(user=bob, at=SEEN)
    return alice, bob, carol


def test_the_rows_are_the_orms_rows_in_the_orms_order(alice_with_friends):
    alice, _, _ = alice_with_friends
    orm = list(Friendship.objects.filter(user_id=alice.pk).values_list("friend_id", "friend__last_seen__at"))
    rows = _friends_last_seen(user_id=alice.pk)
    assert rows == orm
    assert [tuple(map(type, row)) for row in rows] == [tuple(map(type, row)) for row in orm]
    assert len(orm) == 2


def test_the_snapshot_gives_last_seen_as_a_datetime_and_none_for_never_seen(alice_with_friends):
    alice, bob, carol = alice_with_friends
    by_id = {friend["user_id"]: friend for friend in presence_snapshot(user_id=alice.pk)}
    assert by_id[bob.pk]["last_seen"] == SEEN  # a datetime, also on SQLite (converted)
    assert by_id[carol.pk]["last_seen"] is None
    assert not by_id[bob.pk]["online"]


def test_each_call_binds_its_own_user(alice_with_friends):
    alice, bob, _ = alice_with_friends
    assert [friend for friend, _ in _friends_last_seen(user_id=bob.pk)] == [alice.pk]
    assert len(_friends_last_seen(user_id=alice.pk)) == 2


def test_the_snapshot_is_one_statement(alice_with_friends):
    alice, _, _ = alice_with_friends
    with CaptureQueriesContext(connection) as queries:
        _friends_last_seen(user_id=alice.pk)
    assert len(queries) == 1


def test_friend_ids_are_the_orms_rows_in_its_order_in_one_statement(alice_with_friends, make_user):
    """What a user's coming online reads (``friends.presence.announce``), written out."""
    alice, bob, carol = alice_with_friends
    dave = make_user("dave")
    friendship_create(user_a=dave, user_b=bob)
    users = [alice.pk, bob.pk, carol.pk, dave.pk, 10**9]  # and an id with no friends (no row)
    orm: dict[int, list[int]] = {}
    for user_id, friend_id in Friendship.objects.filter(user_id__in=users).values_list("user_id", "friend_id"):
        orm.setdefault(user_id, []).append(friend_id)
    with CaptureQueriesContext(connection) as queries:
        assert friend_ids_of(user_ids=users) == orm
    assert len(queries) == 1
    assert orm[alice.pk] == [carol.pk, bob.pk] and sorted(orm[bob.pk]) == sorted([alice.pk, dave.pk])
    with CaptureQueriesContext(connection) as queries:
        assert friend_ids_of(user_ids=[]) == {}
    assert len(queries) == 0
