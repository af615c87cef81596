"""Friend requests and the friend list over REST, with the contract's codes."""

import pytest

from friends.models import FriendRequest, Friendship
from friends.selectors import are_friends

pytestmark = pytest.mark.django_db


def send(client, user) -> tuple[int, dict]:
    response = client.post("/api/friends/requests/", {"user_id": user.pk})
    return response.status_code, response.json()


def test_request_to_another_user_is_created_pending(client_for, alice, bob):
    status, body = send(client_for(alice), bob)
    assert status == 201
    assert body["status"] == "pending"
    assert body["from_user"]["id"] == alice.pk and body["to_user"]["id"] == bob.pk


def test_request_to_yourself_is_400(client_for, alice):
    status, body = send(client_for(alice), alice)
    assert status == 400
    assert body["code"] == "self_request"


def test_request_to_unknown_user_is_404(client_for, alice):
    response = client_for(alice).post("/api/friends/requests/", {"user_id": 999999})
    assert response.status_code == 404


def test_request_without_user_id_is_a_field_error(client_for, alice):
    response = client_for(alice).post("/api/friends/requests/", {})
    assert response.status_code == 400
    assert "user_id" in response.json()


def test_second_request_to_the_same_user_is_409_duplicate(client_for, alice, bob):
    send(client_for(alice), bob)
    status, body = send(client_for(alice), bob)
    assert status == 409
    assert body["code"] == "duplicate_request"
    assert FriendRequest.objects.filter(from_user=alice, to_user=bob).count() == 1


def test_request_to_a_friend_is_409_already_friends(client_for, befriend, alice, bob):
    befriend(alice, bob)
    status, body = send(client_for(alice), bob)
    assert status == 409
    assert body["code"] == "already_friends"


@pytest.mark.parametrize("who_blocks", ["sender", "receiver"])
def test_request_between_blocked_users_is_403_blocked(client_for, alice, bob, who_blocks):
    blocker, blocked = (alice, bob) if who_blocks == "sender" else (bob, alice)
    client_for(blocker).post("/api/friends/blocks/", {"user_id": blocked.pk})
    status, body = send(client_for(alice), bob)
    assert status == 403
    assert body["code"] == "blocked"


def test_request_to_someone_who_already_asked_you_accepts_theirs(client_for, alice, bob):
    _, theirs = send(client_for(bob), alice)
    status, body = send(client_for(alice), bob)
    assert status == 201
    assert body["id"] == theirs["id"] and body["status"] == "accepted"
    assert are_friends(user_a_id=alice.pk, user_b_id=bob.pk)
    assert are_friends(user_a_id=bob.pk, user_b_id=alice.pk)
    assert not FriendRequest.objects.filter(status="pending").exists()


def test_pending_lists_split_incoming_and_outgoing(client_for, alice, bob, carol):
    send(client_for(alice), bob)
    send(client_for(carol), alice)
    incoming = client_for(alice).get("/api/friends/requests/?direction=incoming").json()["results"]
    outgoing = client_for(alice).get("/api/friends/requests/?direction=outgoing").json()["results"]
    assert [r["from_user"]["username"] for r in incoming] == ["carol"]
    assert [r["to_user"]["username"] for r in outgoing] == ["bob"]
    assert client_for(alice).get("/api/friends/requests/").json()["results"] == incoming


def test_unknown_direction_is_a_field_error(client_for, alice):
    response = client_for(alice).get("/api/friends/requests/?direction=sideways")
    assert response.status_code == 400 and "direction" in response.json()


def test_receiver_accepts_and_both_become_friends(client_for, alice, bob):
    _, request = send(client_for(alice), bob)
    response = client_for(bob).post(f"/api/friends/requests/{request['id']}/accept/")
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert Friendship.objects.filter(user=alice, friend=bob).exists()
    assert Friendship.objects.filter(user=bob, friend=alice).exists()
    assert client_for(bob).get("/api/friends/requests/").json()["results"] == []


def test_sender_cannot_accept_their_own_request(client_for, alice, bob):
    _, request = send(client_for(alice), bob)
    response = client_for(alice).post(f"/api/friends/requests/{request['id']}/accept/")
    assert response.status_code == 403
    assert not are_friends(user_a_id=alice.pk, user_b_id=bob.pk)


def test_stranger_sees_someone_elses_request_as_404(client_for, alice, bob, carol):
    _, request = send(client_for(alice), bob)
    for action in ("accept", "decline"):
        assert client_for(carol).post(f"/api/friends/requests/{request['id']}/{action}/").status_code == 404
    assert client_for(carol).delete(f"/api/friends/requests/{request['id']}/").status_code == 404


def test_accepting_twice_is_409_not_pending(client_for, alice, bob):
    _, request = send(client_for(alice), bob)
    client_for(bob).post(f"/api/friends/requests/{request['id']}/accept/")
    response = client_for(bob).post(f"/api/friends/requests/{request['id']}/accept/")
    assert response.status_code == 409
    assert response.json()["code"] == "not_pending"


def test_receiver_declines_and_sender_may_ask_again(client_for, alice, bob):
    _, request = send(client_for(alice), bob)
    response = client_for(bob).post(f"/api/friends/requests/{request['id']}/decline/")
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert not are_friends(user_a_id=alice.pk, user_b_id=bob.pk)
    assert send(client_for(alice), bob)[0] == 201


def test_sender_cannot_decline(client_for, alice, bob):
    _, request = send(client_for(alice), bob)
    assert client_for(alice).post(f"/api/friends/requests/{request['id']}/decline/").status_code == 403


def test_sender_cancels_with_delete(client_for, alice, bob):
    _, request = send(client_for(alice), bob)
    assert client_for(alice).delete(f"/api/friends/requests/{request['id']}/").status_code == 204
    assert FriendRequest.objects.get(pk=request["id"]).status == "cancelled"
    response = client_for(bob).post(f"/api/friends/requests/{request['id']}/accept/")
    assert response.status_code == 409 and response.json()["code"] == "not_pending"


def test_receiver_cannot_cancel(client_for, alice, bob):
    _, request = send(client_for(alice), bob)
    assert client_for(bob).delete(f"/api/friends/requests/{request['id']}/").status_code == 403


def test_unknown_request_is_404(client_for, alice):
    assert client_for(alice).post("/api/friends/requests/424242/accept/").status_code == 404


def test_unfriend_removes_both_sides(client_for, befriend, alice, bob):
    befriend(alice, bob)
    assert client_for(bob).delete(f"/api/friends/{alice.pk}/").status_code == 204
    assert not Friendship.objects.exists()
    response = client_for(alice).delete(f"/api/friends/{bob.pk}/")
    assert response.status_code == 404 and response.json()["code"] == "not_friends"


def test_friend_list_shows_friends_with_presence_fields(client_for, befriend, alice, bob, carol):
    befriend(alice, bob)
    befriend(alice, carol)
    body = client_for(alice).get("/api/friends/").json()
    assert body["next"] is None
    rows = {row["user"]["username"]: row for row in body["results"]}
    assert set(rows) == {"bob", "carol"}
    assert rows["bob"]["online"] is False
    assert rows["bob"]["since"] and rows["bob"]["last_seen"] is None
    assert set(rows["bob"]["user"]) == {"id", "username", "display_name", "is_premium"}


def test_friend_list_query_count_does_not_grow_with_friends(
    client_for, befriend, make_user, alice, django_assert_max_num_queries
):
    for _ in range(20):
        befriend(alice, make_user())
    client = client_for(alice)
    with django_assert_max_num_queries(4):
        response = client.get("/api/friends/")
    assert len(response.json()["results"]) == 20


def test_routes_need_authentication(api_client):
    assert api_client.get("/api/friends/").status_code == 401
    assert api_client.post("/api/friends/requests/", {"user_id": 1}).status_code == 401
