"""``WS /ws/groups/{id}/``: members only, chat, presence, kicks and bans closing the target's sockets."""

import pytest
from asgiref.sync import sync_to_async

from conftest import closed_with, receive_type
from groups import services
from groups.factories import make_group
from groups.models import GroupMessage

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clan(alice, bob, carol):
    """alice is the superadmin; bob and carol are members."""
    return make_group(creator=alice, members=[bob, carol], name="Socket clan")


def path(group) -> str:
    return f"/ws/groups/{group.pk}/"


async def open_member(ws_connect, group, user):
    ws, connected, _ = await ws_connect(path(group), user)
    assert connected
    state = await ws.receive_json_from(timeout=3)
    assert state["type"] == "group_state"
    return ws, state


async def test_non_member_socket_closes_4403(ws_connect, clan, make_user):
    stranger = await sync_to_async(make_user)("stranger")
    ws, connected, _ = await ws_connect(path(clan), stranger)
    assert await closed_with(ws) == 4403


async def test_unknown_group_socket_closes_4404(ws_connect, alice):
    ws, _, _ = await ws_connect("/ws/groups/987654/", alice)
    assert await closed_with(ws) == 4404


async def test_member_gets_group_state_with_online_members(ws_connect, clan, alice, bob):
    alice_ws, state = await open_member(ws_connect, clan, alice)
    assert state["online_user_ids"] == [alice.pk]
    assert state["group"]["id"] == clan.pk and state["group"]["member_count"] == 3
    assert [(m["user"]["username"], m["role"]) for m in state["group"]["members"]] == [
        ("alice", "superadmin"),
        ("bob", "member"),
        ("carol", "member"),
    ]
    bob_ws, state = await open_member(ws_connect, clan, bob)
    assert state["online_user_ids"] == sorted([alice.pk, bob.pk])
    joined = await receive_type(alice_ws, "presence_join")
    assert joined["user_id"] == bob.pk and joined["username"] == "bob"
    await bob_ws.disconnect()
    left = await receive_type(alice_ws, "presence_leave")
    assert left == {"type": "presence_leave", "user_id": bob.pk, "username": "bob"}
    await alice_ws.disconnect()


async def test_chat_message_is_stored_and_reaches_every_member(ws_connect, clan, alice, bob):
    alice_ws, _ = await open_member(ws_connect, clan, alice)
    bob_ws, _ = await open_member(ws_connect, clan, bob)
    await alice_ws.send_json_to({"type": "chat_message", "message": "  raid at nine  "})
    to_bob = await receive_type(bob_ws, "chat_message")
    to_alice = await receive_type(alice_ws, "chat_message")
    assert to_bob == to_alice
    stored = await sync_to_async(GroupMessage.objects.get)()
    assert to_bob["message"]["id"] == stored.pk and to_bob["message"]["content"] == "raid at nine"
    assert to_bob["message"]["sender"]["username"] == "alice"
    await alice_ws.disconnect()
    await bob_ws.disconnect()


async def test_chat_over_the_rate_limit_is_refused_rate_limited(ws_connect, clan, alice, settings):
    settings.CHAT_RATE_LIMIT = 2
    ws, _ = await open_member(ws_connect, clan, alice)
    for n in range(3):
        await ws.send_json_to({"type": "chat_message", "message": f"m{n}"})
    frames = [await ws.receive_json_from(timeout=3) for _ in range(3)]
    assert sorted(f["type"] for f in frames) == ["chat_message", "chat_message", "error"]
    assert next(f for f in frames if f["type"] == "error")["code"] == "rate_limited"
    assert await sync_to_async(GroupMessage.objects.count)() == 2
    await ws.disconnect()


@pytest.mark.parametrize("action", ["kick", "ban"])
async def test_kicked_or_banned_member_gets_an_error_then_the_socket_closes_4403(
    ws_connect, clan, alice, carol, action
):
    alice_ws, _ = await open_member(ws_connect, clan, alice)
    carol_ws, _ = await open_member(ws_connect, clan, carol)
    service = services.group_kick if action == "kick" else services.group_ban
    await sync_to_async(service)(group_id=clan.pk, actor=alice, user_id=carol.pk)
    error = await receive_type(carol_ws, "error")
    assert error["code"] == "not_member"
    assert await closed_with(carol_ws) == 4403
    told = await receive_type(alice_ws, f"moderation_{action}")
    assert told["target_id"] == carol.pk
    await alice_ws.disconnect()


async def test_a_member_who_leaves_has_the_socket_closed_normally(ws_connect, clan, bob):
    ws, _ = await open_member(ws_connect, clan, bob)
    await sync_to_async(services.group_leave)(group_id=clan.pk, user=bob)
    assert await closed_with(ws) == 1000


async def test_roles_and_joins_are_heard_live(ws_connect, clan, alice, bob, make_user):
    alice_ws, _ = await open_member(ws_connect, clan, alice)
    await sync_to_async(services.group_promote)(group_id=clan.pk, actor=alice, user_id=bob.pk)
    changed = await receive_type(alice_ws, "role_changed")
    assert (changed["user_id"], changed["role"]) == (bob.pk, "admin")
    newcomer = await sync_to_async(make_user)("newcomer")
    await sync_to_async(services.group_join)(group_id=clan.pk, user=newcomer)
    joined = await receive_type(alice_ws, "member_joined")
    assert joined["member"]["user"]["username"] == "newcomer" and joined["member"]["role"] == "member"
    await alice_ws.disconnect()
