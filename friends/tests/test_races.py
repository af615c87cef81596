"""Concurrent changes between one pair of users happen one after another (PostgreSQL row locks)."""

import pytest

from conftest import requires_postgres
from friends import services
from friends.models import Block, FriendRequest, Friendship
from gameplatform.testhelpers import run_at_once

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_mutual_requests_at_the_same_moment_make_one_friendship(alice, bob):
    for _ in range(5):
        Friendship.objects.all().delete()
        FriendRequest.objects.all().delete()
        run_at_once(
            lambda: services.friend_request_send(from_user=alice, to_user_id=bob.pk),
            lambda: services.friend_request_send(from_user=bob, to_user_id=alice.pk),
        )
        assert Friendship.objects.count() == 2
        assert list(FriendRequest.objects.values_list("status", flat=True)) == ["accepted"]


def test_accept_and_cancel_at_the_same_moment_exactly_one_wins(alice, bob):
    for _ in range(5):
        Friendship.objects.all().delete()
        request = services.friend_request_send(from_user=alice, to_user_id=bob.pk)
        results = run_at_once(
            lambda rid=request.pk: services.friend_request_accept(request_id=rid, user=bob),
            lambda rid=request.pk: services.friend_request_cancel(request_id=rid, user=alice),
        )
        assert sorted(r if isinstance(r, str) else "ok" for r in results) == ["not_pending", "ok"]
        request.refresh_from_db()
        assert (request.status == "accepted") == (Friendship.objects.count() == 2)


def test_block_racing_an_accept_leaves_no_friendship_behind_a_block(alice, bob):
    for _ in range(5):
        Friendship.objects.all().delete()
        Block.objects.all().delete()
        request = services.friend_request_send(from_user=alice, to_user_id=bob.pk)
        run_at_once(
            lambda rid=request.pk: services.friend_request_accept(request_id=rid, user=bob),
            lambda: services.block_create(blocker=bob, blocked_id=alice.pk),
        )
        assert Friendship.objects.count() == 0
