"""Persisted notifications over REST: list (all or unread) and mark read."""

import pytest

from notifications.models import Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_for_alice(alice, bob):
    for n in range(3):
        notify(user_id=alice.pk, kind="friend_request", payload={"n": n})
    notify(user_id=bob.pk, kind="friend_accepted", payload={})
    return list(Notification.objects.filter(user=alice).order_by("id"))


def test_list_shows_my_notifications_newest_first(client_for, alice, three_for_alice):
    body = client_for(alice).get("/api/notifications/").json()
    assert [row["payload"]["n"] for row in body["results"]] == [2, 1, 0]
    assert set(body["results"][0]) == {"id", "kind", "payload", "created_at", "read_at", "read"}
    assert body["results"][0]["read"] is False


def test_mark_some_read_and_list_unread_only(client_for, alice, three_for_alice):
    client = client_for(alice)
    response = client.post("/api/notifications/read/", {"ids": [three_for_alice[0].pk]})
    assert response.status_code == 200 and response.json() == {"marked": 1}
    unread = client.get("/api/notifications/?unread=1").json()["results"]
    assert [row["payload"]["n"] for row in unread] == [2, 1]
    assert len(client.get("/api/notifications/").json()["results"]) == 3


def test_mark_all_read(client_for, alice, bob, three_for_alice):
    response = client_for(alice).post("/api/notifications/read/", {"all": True})
    assert response.json() == {"marked": 3}
    assert client_for(alice).get("/api/notifications/?unread=1").json()["results"] == []
    assert Notification.objects.get(user=bob).read_at is None


def test_someone_elses_ids_are_not_marked(client_for, bob, three_for_alice):
    response = client_for(bob).post("/api/notifications/read/", {"ids": [n.pk for n in three_for_alice]})
    assert response.json() == {"marked": 0}
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_marking_twice_marks_nothing_more(client_for, alice, three_for_alice):
    client = client_for(alice)
    client.post("/api/notifications/read/", {"all": True})
    assert client.post("/api/notifications/read/", {"all": True}).json() == {"marked": 0}


def test_read_needs_ids_or_all(client_for, alice):
    response = client_for(alice).post("/api/notifications/read/", {})
    assert response.status_code == 400 and "ids" in response.json()


def test_list_is_private_and_needs_authentication(api_client, client_for, carol, three_for_alice):
    assert api_client.get("/api/notifications/").status_code == 401
    assert client_for(carol).get("/api/notifications/").json()["results"] == []


def test_notifications_are_in_admin(admin_client, three_for_alice):
    assert admin_client.get("/admin/notifications/notification/").status_code == 200
    assert admin_client.get(f"/admin/notifications/notification/{three_for_alice[0].pk}/change/").status_code == 200
    for model in ("friendrequest", "friendship", "block", "lastseen"):
        assert admin_client.get(f"/admin/friends/{model}/").status_code == 200
