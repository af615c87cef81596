"""The DM socket: friends only, persisted before broadcast, and the badge path for a recipient elsewhere."""

import pytest
from channels.db import database_sync_to_async

from chat.dms.services import DM_RATE, dm_access_revoke, dm_send
from chat.models import DirectMessage
from conftest import receive_type
from friends.services import block_create, friendship_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def friends(alice, bob):
    friendship_create(user_a=alice, user_b=bob)
    return alice, bob


async def closed_with(ws) -> int:
    message = await ws.receive_output(timeout=3)
    assert message["type"] == "websocket.close", message
    return message.get("code")


async def test_message_reaches_both_friends_and_is_stored_first(ws_connect, friends):
    alice, bob = friends
    a, ok_a, _ = await ws_connect(f"/ws/dm/{bob.pk}/", alice)
    b, ok_b, _ = await ws_connect(f"/ws/dm/{alice.pk}/", bob)
    assert ok_a and ok_b
    await a.send_json_to({"type": "dm_message", "content": "hi bob"})
    got_a = await receive_type(a, "dm_message")
    got_b = await receive_type(b, "dm_message")
    assert got_a == got_b
    message = got_b["message"]
    assert (message["sender_id"], message["recipient_id"], message["content"]) == (alice.pk, bob.pk, "hi bob")
    stored = await database_sync_to_async(DirectMessage.objects.get)(pk=message["id"])
    assert stored.content == "hi bob"
    await a.disconnect()
    await b.disconnect()


async def test_recipient_on_the_dm_socket_gets_no_dm_received(ws_connect, friends):
    alice, bob = friends
    b_dm, _, _ = await ws_connect(f"/ws/dm/{alice.pk}/", bob)
    b_notes, _, _ = await ws_connect("/ws/notifications/", bob)
    assert (await b_notes.receive_json_from(timeout=3))["type"] == "badge"  # sent on connect
    await database_sync_to_async(dm_send)(sender=alice, recipient_id=bob.pk, content="you are here")
    assert (await receive_type(b_dm, "dm_message"))["message"]["content"] == "you are here"
    assert await b_notes.receive_nothing(timeout=0.3)
    await b_dm.disconnect()
    await b_notes.disconnect()


async def test_recipient_only_on_notifications_gets_dm_received(ws_connect, friends, client_for):
    alice, bob = friends
    notes, _, _ = await ws_connect("/ws/notifications/", bob)
    response = await database_sync_to_async(client_for(alice).post)(
        f"/api/dm/{bob.pk}/messages/", {"content": "are you there?"}, format="json"
    )
    frame = await receive_type(notes, "dm_received")
    assert frame == {
        "type": "dm_received",
        "from_user_id": alice.pk,
        "from_user": {
            "id": alice.pk,
            "username": alice.username,
            "display_name": alice.display_name,
            "is_premium": alice.is_premium,
        },
        "message_id": response.json()["id"],
    }
    await notes.disconnect()


async def test_recipient_with_a_dm_socket_to_someone_else_still_gets_dm_received(ws_connect, friends, carol):
    alice, bob = friends
    await database_sync_to_async(friendship_create)(user_a=bob, user_b=carol)
    other, _, _ = await ws_connect(f"/ws/dm/{carol.pk}/", bob)
    notes, _, _ = await ws_connect("/ws/notifications/", bob)
    await database_sync_to_async(dm_send)(sender=alice, recipient_id=bob.pk, content="elsewhere")
    assert (await receive_type(notes, "dm_received"))["from_user_id"] == alice.pk
    assert await other.receive_nothing(timeout=0.2)
    await other.disconnect()
    await notes.disconnect()


async def test_closing_the_dm_socket_brings_back_dm_received(ws_connect, friends):
    alice, bob = friends
    dm, _, _ = await ws_connect(f"/ws/dm/{alice.pk}/", bob)
    await dm.disconnect()
    notes, _, _ = await ws_connect("/ws/notifications/", bob)
    await database_sync_to_async(dm_send)(sender=alice, recipient_id=bob.pk, content="gone?")
    assert (await receive_type(notes, "dm_received"))["from_user_id"] == alice.pk
    await notes.disconnect()


async def test_badge_reaches_the_notification_socket_with_the_unread_count(ws_connect, friends):
    alice, bob = friends
    notes, _, _ = await ws_connect("/ws/notifications/", bob)
    assert (await receive_type(notes, "badge"))["unread_dms"] == 0  # sent on connect
    await database_sync_to_async(dm_send)(sender=alice, recipient_id=bob.pk, content="count me")
    badge = await receive_type(notes, "badge")
    assert badge["unread_dms"] == 1
    await notes.disconnect()


async def test_non_friend_socket_closes_4403(ws_connect, alice, carol):
    ws, connected, _ = await ws_connect(f"/ws/dm/{carol.pk}/", alice)
    assert connected
    assert await closed_with(ws) == 4403


async def test_blocked_friend_socket_closes_4403(ws_connect, friends):
    alice, bob = friends
    await database_sync_to_async(block_create)(blocker=bob, blocked_id=alice.pk)
    ws, _, _ = await ws_connect(f"/ws/dm/{bob.pk}/", alice)
    assert await closed_with(ws) == 4403


async def test_unknown_user_socket_closes_4404(ws_connect, alice):
    ws, _, _ = await ws_connect("/ws/dm/999999/", alice)
    assert await closed_with(ws) == 4404


async def test_socket_to_oneself_closes_4403(ws_connect, alice):
    ws, _, _ = await ws_connect(f"/ws/dm/{alice.pk}/", alice)
    assert await closed_with(ws) == 4403


async def test_anonymous_socket_closes_4401(ws_connect, bob):
    ws, _, _ = await ws_connect(f"/ws/dm/{bob.pk}/")
    assert await closed_with(ws) == 4401


async def test_bad_frames_are_answered_with_invalid(ws_connect, friends):
    alice, bob = friends
    ws, _, _ = await ws_connect(f"/ws/dm/{bob.pk}/", alice)
    for frame in ({"type": "dm_message", "content": "", "ref": 1}, {"type": "dm_message", "content": "z" * 2001}):
        await ws.send_json_to(frame)
        error = await receive_type(ws, "error")
        assert error["code"] == "invalid"
        assert "content" in error["fields"]
    await ws.send_json_to({"type": "dm_message", "content": "  "})
    assert (await receive_type(ws, "error"))["code"] == "invalid"
    await ws.send_json_to({"type": "chat_message", "message": "wrong socket"})
    assert (await receive_type(ws, "error"))["code"] == "unknown_type"
    assert await database_sync_to_async(DirectMessage.objects.count)() == 0
    await ws.disconnect()


async def test_socket_and_rest_share_one_rate_budget(ws_connect, friends, client_for):
    alice, bob = friends
    ws, _, _ = await ws_connect(f"/ws/dm/{bob.pk}/", alice)
    for n in range(DM_RATE.limit - 1):
        await ws.send_json_to({"type": "dm_message", "content": f"s{n}"})
        await receive_type(ws, "dm_message")
    response = await database_sync_to_async(client_for(alice).post)(
        f"/api/dm/{bob.pk}/messages/", {"content": "rest"}, format="json"
    )
    assert response.status_code == 201
    await receive_type(ws, "dm_message")
    await ws.send_json_to({"type": "dm_message", "content": "over"})
    error = await receive_type(ws, "error")
    assert error["code"] == "rate_limited"
    assert error["retry_after"] > 0
    assert await database_sync_to_async(DirectMessage.objects.count)() == DM_RATE.limit
    await ws.disconnect()


async def test_a_block_closes_the_open_dm_socket_and_refuses_later_messages(ws_connect, friends):
    from gameplatform.core.errors import ApplicationError

    alice, bob = friends
    ws, _, _ = await ws_connect(f"/ws/dm/{bob.pk}/", alice)
    await database_sync_to_async(block_create)(blocker=bob, blocked_id=alice.pk)
    while (message := await ws.receive_output(timeout=3))["type"] != "websocket.close":
        pass
    assert message["code"] == 4403
    with pytest.raises(ApplicationError) as refused:
        await database_sync_to_async(dm_send)(sender=alice, recipient_id=bob.pk, content="still there?")
    assert refused.value.code == "blocked"


async def test_dm_read_frame_marks_read_and_tells_both(ws_connect, friends):
    alice, bob = friends
    message = await database_sync_to_async(dm_send)(sender=alice, recipient_id=bob.pk, content="read me")
    a, _, _ = await ws_connect(f"/ws/dm/{bob.pk}/", alice)
    b, _, _ = await ws_connect(f"/ws/dm/{alice.pk}/", bob)
    await b.send_json_to({"type": "dm_read"})
    expected = {"type": "dm_read", "reader_id": bob.pk, "peer_id": alice.pk, "up_to_id": message.pk, "count": 1}
    assert await receive_type(a, "dm_read") == expected
    assert await receive_type(b, "dm_read") == expected
    await a.disconnect()
    await b.disconnect()


async def test_revoked_conversation_tells_both_sockets_why_and_closes_them_4403(ws_connect, friends):
    alice, bob = friends
    a, _, _ = await ws_connect(f"/ws/dm/{bob.pk}/", alice)
    b, _, _ = await ws_connect(f"/ws/dm/{alice.pk}/", bob)
    await database_sync_to_async(dm_access_revoke)(user_a_id=alice.pk, user_b_id=bob.pk)
    for ws in (a, b):
        assert (await ws.receive_json_from(timeout=3))["code"] == "forbidden"
        assert await closed_with(ws) == 4403
