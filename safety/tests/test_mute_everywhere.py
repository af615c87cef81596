"""A mute holds on every chat way: the muted player's frame is refused ``muted`` (with ``until``)
and nobody hears it, in the world's global, faction and party chat, whispers, battle chat and
group chat (lobbies and DMs: ``test_sanctions.py``)."""

import io

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from conftest import receive_type
from groups.factories import make_group
from groups.models import GroupMessage
from progression.models import EnemyTemplate
from progression.services import battle_create, battle_join, player_ensure
from safety.sanctions import sanction_impose
from world import demo
from world.parties.services import party_create, party_join
from world.tests.test_world_socket import enter, make_character

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mute(moderator):
    def impose(user) -> None:
        sanction_impose(staff=moderator, user_id=user.pk, action="mute", duration_hours=1, statement="Spam.")

    return sync_to_async(impose)


@pytest.fixture
def world_of(db):
    """The demo world; ``world_of(alice, bob, ...)`` gives each a character in the same area and
    faction and a world socket, entered."""
    demo.seed(users={}, stdout=io.StringIO())

    async def make(ws_connect, *users):
        for n, user in enumerate(users):
            await sync_to_async(make_character)(user, f"Hero{n}")
        return [(await enter(ws_connect, user))[0] for user in users]

    return make


async def refused_muted(ws, frame: dict) -> None:
    await ws.send_json_to({**frame, "ref": 9})
    error = await receive_type(ws, "error")
    assert (error["code"], error["ref"]) == ("muted", 9)
    assert error["until"]


async def hear_nothing_of(ws, frame_type: str) -> None:
    """Nothing of ``frame_type`` arrives (other frames, such as presence, may)."""
    while not await ws.receive_nothing(timeout=0.3):
        assert (await ws.receive_json_from(timeout=1))["type"] != frame_type


@pytest.mark.parametrize("channel", ["global", "faction"])
async def test_a_muted_player_s_world_chat_is_refused_muted_and_nobody_hears_it(
    ws_connect, world_of, mute, alice, bob, channel
):
    alice_ws, bob_ws = await world_of(ws_connect, alice, bob)
    await mute(alice)
    await refused_muted(alice_ws, {"type": "chat", "channel": channel, "message": "buy gold"})
    for ws in (alice_ws, bob_ws):
        await hear_nothing_of(ws, "chat")
    await bob_ws.send_json_to({"type": "chat", "channel": channel, "message": "not muted"})
    assert (await receive_type(alice_ws, "chat"))["message"] == "not muted"  # only the muted player is refused
    for ws in (alice_ws, bob_ws):
        await ws.disconnect()


def _party_of(leader, member) -> None:
    party = party_create(user=leader)
    with transaction.atomic():  # as an accepted invite joins
        party_join(party_id=party.pk, user_id=member.pk)


async def test_a_muted_player_s_party_chat_is_refused_muted_and_the_party_hears_nothing(
    ws_connect, world_of, mute, alice, bob
):
    alice_ws, bob_ws = await world_of(ws_connect, alice, bob)
    await sync_to_async(_party_of)(alice, bob)
    for ws in (alice_ws, bob_ws):
        await receive_type(ws, "party_update")
    await mute(bob)
    await refused_muted(bob_ws, {"type": "chat", "channel": "party", "message": "buy gold"})
    for ws in (alice_ws, bob_ws):
        await hear_nothing_of(ws, "chat")
    for ws in (alice_ws, bob_ws):
        await ws.disconnect()


async def test_a_muted_player_s_whisper_is_refused_muted_and_its_target_hears_nothing(
    ws_connect, world_of, mute, alice, bob
):
    alice_ws, bob_ws = await world_of(ws_connect, alice, bob)
    await mute(alice)
    await refused_muted(alice_ws, {"type": "whisper", "to": "Hero1", "message": "psst"})
    for ws in (alice_ws, bob_ws):
        await hear_nothing_of(ws, "whisper")
    for ws in (alice_ws, bob_ws):
        await ws.disconnect()


def _battle_of(*users):
    enemy = EnemyTemplate.objects.create(name="Ogre", max_hp=1000, stamina_cost=5)
    battle = battle_create(enemy=enemy)
    for user in users:
        player_ensure(user_id=user.pk)
        battle_join(user=user, battle_id=battle.pk)
    return battle


async def test_a_muted_player_s_battle_chat_is_refused_muted_and_the_battle_hears_nothing(ws_connect, mute, alice, bob):
    battle = await sync_to_async(_battle_of)(alice, bob)
    sockets = []
    for user in (alice, bob):
        ws, connected, _ = await ws_connect(f"/ws/battle/{battle.pk}/", user)
        assert connected
        await receive_type(ws, "connected")
        sockets.append(ws)
    alice_ws, bob_ws = sockets
    await mute(alice)
    await refused_muted(alice_ws, {"type": "chat", "message": "go go"})
    for ws in sockets:
        await hear_nothing_of(ws, "chat")
    for ws in sockets:
        await ws.disconnect()


async def test_a_muted_member_s_group_chat_is_refused_muted_stored_nowhere_and_heard_by_nobody(
    ws_connect, mute, alice, bob
):
    clan = await sync_to_async(make_group)(creator=alice, members=[bob], name="Muted clan")
    sockets = []
    for user in (alice, bob):
        ws, connected, _ = await ws_connect(f"/ws/groups/{clan.pk}/", user)
        assert connected
        await receive_type(ws, "group_state")
        sockets.append(ws)
    alice_ws, bob_ws = sockets
    await mute(bob)
    await refused_muted(bob_ws, {"type": "chat_message", "message": "buy gold"})
    for ws in sockets:
        await hear_nothing_of(ws, "chat_message")
    assert not await sync_to_async(GroupMessage.objects.exists)()
    for ws in sockets:
        await ws.disconnect()
