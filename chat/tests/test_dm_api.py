"""Direct messages over REST: friends only, validation, history pages, conversations, read, rate limit."""

import pytest

from chat.dms.selectors import unread_dm_count
from chat.dms.services import DM_RATE, dm_send
from friends.services import block_create, friendship_create, friendship_remove

pytestmark = pytest.mark.django_db


@pytest.fixture
def friends(alice, bob):
    friendship_create(user_a=alice, user_b=bob)
    return alice, bob


@pytest.fixture
def spies(monkeypatch):
    """Record the calls the DM service makes to the notifications app."""
    calls = {"badge": [], "notify": []}
    monkeypatch.setattr("chat.dms.services.badge_push", lambda *, user_id: calls["badge"].append(user_id))
    monkeypatch.setattr(
        "chat.dms.services.notify", lambda **kwargs: calls["notify"].append((kwargs["user_id"], kwargs["kind"]))
    )
    return calls


def post(client, user_id, content):
    return client.post(f"/api/dm/{user_id}/messages/", {"content": content}, format="json")


def test_friend_sends_a_message_and_gets_it_back(client_for, friends):
    alice, bob = friends
    response = post(client_for(alice), bob.pk, "hello bob")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "sender_id", "recipient_id", "content", "created_at", "read_at"}
    assert (body["sender_id"], body["recipient_id"], body["content"], body["read_at"]) == (
        alice.pk,
        bob.pk,
        "hello bob",
        None,
    )


def test_message_to_a_non_friend_is_403_not_friends(client_for, alice, carol):
    response = post(client_for(alice), carol.pk, "hi")
    assert response.status_code == 403
    assert response.json()["code"] == "not_friends"


@pytest.mark.parametrize("blocker", ["sender", "recipient"])
def test_message_across_a_block_is_403_blocked(client_for, friends, blocker):
    alice, bob = friends
    if blocker == "sender":
        block_create(blocker=alice, blocked_id=bob.pk)
    else:
        block_create(blocker=bob, blocked_id=alice.pk)
    assert post(client_for(alice), bob.pk, "hi").json()["code"] == "blocked"
    assert client_for(alice).get(f"/api/dm/{bob.pk}/messages/").json()["code"] == "blocked"


def test_message_to_an_unknown_user_is_404(client_for, alice):
    response = post(client_for(alice), 999999, "hi")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_message_to_oneself_is_400(client_for, alice):
    response = post(client_for(alice), alice.pk, "hi")
    assert response.status_code == 400
    assert response.json()["code"] == "self_message"


@pytest.mark.parametrize("content", ["", "x" * 2001])
def test_message_of_wrong_length_is_400(client_for, friends, content):
    alice, bob = friends
    response = post(client_for(alice), bob.pk, content)
    assert response.status_code == 400
    assert "content" in response.json()


def test_whitespace_only_message_is_refused(client_for, friends):
    alice, bob = friends
    response = post(client_for(alice), bob.pk, "   ")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_message_of_2000_characters_is_kept_whole(client_for, friends):
    alice, bob = friends
    response = post(client_for(alice), bob.pk, "y" * 2000)
    assert response.status_code == 201
    assert len(response.json()["content"]) == 2000


def test_sixth_message_in_five_seconds_is_429(client_for, friends):
    alice, bob = friends
    client = client_for(alice)
    assert [post(client, bob.pk, f"m{n}").status_code for n in range(DM_RATE.limit)] == [201] * DM_RATE.limit
    response = post(client, bob.pk, "one too many")
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 0 < response.json()["retry_after"] <= DM_RATE.window


def test_unauthenticated_requests_are_401(api_client, bob):
    assert api_client.get("/api/dm/").status_code == 401
    assert api_client.post(f"/api/dm/{bob.pk}/messages/", {"content": "x"}).status_code == 401
    assert api_client.post(f"/api/dm/{bob.pk}/read/").status_code == 401


def test_history_pages_newest_page_first_oldest_first_within_a_page(client_for, friends):
    alice, bob = friends
    for n in range(5):
        dm_send(sender=alice if n % 2 else bob, recipient_id=bob.pk if n % 2 else alice.pk, content=f"m{n}")
    client = client_for(alice)
    first = client.get(f"/api/dm/{bob.pk}/messages/?page_size=2").json()
    assert [m["content"] for m in first["results"]] == ["m3", "m4"]
    second = client.get(first["next"]).json()
    assert [m["content"] for m in second["results"]] == ["m1", "m2"]
    third = client.get(second["next"]).json()
    assert [m["content"] for m in third["results"]] == ["m0"]
    assert third["next"] is None


def test_history_of_a_non_friend_is_403(client_for, alice, carol):
    response = client_for(alice).get(f"/api/dm/{carol.pk}/messages/")
    assert response.status_code == 403
    assert response.json()["code"] == "not_friends"


def test_history_shows_only_this_conversation(client_for, friends, carol):
    alice, bob = friends
    friendship_create(user_a=alice, user_b=carol)
    dm_send(sender=alice, recipient_id=bob.pk, content="to bob")
    dm_send(sender=carol, recipient_id=alice.pk, content="to alice from carol")
    results = client_for(bob).get(f"/api/dm/{alice.pk}/messages/").json()["results"]
    assert [m["content"] for m in results] == ["to bob"]


def test_conversations_list_last_message_and_unread_count_newest_first(
    client_for, friends, carol, django_assert_max_num_queries
):
    alice, bob = friends
    friendship_create(user_a=alice, user_b=carol)
    dm_send(sender=bob, recipient_id=alice.pk, content="b1")
    dm_send(sender=bob, recipient_id=alice.pk, content="b2")
    dm_send(sender=carol, recipient_id=alice.pk, content="c1")
    dm_send(sender=alice, recipient_id=carol.pk, content="a-to-c")
    client = client_for(alice)
    with django_assert_max_num_queries(6):
        body = client.get("/api/dm/").json()
    rows = [(c["user"]["username"], c["last_message"]["content"], c["unread_count"]) for c in body["results"]]
    assert rows == [("carol", "a-to-c", 1), ("bob", "b2", 2)]
    assert set(body["results"][0]["user"]) == {"id", "username", "display_name", "is_premium"}


def test_read_marks_the_conversation_read(client_for, friends, spies):
    alice, bob = friends
    dm_send(sender=bob, recipient_id=alice.pk, content="one")
    dm_send(sender=bob, recipient_id=alice.pk, content="two")
    dm_send(sender=alice, recipient_id=bob.pk, content="mine")
    assert unread_dm_count(user_id=alice.pk) == 2
    response = client_for(alice).post(f"/api/dm/{bob.pk}/read/")
    assert response.status_code == 200
    assert response.json() == {"marked_read": 2}
    assert unread_dm_count(user_id=alice.pk) == 0
    assert unread_dm_count(user_id=bob.pk) == 1
    assert client_for(alice).get("/api/dm/").json()["results"][0]["unread_count"] == 0
    assert client_for(alice).post(f"/api/dm/{bob.pk}/read/").json() == {"marked_read": 0}


def test_read_of_an_unknown_user_is_404(client_for, alice):
    assert client_for(alice).post("/api/dm/999999/read/").status_code == 404


def test_read_of_a_former_friends_conversation_is_403_not_friends_and_changes_nothing(client_for, friends):
    alice, bob = friends
    dm_send(sender=bob, recipient_id=alice.pk, content="before we parted")
    friendship_remove(user=alice, friend_id=bob.pk)
    response = client_for(alice).post(f"/api/dm/{bob.pk}/read/")
    assert response.status_code == 403
    assert response.json()["code"] == "not_friends"
    assert unread_dm_count(user_id=alice.pk) == 1


@pytest.mark.parametrize("blocker", ["reader", "peer"])
def test_read_across_a_block_is_403_blocked(client_for, friends, blocker):
    alice, bob = friends
    dm_send(sender=bob, recipient_id=alice.pk, content="hi")
    if blocker == "reader":
        block_create(blocker=alice, blocked_id=bob.pk)
    else:
        block_create(blocker=bob, blocked_id=alice.pk)
    response = client_for(alice).post(f"/api/dm/{bob.pk}/read/")
    assert response.status_code == 403
    assert response.json()["code"] == "blocked"


def test_away_recipient_gets_a_badge_per_message_and_one_notification_per_unread_streak(
    client_for, friends, spies, django_capture_on_commit_callbacks
):
    alice, bob = friends
    with django_capture_on_commit_callbacks(execute=True):
        post(client_for(alice), bob.pk, "one")
        post(client_for(alice), bob.pk, "two")
    assert spies["badge"] == [bob.pk, bob.pk]
    assert spies["notify"] == [(bob.pk, "dm_received")]
    with django_capture_on_commit_callbacks(execute=True):
        client_for(bob).post(f"/api/dm/{alice.pk}/read/")
        post(client_for(alice), bob.pk, "three")
    assert spies["badge"] == [bob.pk, bob.pk, bob.pk, bob.pk]  # the read, then the new message
    assert spies["notify"] == [(bob.pk, "dm_received")] * 2


def test_send_is_a_bounded_number_of_queries(client_for, friends, django_assert_max_num_queries):
    alice, bob = friends
    client = client_for(alice)
    # The first message reads the word list into the process's copy; a player's next ones do not,
    # but may look at the list's version (once a second: one query).
    assert post(client, bob.pk, "first").status_code == 201
    with django_assert_max_num_queries(10):
        assert post(client, bob.pk, "counted").status_code == 201
