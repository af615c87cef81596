"""Blocks: they unfriend, cancel pending requests both ways and stop new ones."""

import pytest

from friends.models import Block, FriendRequest
from friends.selectors import are_friends, is_blocked_between

pytestmark = pytest.mark.django_db


def block(client, user):
    return client.post("/api/friends/blocks/", {"user_id": user.pk})


def test_block_unfriends(client_for, befriend, alice, bob):
    befriend(alice, bob)
    response = block(client_for(alice), bob)
    assert response.status_code == 201
    assert response.json()["user"]["id"] == bob.pk
    assert not are_friends(user_a_id=alice.pk, user_b_id=bob.pk)
    assert not are_friends(user_a_id=bob.pk, user_b_id=alice.pk)


def test_block_cancels_pending_requests_both_ways(client_for, alice, bob, carol):
    client_for(alice).post("/api/friends/requests/", {"user_id": bob.pk})
    client_for(carol).post("/api/friends/requests/", {"user_id": alice.pk})
    block(client_for(carol), alice)
    block(client_for(bob), alice)
    assert set(FriendRequest.objects.values_list("status", flat=True)) == {"cancelled"}
    assert client_for(alice).get("/api/friends/requests/?direction=incoming").json()["results"] == []


def test_blocked_user_cannot_send_a_request(client_for, alice, bob):
    block(client_for(alice), bob)
    response = client_for(bob).post("/api/friends/requests/", {"user_id": alice.pk})
    assert response.status_code == 403 and response.json()["code"] == "blocked"


def test_block_is_seen_from_both_sides(client_for, alice, bob, carol):
    block(client_for(alice), bob)
    assert is_blocked_between(user_a_id=alice.pk, user_b_id=bob.pk)
    assert is_blocked_between(user_a_id=bob.pk, user_b_id=alice.pk)
    assert not is_blocked_between(user_a_id=alice.pk, user_b_id=carol.pk)


def test_blocking_twice_keeps_one_block(client_for, alice, bob):
    assert block(client_for(alice), bob).status_code == 201
    assert block(client_for(alice), bob).status_code == 201
    assert Block.objects.count() == 1


def test_block_list_and_unblock(client_for, alice, bob):
    block(client_for(alice), bob)
    listed = client_for(alice).get("/api/friends/blocks/").json()["results"]
    assert [row["user"]["username"] for row in listed] == ["bob"]
    assert client_for(alice).delete(f"/api/friends/blocks/{bob.pk}/").status_code == 204
    assert not is_blocked_between(user_a_id=alice.pk, user_b_id=bob.pk)
    assert client_for(bob).post("/api/friends/requests/", {"user_id": alice.pk}).status_code == 201


def test_unblocking_someone_not_blocked_is_404(client_for, alice, bob):
    response = client_for(alice).delete(f"/api/friends/blocks/{bob.pk}/")
    assert response.status_code == 404 and response.json()["code"] == "not_blocked"


def test_only_the_blocker_can_unblock(client_for, alice, bob):
    block(client_for(alice), bob)
    assert client_for(bob).delete(f"/api/friends/blocks/{alice.pk}/").status_code == 404
    assert is_blocked_between(user_a_id=alice.pk, user_b_id=bob.pk)


def test_blocking_yourself_is_400(client_for, alice):
    response = block(client_for(alice), alice)
    assert response.status_code == 400 and response.json()["code"] == "self_block"


def test_blocking_an_unknown_user_is_404(client_for, alice):
    assert client_for(alice).post("/api/friends/blocks/", {"user_id": 999999}).status_code == 404
