"""The notification socket: badge on connect and on every change, friend events, persisted notifications."""

import pytest
from asgiref.sync import sync_to_async

from chat.dms.services import dm_send
from conftest import receive_type
from friends import services as friends
from matchmaking.invites.services import invite_create
from notifications.models import Notification
from notifications.services import badge_push, notify

pytestmark = pytest.mark.django_db(transaction=True)


def badge(requests: int = 0, dms: int = 0, invites: int = 0) -> dict:
    return {"type": "badge", "unread_dms": dms, "pending_invites": invites, "pending_friend_requests": requests}


async def notification_socket(ws_connect, user):
    ws, connected, _ = await ws_connect("/ws/notifications/", user)
    assert connected
    first = await ws.receive_json_from(timeout=3)
    assert first["type"] == "badge"
    return ws, first


async def test_badge_on_connect_counts_pending_friend_requests(ws_connect, alice, bob, carol):
    await sync_to_async(friends.friend_request_send)(from_user=bob, to_user_id=alice.pk)
    await sync_to_async(friends.friend_request_send)(from_user=carol, to_user_id=alice.pk)
    ws, first = await notification_socket(ws_connect, alice)
    assert first == badge(requests=2)
    await ws.disconnect()


async def test_friend_request_reaches_the_receiver_with_a_notification_and_badge(ws_connect, alice, bob):
    ws, _ = await notification_socket(ws_connect, alice)
    request = await sync_to_async(friends.friend_request_send)(from_user=bob, to_user_id=alice.pk)

    frame = await ws.receive_json_from(timeout=3)
    assert frame["type"] == "friend_request"
    assert frame["request"]["id"] == request.pk and frame["request"]["from_user"]["username"] == "bob"
    persisted = await ws.receive_json_from(timeout=3)
    stored = await sync_to_async(Notification.objects.get)(user=alice)
    assert persisted["type"] == "notification"
    assert persisted["id"] == stored.pk and persisted["kind"] == "friend_request"
    assert persisted["payload"]["request"]["id"] == request.pk and persisted["created_at"]
    assert await ws.receive_json_from(timeout=3) == badge(requests=1)
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


async def test_accepting_tells_the_requester_and_lowers_the_receivers_badge(ws_connect, alice, bob):
    request = await sync_to_async(friends.friend_request_send)(from_user=bob, to_user_id=alice.pk)
    alice_ws, first = await notification_socket(ws_connect, alice)
    assert first == badge(requests=1)
    bob_ws, _ = await notification_socket(ws_connect, bob)

    await sync_to_async(friends.friend_request_accept)(request_id=request.pk, user=alice)

    accepted = await receive_type(bob_ws, "friend_accepted")
    assert accepted["user"]["id"] == alice.pk
    persisted = await receive_type(bob_ws, "notification")
    assert persisted["kind"] == "friend_accepted" and persisted["payload"]["user"]["id"] == alice.pk
    assert (await receive_type(alice_ws, "friend_accepted"))["user"]["id"] == bob.pk
    assert await receive_type(alice_ws, "badge") == badge(requests=0)
    await alice_ws.disconnect()
    await bob_ws.disconnect()


async def test_decline_and_cancel_update_the_receivers_badge(ws_connect, alice, bob, carol):
    first = await sync_to_async(friends.friend_request_send)(from_user=bob, to_user_id=alice.pk)
    second = await sync_to_async(friends.friend_request_send)(from_user=carol, to_user_id=alice.pk)
    ws, _ = await notification_socket(ws_connect, alice)

    await sync_to_async(friends.friend_request_decline)(request_id=first.pk, user=alice)
    assert await ws.receive_json_from(timeout=3) == badge(requests=1)
    await sync_to_async(friends.friend_request_cancel)(request_id=second.pk, user=carol)
    assert await ws.receive_json_from(timeout=3) == {"type": "friend_request_cancelled", "request_id": second.pk}
    assert await ws.receive_json_from(timeout=3) == badge(requests=0)
    await ws.disconnect()


async def test_unfriend_tells_both_sides(ws_connect, alice, bob, befriend):
    await sync_to_async(befriend)(alice, bob)
    ws, _ = await notification_socket(ws_connect, bob)
    await sync_to_async(friends.friendship_remove)(user=alice, friend_id=bob.pk)
    assert await receive_type(ws, "friend_removed") == {"type": "friend_removed", "user_id": alice.pk}
    await ws.disconnect()


async def test_notify_persists_and_sends_after_commit(ws_connect, alice):
    ws, _ = await notification_socket(ws_connect, alice)
    await sync_to_async(notify)(user_id=alice.pk, kind="invite_received", payload={"invite_id": 4})
    frame = await ws.receive_json_from(timeout=3)
    stored = await sync_to_async(Notification.objects.get)(user=alice)
    assert frame == {
        "type": "notification",
        "id": stored.pk,
        "kind": "invite_received",
        "payload": {"invite_id": 4},
        "created_at": frame["created_at"],
    }
    await ws.disconnect()


async def test_notify_without_persist_only_sends(ws_connect, alice):
    ws, _ = await notification_socket(ws_connect, alice)
    await sync_to_async(notify)(user_id=alice.pk, kind="dm_received", payload={"from_user_id": 2}, persist=False)
    frame = await ws.receive_json_from(timeout=3)
    assert frame["type"] == "notification" and frame["id"] is None and frame["kind"] == "dm_received"
    assert not await sync_to_async(Notification.objects.exists)()
    await ws.disconnect()


async def test_nothing_is_sent_for_a_rolled_back_change(ws_connect, alice):
    from django.db import transaction

    def rolled_back():
        try:
            with transaction.atomic():
                notify(user_id=alice.pk, kind="friend_request", payload={})
                badge_push(user_id=alice.pk)
                raise RuntimeError
        except RuntimeError:
            pass

    ws, _ = await notification_socket(ws_connect, alice)
    await sync_to_async(rolled_back)()
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


async def test_badge_counts_come_from_every_app_that_registered_one(ws_connect, alice, bob, carol):
    # A DM and an invite from bob (a friend), a friend request from carol: one of each.
    await sync_to_async(friends.friendship_create)(user_a=alice, user_b=bob)
    await sync_to_async(dm_send)(sender=bob, recipient_id=alice.pk, content="hi")
    await sync_to_async(invite_create)(from_user=bob, to_user_id=alice.pk, kind="game", mode="tictactoe")
    await sync_to_async(friends.friend_request_send)(from_user=carol, to_user_id=alice.pk)
    ws, first = await notification_socket(ws_connect, alice)
    assert first == badge(requests=1, dms=1, invites=1)
    await sync_to_async(badge_push)(user_id=alice.pk)
    assert await ws.receive_json_from(timeout=3) == badge(requests=1, dms=1, invites=1)
    await ws.disconnect()
