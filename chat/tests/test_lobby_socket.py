"""``WS /ws/lobbies/{id}/``: access, chat, typing, presence, moderation, rate limits."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async

from chat.lobbies import services
from chat.lobbies.factories import make_lobby
from chat.models import LobbyMessage
from conftest import closed_with, receive_type

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def room(premium_owner, alice, bob):
    return make_lobby(owner=premium_owner, members=[alice, bob], name="Socket room")


def path(lobby) -> str:
    return f"/ws/lobbies/{lobby.pk}/"


async def open_member(ws_connect, lobby, user):
    ws, connected, _ = await ws_connect(path(lobby), user)
    assert connected
    state = await ws.receive_json_from(timeout=3)
    assert state["type"] == "lobby_state"
    return ws, state


# --- access -------------------------------------------------------------------------


async def test_non_member_socket_closes_4403(ws_connect, room, carol):
    ws, connected, _ = await ws_connect(path(room), carol)
    assert connected
    assert await closed_with(ws) == 4403


async def test_unknown_lobby_socket_closes_4404(ws_connect, alice):
    ws, connected, _ = await ws_connect("/ws/lobbies/987654/", alice)
    assert await closed_with(ws) == 4404


async def test_anonymous_socket_closes_4401(ws_connect, room):
    ws, connected, _ = await ws_connect(path(room), None)
    assert await closed_with(ws) == 4401


async def test_member_gets_lobby_state_with_online_users(ws_connect, room, premium_owner, alice):
    owner_ws, state = await open_member(ws_connect, room, premium_owner)
    assert state["online_user_ids"] == [premium_owner.pk]
    assert state["lobby"]["id"] == room.pk and len(state["lobby"]["members"]) == 3
    alice_ws, state = await open_member(ws_connect, room, alice)
    assert state["online_user_ids"] == sorted([premium_owner.pk, alice.pk])
    await owner_ws.disconnect()
    await alice_ws.disconnect()


# --- chat and typing ------------------------------------------------------------------


async def test_chat_message_reaches_every_member_with_persisted_message(ws_connect, room, alice, bob):
    alice_ws, _ = await open_member(ws_connect, room, alice)
    bob_ws, _ = await open_member(ws_connect, room, bob)
    await alice_ws.send_json_to({"type": "chat_message", "message": "  gl hf  "})
    to_bob = await receive_type(bob_ws, "chat_message")
    to_alice = await receive_type(alice_ws, "chat_message")
    assert to_bob == to_alice
    stored = await sync_to_async(LobbyMessage.objects.get)()
    assert to_bob["message"]["id"] == stored.pk and stored.content == "gl hf"
    assert to_bob["message"]["content"] == "gl hf"
    assert to_bob["message"]["sender"] == {"id": alice.pk, "username": "alice", "is_premium": False}
    assert to_bob["message"]["created_at"].endswith("Z")
    await alice_ws.disconnect()
    await bob_ws.disconnect()


@pytest.mark.parametrize("text", ["", "    ", "z" * 1001, ["list"]])
async def test_invalid_chat_message_is_error_and_not_stored(ws_connect, room, alice, text):
    ws, _ = await open_member(ws_connect, room, alice)
    await ws.send_json_to({"type": "chat_message", "message": text, "ref": 7})
    error = await receive_type(ws, "error")
    assert error["code"] == "invalid" and "message" in error["fields"] and error["ref"] == 7
    assert not await sync_to_async(LobbyMessage.objects.exists)()
    await ws.disconnect()


async def test_rest_post_is_broadcast_on_socket(ws_connect, client_for, room, alice, bob):
    bob_ws, _ = await open_member(ws_connect, room, bob)
    response = await sync_to_async(client_for(alice).post)(f"/api/lobbies/{room.pk}/messages/", {"content": "via rest"})
    assert response.status_code == 201
    frame = await receive_type(bob_ws, "chat_message")
    assert frame["message"] == response.json()
    await bob_ws.disconnect()


async def test_typing_is_relayed_to_others_not_echoed_nor_stored(ws_connect, room, alice, bob):
    alice_ws, _ = await open_member(ws_connect, room, alice)
    bob_ws, _ = await open_member(ws_connect, room, bob)
    await receive_type(alice_ws, "presence_join")  # bob came online
    await alice_ws.send_json_to({"type": "typing_start"})
    assert await receive_type(bob_ws, "typing_start") == {
        "type": "typing_start",
        "user_id": alice.pk,
        "username": "alice",
    }
    await alice_ws.send_json_to({"type": "typing_stop"})
    assert await receive_type(bob_ws, "typing_stop") == {
        "type": "typing_stop",
        "user_id": alice.pk,
        "username": "alice",
    }
    assert await alice_ws.receive_nothing(timeout=0.3)
    assert not await sync_to_async(LobbyMessage.objects.exists)()
    await alice_ws.disconnect()
    await bob_ws.disconnect()


# --- presence ----------------------------------------------------------------------------


async def test_two_tabs_are_one_presence(ws_connect, room, alice, bob):
    bob_ws, _ = await open_member(ws_connect, room, bob)
    tab1, _ = await open_member(ws_connect, room, alice)
    assert await bob_ws.receive_json_from(timeout=3) == {
        "type": "presence_join",
        "user_id": alice.pk,
        "username": "alice",
        "is_premium": False,
    }
    tab2, state = await open_member(ws_connect, room, alice)
    assert alice.pk in state["online_user_ids"]
    await tab1.disconnect()
    assert await bob_ws.receive_nothing(timeout=0.3)  # one tab left: still online
    await tab2.disconnect()
    assert await bob_ws.receive_json_from(timeout=3) == {
        "type": "presence_leave",
        "user_id": alice.pk,
        "username": "alice",
    }
    assert await sync_to_async(services.ROOM.online_user_ids)(room.pk) == [bob.pk]
    await bob_ws.disconnect()


# --- moderation -------------------------------------------------------------------------


async def test_kick_tells_others_and_closes_every_target_socket_4403(
    ws_connect, client_for, room, premium_owner, alice, bob
):
    bob_ws, _ = await open_member(ws_connect, room, bob)
    tab1, _ = await open_member(ws_connect, room, alice)
    tab2, _ = await open_member(ws_connect, room, alice)
    response = await sync_to_async(client_for(premium_owner).post)(
        f"/api/lobbies/{room.pk}/kick/", {"user_id": alice.pk, "reason": "afk"}
    )
    assert response.status_code == 200
    kick = {"type": "moderation_kick", "target_id": alice.pk, "target_username": "alice", "reason": "afk"}
    assert await receive_type(bob_ws, "moderation_kick") == kick
    assert await receive_type(bob_ws, "member_left") == {
        "type": "member_left",
        "user_id": alice.pk,
        "username": "alice",
    }
    assert (await receive_type(bob_ws, "presence_leave"))["user_id"] == alice.pk
    for tab in (tab1, tab2):
        assert await receive_type(tab, "moderation_kick") == kick
        assert (await receive_type(tab, "error"))["code"] == "not_member"
        assert await closed_with(tab) == 4403
    # A kicked user who reconnects is refused.
    again, _, _ = await ws_connect(path(room), alice)
    assert await closed_with(again) == 4403
    await bob_ws.disconnect()


async def test_ban_closes_target_socket_4403(ws_connect, room, premium_owner, alice, bob):
    bob_ws, _ = await open_member(ws_connect, room, bob)
    alice_ws, _ = await open_member(ws_connect, room, alice)
    await sync_to_async(services.lobby_ban)(lobby_id=room.pk, actor=premium_owner, user_id=alice.pk, reason="spam")
    ban = await receive_type(bob_ws, "moderation_ban")
    assert ban == {"type": "moderation_ban", "target_id": alice.pk, "target_username": "alice", "reason": "spam"}
    assert await closed_with(alice_ws) == 4403
    await bob_ws.disconnect()


async def test_leaving_closes_own_sockets_normally(ws_connect, room, alice, bob):
    bob_ws, _ = await open_member(ws_connect, room, bob)
    alice_ws, _ = await open_member(ws_connect, room, alice)
    await sync_to_async(services.lobby_leave)(lobby_id=room.pk, user=alice)
    assert await closed_with(alice_ws) == 1000
    assert (await receive_type(bob_ws, "member_left"))["user_id"] == alice.pk
    await bob_ws.disconnect()


async def test_start_broadcasts_lobby_started(ws_connect, room, premium_owner, alice):
    alice_ws, _ = await open_member(ws_connect, room, alice)
    lobby = await sync_to_async(services.lobby_start)(lobby_id=room.pk, user=premium_owner)
    frame = await receive_type(alice_ws, "lobby_started")
    assert frame == {"type": "lobby_started", "game_id": lobby.game_id}
    assert isinstance(frame["game_id"], int)
    await alice_ws.disconnect()


async def test_join_and_role_changes_are_broadcast(ws_connect, room, premium_owner, alice, carol):
    alice_ws, _ = await open_member(ws_connect, room, alice)
    await sync_to_async(services.lobby_join)(lobby_id=room.pk, user=carol)
    joined = await receive_type(alice_ws, "member_joined")
    assert joined["member"]["user"]["id"] == carol.pk and joined["member"]["role"] == "member"
    await sync_to_async(services.lobby_moderator_add)(lobby_id=room.pk, actor=premium_owner, user_id=carol.pk)
    changed = await receive_type(alice_ws, "role_changed")
    assert changed == {"type": "role_changed", "user_id": carol.pk, "username": "carol", "role": "moderator"}
    await alice_ws.disconnect()


# --- rate limit ---------------------------------------------------------------------------


async def test_rate_limit_is_shared_between_rest_and_socket(ws_connect, client_for, room, alice, settings):
    # A window longer than the test, so a slow machine cannot let the window slide mid-test.
    settings.CHAT_RATE_WINDOW = 60.0
    ws, _ = await open_member(ws_connect, room, alice)
    client = client_for(alice)
    for n in range(2):
        response = await sync_to_async(client.post)(f"/api/lobbies/{room.pk}/messages/", {"content": f"rest {n}"})
        assert response.status_code == 201
    await ws.send_json_to({"type": "chat_message", "message": "socket 1"})
    heard = [(await receive_type(ws, "chat_message"))["message"]["content"] for _ in range(3)]
    assert heard == ["rest 0", "rest 1", "socket 1"]  # broadcast once stored: the row is there below
    await ws.send_json_to({"type": "chat_message", "message": "socket 2", "ref": "r2"})
    error = await receive_type(ws, "error")
    assert error["code"] == "rate_limited" and error["ref"] == "r2" and 0 < error["retry_after"] <= 60
    response = await sync_to_async(client.post)(f"/api/lobbies/{room.pk}/messages/", {"content": "rest 3"})
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"
    contents = await sync_to_async(lambda: list(LobbyMessage.objects.values_list("content", flat=True)))()
    assert sorted(contents) == ["rest 0", "rest 1", "socket 1"]
    await ws.disconnect()


async def test_a_message_the_users_other_tab_left_no_budget_for_is_refused_unstored_and_heard_by_nobody(
    ws_connect, room, alice, bob, settings
):
    settings.CHAT_RATE_WINDOW = 60.0  # longer than the test: the window cannot slide mid-test
    first_tab, _ = await open_member(ws_connect, room, alice)
    second_tab, _ = await open_member(ws_connect, room, alice)
    bob_ws, _ = await open_member(ws_connect, room, bob)
    for n in range(2):
        await first_tab.send_json_to({"type": "chat_message", "message": f"tab one {n}"})
        await receive_type(first_tab, "chat_message")
    await second_tab.send_json_to({"type": "chat_message", "message": "tab two 0", "ref": "a"})
    await receive_type(second_tab, "chat_message")
    # This tab sent one of three: it lets the next through to the shared budget, which refuses it.
    await second_tab.send_json_to({"type": "chat_message", "message": "tab two 1", "ref": "b"})
    error = await receive_type(second_tab, "error")
    assert error["code"] == "rate_limited" and error["ref"] == "b" and 0 < error["retry_after"] <= 60

    heard = [(await receive_type(bob_ws, "chat_message"))["message"]["content"] for _ in range(3)]
    assert heard == ["tab one 0", "tab one 1", "tab two 0"]
    assert await bob_ws.receive_nothing(timeout=0.3)  # each once, the refused one never
    contents = await sync_to_async(lambda: sorted(LobbyMessage.objects.values_list("content", flat=True)))()
    assert contents == ["tab one 0", "tab one 1", "tab two 0"]
    for ws in (first_tab, second_tab, bob_ws):
        await ws.disconnect()


async def test_a_message_past_what_this_socket_sent_is_refused_at_once_and_never_stored(
    ws_connect, room, alice, settings
):
    settings.CHAT_RATE_WINDOW = 60.0
    ws, _ = await open_member(ws_connect, room, alice)
    for n in range(4):  # sent together: the fourth is refused on arrival, before the three are stored
        await ws.send_json_to({"type": "chat_message", "message": f"burst {n}", "ref": n})
    error = await receive_type(ws, "error")
    assert error["code"] == "rate_limited" and error["ref"] == 3 and 59 < error["retry_after"] <= 60
    contents = [(await receive_type(ws, "chat_message"))["message"]["content"] for _ in range(3)]
    assert contents == ["burst 0", "burst 1", "burst 2"]
    assert await sync_to_async(LobbyMessage.objects.count)() == 3
    await ws.disconnect()


async def test_flooding_after_refusals_closes_socket_1008(ws_connect, room, alice, settings):
    from gameplatform.sockets.consumers import CLOSE_FLOODING, FLOOD_REFUSALS

    # A window longer than the test, so a slow machine cannot let the window slide mid-burst.
    settings.CHAT_RATE_WINDOW = 60.0
    ws, _ = await open_member(ws_connect, room, alice)
    for n in range(3 + FLOOD_REFUSALS.limit):
        await ws.send_json_to({"type": "chat_message", "message": f"spam {n}"})
    await ws.send_json_to({"type": "chat_message", "message": "one too many"})
    codes = []
    while True:
        message = await ws.receive_output(timeout=3)
        if message["type"] == "websocket.close":
            break
        frame = json.loads(message["text"])
        if frame["type"] == "error":
            codes.append(frame["code"])
    assert message["code"] == CLOSE_FLOODING
    assert codes == ["rate_limited"] * FLOOD_REFUSALS.limit + ["flooding"]
    await ws.disconnect()


async def test_typing_spam_is_capped_per_socket(ws_connect, room, alice, bob):
    from chat.lobbies.consumers import TYPING_LIMIT

    alice_ws, _ = await open_member(ws_connect, room, alice)
    bob_ws, _ = await open_member(ws_connect, room, bob)
    for _ in range(TYPING_LIMIT + 1):
        await bob_ws.send_json_to({"type": "typing_start"})
    assert (await receive_type(bob_ws, "error"))["code"] == "rate_limited"
    relayed = 0
    while not await alice_ws.receive_nothing(timeout=0.3):
        relayed += (await alice_ws.receive_json_from())["type"] == "typing_start"
    assert relayed == TYPING_LIMIT
    await alice_ws.disconnect()
    await bob_ws.disconnect()


async def test_a_sender_keeping_to_the_limit_is_not_refused_when_its_messages_wait_for_the_database(
    ws_connect, room, alice, settings
):
    """The budget is counted when a frame arrives, not when its database work gets a worker."""
    import threading

    from gameplatform.data import db

    db.reset_pool()
    settings.DB_WORKERS = 1
    try:
        ws, _ = await open_member(ws_connect, room, alice)
        busy = threading.Event()
        blocked = asyncio.ensure_future(db.run(busy.wait, 10))  # the only worker is taken
        for n in range(4):  # 3 in any 2 s: 0.0, 0.7, 1.4, 2.1
            await ws.send_json_to({"type": "chat_message", "message": f"paced {n}", "ref": n})
            await asyncio.sleep(0.7)
        busy.set()  # the four wait for the worker, then are stored within milliseconds
        await blocked
        contents = [(await receive_type(ws, "chat_message"))["message"]["content"] for _ in range(4)]
        assert contents == [f"paced {n}" for n in range(4)]
        assert await ws.receive_nothing(timeout=0.3)  # and no rate_limited error
        await ws.disconnect()
    finally:
        db.reset_pool()
