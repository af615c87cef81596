"""A suspension closes the player's open sockets 4403 and refuses new ones; a mute refuses frames."""

import pytest
from asgiref.sync import sync_to_async

from chat.lobbies.factories import make_lobby
from conftest import closed_with, receive_type
from safety.sanctions import sanction_impose

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_suspension_closes_every_open_socket_4403_and_refuses_new_ones(
    ws_connect, premium_owner, bob, make_user
):
    staff = await sync_to_async(make_user)("staffer", is_staff=True, is_superuser=True)
    lobby = await sync_to_async(make_lobby)(owner=premium_owner, members=[bob], name="room")
    notifications, connected, _ = await ws_connect("/ws/notifications/", bob)
    assert connected
    in_lobby, connected, _ = await ws_connect(f"/ws/lobbies/{lobby.pk}/", bob)
    assert connected

    await sync_to_async(sanction_impose)(
        staff=staff, user_id=bob.pk, action="suspend", duration_hours=2, statement="Cheating."
    )

    for ws in (notifications, in_lobby):
        error = await receive_type(ws, "error")
        assert error["code"] == "account_suspended"
        assert await closed_with(ws) == 4403
    again, _, _ = await ws_connect("/ws/notifications/", bob)
    error = await receive_type(again, "error")
    assert error["code"] == "account_suspended" and error["statement"] == "Cheating."
    assert await closed_with(again) == 4403


async def test_a_muted_player_s_chat_frame_is_refused_muted_and_others_hear_nothing(
    ws_connect, premium_owner, bob, make_user
):
    staff = await sync_to_async(make_user)("staffer", is_staff=True, is_superuser=True)
    lobby = await sync_to_async(make_lobby)(owner=premium_owner, members=[bob], name="room")
    ws, connected, _ = await ws_connect(f"/ws/lobbies/{lobby.pk}/", bob)
    assert connected
    await receive_type(ws, "lobby_state")
    await sync_to_async(sanction_impose)(
        staff=staff, user_id=bob.pk, action="mute", duration_hours=1, statement="Spam."
    )
    await ws.send_json_to({"type": "chat_message", "message": "buy gold", "ref": 7})
    error = await receive_type(ws, "error")
    assert (error["code"], error["ref"]) == ("muted", 7)
    assert error["until"]
    await ws.disconnect()


@pytest.mark.serial  # a bound of seconds from the sanction to the close: alone, off the loaded side-by-side run
async def test_a_suspended_player_s_notification_socket_hears_the_sanction_before_it_closes(ws_connect, bob, make_user):
    staff = await sync_to_async(make_user)("staffer", is_staff=True, is_superuser=True)
    ws, connected, _ = await ws_connect("/ws/notifications/", bob)
    assert connected
    await sync_to_async(sanction_impose)(
        staff=staff, user_id=bob.pk, action="suspend", duration_hours=2, statement="Cheating."
    )
    told = await receive_type(ws, "notification")
    assert told["kind"] == "sanction"
    assert told["payload"]["sanction"]["statement"] == "Cheating."
    assert await closed_with(ws) == 4403
