import io

import pytest
from django.core.management import call_command

from friends.models import FriendRequest, Friendship

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_friends_and_a_pending_request_idempotently():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    pairs = set(Friendship.objects.values_list("user__username", "friend__username"))
    from friends.demo import FRIEND_PAIRS

    for a, b in FRIEND_PAIRS:
        assert (a, b) in pairs and (b, a) in pairs
    # Other apps' demo data may befriend more users (a DM thread, an invite); none twice.
    assert Friendship.objects.count() == len(pairs)
    pending = FriendRequest.objects.get(status="pending")
    assert (pending.from_user.username, pending.to_user.username) == ("user_3", "user_1")


def test_clear_removes_the_demo_graph():
    from friends import demo

    call_command("seed_demo", stdout=io.StringIO())
    demo.clear()
    assert not Friendship.objects.exists()
    assert not FriendRequest.objects.exists()
