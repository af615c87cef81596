"""Inbox messages reach the players their condition matches, at their send time, once; a player
reads their inbox, its unread count in ``GET /api/liveops/``, and marks messages read."""

from datetime import timedelta

import pytest
from django.utils import timezone

from liveops.inbox import services
from liveops.models import InboxEntry, Message
from liveops.services import attributes_set
from liveops.timers import deliver_messages
from staff.models import AuditEntry

pytestmark = pytest.mark.django_db

ADMIN_URL = "/api/liveops/admin/messages/"


def french(user) -> None:
    attributes_set(user=user, country="FR", platform="web", app_version="", custom={})


def message(**changes) -> Message:
    fields = {"title": "Hello", "body": "Bonjour", "data": {"gift": 5}, "condition": {"country": "FR"}, **changes}
    return services.message_create(staff=None, **fields)


def deliver_all(now=None) -> None:
    """Timer rounds until no message is due (each round delivers a chunk of each)."""
    for _ in range(20):
        if not services.selectors.due_message_ids(now=now):
            return
        services.messages_deliver_due(now=now)
    raise AssertionError("the delivery did not end")


def test_a_message_reaches_only_the_players_its_condition_matches(alice, bob, carol):
    french(alice)
    french(carol)
    sent = message()
    assert deliver_messages() == 0  # a chunk of players
    assert deliver_messages() == 1  # none left: sent
    assert set(InboxEntry.objects.filter(message=sent).values_list("user__username", flat=True)) == {"alice", "carol"}
    sent.refresh_from_db()
    assert sent.sent_at is not None


def test_a_message_waits_for_its_send_time_and_matches_players_as_they_are_then(alice):
    later = message(send_at=timezone.now() + timedelta(minutes=5))
    assert deliver_messages() == 0 and not InboxEntry.objects.exists()
    french(alice)  # matches by send time
    deliver_all(now=timezone.now() + timedelta(minutes=6))
    assert InboxEntry.objects.filter(message=later, user=alice).exists()


def test_a_message_delivered_twice_reaches_each_player_once(alice, bob, carol, monkeypatch):
    french(alice)
    french(bob)
    monkeypatch.setattr(services, "BATCH", 1)  # a chunk a player
    sent = message()
    services._deliver_chunk(sent, [alice])  # a runner that stopped before moving the cursor
    assert services.message_deliver_chunk(message_id=sent.pk) is False  # alice again
    Message.objects.filter(pk=sent.pk).update(delivered_through=0)  # a second runner on the same chunk
    services.message_deliver(message_id=sent.pk)
    sent.refresh_from_db()
    assert sent.sent_at is not None
    assert services.message_deliver_chunk(message_id=sent.pk) is True  # sent: nothing to do
    Message.objects.filter(pk=sent.pk).update(sent_at=None, delivered_through=0)  # the whole delivery again
    services.message_deliver(message_id=sent.pk)
    assert sorted(InboxEntry.objects.filter(message=sent).values_list("user__username", flat=True)) == ["alice", "bob"]


def test_an_empty_condition_reaches_everyone(alice, bob):
    message(condition={})
    deliver_all()
    assert InboxEntry.objects.count() == 2


def test_the_unread_count_is_in_the_answer_and_its_etag_and_reading_lowers_it(client_for, alice, bob):
    french(alice)
    client = client_for(alice)
    before = client.get("/api/liveops/")
    assert before.json()["messages_unread"] == 0
    first, second = message(title="one"), message(title="two")
    deliver_all()
    answer = client.get("/api/liveops/", HTTP_IF_NONE_MATCH=before.headers["ETag"])
    assert answer.status_code == 200 and answer.json()["messages_unread"] == 2
    inbox = client.get("/api/liveops/messages/").json()
    assert [entry["title"] for entry in inbox["results"]] == ["two", "one"]
    assert inbox["results"][0] == {
        "id": second.pk,
        "title": "two",
        "body": "Bonjour",
        "data": {"gift": 5},
        "created_at": inbox["results"][0]["created_at"],
        "read_at": None,
        "grants": None,
        "expires_at": None,
        "claimed_at": None,
    }
    read = client.post(f"/api/liveops/messages/{first.pk}/read/")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    again = client.post(f"/api/liveops/messages/{first.pk}/read/")
    assert again.json()["read_at"] == read.json()["read_at"]
    assert client.get("/api/liveops/").json()["messages_unread"] == 1


def test_reading_a_message_not_in_my_inbox_is_404(client_for, alice, bob):
    french(alice)
    sent = message()
    deliver_all()
    response = client_for(bob).post(f"/api/liveops/messages/{sent.pk}/read/")
    assert response.status_code == 404 and response.json()["code"] == "message_not_found"
    assert client_for(bob).get("/api/liveops/messages/").json()["results"] == []


def test_staff_make_a_message_audited(client_for, operator):
    body = {"title": "Sale", "body": "50% off", "data": {"sku": "gems"}, "condition": {"is_premium": True}}
    response = client_for(operator).post(ADMIN_URL, body, format="json")
    assert response.status_code == 201, response.content
    made = Message.objects.get()
    assert (made.title, made.condition, made.created_by) == ("Sale", {"is_premium": True}, operator)
    entry = AuditEntry.objects.get(action="message.create")
    assert (entry.staff, entry.target_id) == (operator, str(made.pk))


def test_a_condition_that_is_not_an_object_is_400(client_for, operator):
    response = client_for(operator).post(ADMIN_URL, {"title": "x", "condition": [1]}, format="json")
    assert response.status_code == 400
    assert "condition" in response.json() or "condition" in response.json().get("fields", {})
    assert not Message.objects.exists()


def test_only_liveops_staff_make_messages(client_for, moderator, alice):
    for user in (moderator, alice):
        assert client_for(user).post(ADMIN_URL, {"title": "x"}, format="json").status_code == 403
    assert not Message.objects.exists()


@pytest.mark.django_db(transaction=True)
async def test_a_delivered_message_tells_connected_players_within_2_s(ws_connect, alice):
    from asgiref.sync import sync_to_async

    from conftest import receive_type

    ws, connected, _ = await ws_connect("/ws/notifications/", alice)
    assert connected
    await sync_to_async(french)(alice)
    await sync_to_async(message)()
    await sync_to_async(deliver_all)()
    assert await receive_type(ws, "liveops_changed", timeout=2) == {"type": "liveops_changed"}
    await sync_to_async(deliver_messages)()  # nothing left to send: nothing said
    assert await ws.receive_nothing(timeout=0.5)
    await ws.disconnect()
