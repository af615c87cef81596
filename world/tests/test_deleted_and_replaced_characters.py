"""A world socket plays one character: deleting it closes the socket 4404, selecting another closes
it 4409, on any process; a frame that races the deletion gets ``character_not_found``."""

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings

from conftest import receive_type, requires_redis
from gameplatform.broadcast.groups import world_user_group
from gameplatform.broadcast.hub import GroupHub
from gameplatform.broadcast.realtime import agroup_signal
from gameplatform.core.errors import NotFound
from world import services
from world.models import Character, Shard, Trade
from world.tests.test_trading import open_trade
from world.tests.test_world_socket import closed_with, drain, enter, make_character

pytestmark = pytest.mark.django_db(transaction=True)


async def test_deleting_a_character_closes_its_world_socket_4404_and_its_area_sees_it_leave(
    ws_connect, client_for, world, alice, bob
):
    aria = await sync_to_async(make_character)(alice, "Aria")
    await sync_to_async(make_character)(bob, "Borin")
    alice_ws, _ = await enter(ws_connect, alice)
    bob_ws, _ = await enter(ws_connect, bob)
    await receive_type(alice_ws, "player_joined_area")

    deleted = await sync_to_async(client_for(alice).delete)(f"/api/characters/{aria.pk}/")
    assert deleted.status_code == 204
    error = await receive_type(alice_ws, "error")
    assert error["code"] == "character_deleted" and error["character_id"] == aria.pk
    assert await closed_with(alice_ws) == 4404
    # Gone from its area at once, not when the client gets round to answering the close.
    assert await receive_type(bob_ws, "player_left_area") == {"type": "player_left_area", "character_id": aria.pk}
    # Whatever the old socket still sends, nobody hears it as that character.
    await alice_ws.send_json_to({"type": "chat", "channel": "global", "message": "a ghost"})
    await alice_ws.send_json_to({"type": "whisper", "to": "Borin", "message": "a ghost"})
    await alice_ws.send_json_to({"type": "position_update", "position": {"x": 1, "y": 2, "z": 3}})
    assert [f["type"] for f in await drain(bob_ws)] == []
    await alice_ws.disconnect()
    await bob_ws.disconnect()


async def test_deleting_another_of_my_characters_leaves_the_world_socket_open(ws_connect, client_for, world, alice):
    await sync_to_async(make_character)(alice, "Aria")
    spare = await sync_to_async(make_character)(alice, "Spare")
    ws, _ = await enter(ws_connect, alice)
    assert (await sync_to_async(client_for(alice).delete)(f"/api/characters/{spare.pk}/")).status_code == 204
    await ws.send_json_to({"type": "ping"})
    assert (await receive_type(ws, "pong"))["type"] == "pong"
    await ws.disconnect()


def delete_quietly(character: Character) -> None:
    """The row goes, as a deletion does, but its socket has not heard yet: a frame racing it."""
    Character.objects.filter(pk=character.pk).delete()


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "move", "to_location_id": 0},  # the neighbour's id is filled in below
        {"type": "shard_capture", "shard_id": 0},  # the shard at the character's location
        {"type": "trade_request", "to_character_id": 0},  # another character
        {"type": "combat_start", "target": {"kind": "enemy", "id": 1}},
    ],
    ids=lambda frame: frame["type"],
)
async def test_a_frame_racing_the_deletion_answers_character_not_found(ws_connect, world, alice, bob, frame):
    aria = await sync_to_async(make_character)(alice, "Aria", at="Ashen Road")
    borin = await sync_to_async(make_character)(bob, "Borin", at="Ashen Road")
    ws, welcome = await enter(ws_connect, alice)
    filled = {
        "move": {"to_location_id": welcome["location"]["neighbours"][0]},
        "shard_capture": {"shard_id": welcome["location"]["shard_id"]},
        "trade_request": {"to_character_id": borin.pk},
    }.get(frame["type"], {})
    assert all(filled.values())  # Ashen Road has neighbours and a shard
    await sync_to_async(delete_quietly)(aria)
    await ws.send_json_to({**frame, **filled, "ref": 7})
    error = await receive_type(ws, "error")
    assert (error["code"], error["ref"]) == ("character_not_found", 7)
    await ws.disconnect()


def test_a_shard_capture_by_a_deleted_character_is_character_not_found(world):
    shard = Shard.objects.first()
    with pytest.raises(NotFound) as refused:
        services.shard_capture(character_id=10**9, shard_id=shard.pk)
    assert refused.value.code == "character_not_found"


async def test_selecting_another_character_closes_the_world_socket_4409_and_the_old_one_leaves(
    ws_connect, client_for, world, alice, bob
):
    aria = await sync_to_async(make_character)(alice, "Aria")
    ayla = await sync_to_async(make_character)(alice, "Ayla")
    borin = await sync_to_async(make_character)(bob, "Borin")
    alice_ws, _ = await enter(ws_connect, alice)
    bob_ws, _ = await enter(ws_connect, bob)
    await receive_type(alice_ws, "player_joined_area")
    trade_id = await open_trade(alice_ws, bob_ws, borin.pk)

    selected = await sync_to_async(client_for(alice).post)(
        "/api/characters/select/", {"character_id": ayla.pk}, format="json"
    )
    assert selected.status_code == 200 and selected.json()["id"] == ayla.pk
    error = await receive_type(alice_ws, "error")
    assert error["code"] == "character_replaced" and error["character_id"] == ayla.pk
    assert await closed_with(alice_ws) == 4409
    # The old character's trade ends as on a disconnect, and it leaves its area, before the
    # client answers the close.
    cancelled = await receive_type(bob_ws, "trade_cancelled")
    assert cancelled["trade"]["id"] == trade_id and cancelled["reason"] == "disconnected"
    assert await receive_type(bob_ws, "player_left_area") == {"type": "player_left_area", "character_id": aria.pk}
    assert (await sync_to_async(Trade.objects.get)(pk=trade_id)).status == "cancelled"
    await alice_ws.disconnect()

    # The client reconnects and plays the new character.
    again, welcome = await enter(ws_connect, alice)
    assert welcome["character"]["id"] == ayla.pk
    assert (await receive_type(bob_ws, "player_joined_area"))["character"]["character_id"] == ayla.pk
    await again.disconnect()
    await bob_ws.disconnect()


async def test_selecting_the_character_being_played_again_keeps_the_socket(ws_connect, client_for, world, alice):
    aria = await sync_to_async(make_character)(alice, "Aria")
    ws, _ = await enter(ws_connect, alice)
    again = await sync_to_async(client_for(alice).post)("/api/characters/select/", {"character_id": aria.pk})
    assert again.status_code == 200
    assert await ws.receive_nothing(timeout=0.3)
    await ws.send_json_to({"type": "ping"})
    assert (await receive_type(ws, "pong"))["type"] == "pong"
    await ws.disconnect()


async def test_a_newer_socket_playing_another_character_does_not_keep_the_old_ones_trade(ws_connect, world, alice, bob):
    """A newer world socket replaces the older (4409) and takes over its character's trades, but only
    when it plays the same character: the one it replaced left the world."""
    await sync_to_async(make_character)(alice, "Aria")
    ayla = await sync_to_async(make_character)(alice, "Ayla")
    borin = await sync_to_async(make_character)(bob, "Borin")
    alice_ws, _ = await enter(ws_connect, alice)
    bob_ws, _ = await enter(ws_connect, bob)
    await receive_type(alice_ws, "player_joined_area")
    trade_id = await open_trade(alice_ws, bob_ws, borin.pk)
    # Selected behind the socket's back (as a selection whose signal raced the socket's opening).
    await sync_to_async(lambda: Character.objects.filter(user=alice).update(selected=False))()
    await sync_to_async(lambda: Character.objects.filter(pk=ayla.pk).update(selected=True))()

    newer, welcome = await enter(ws_connect, alice)
    assert welcome["character"]["id"] == ayla.pk
    assert await closed_with(alice_ws) == 4409
    await alice_ws.disconnect()
    cancelled = await receive_type(bob_ws, "trade_cancelled")
    assert cancelled["trade"]["id"] == trade_id and cancelled["reason"] == "disconnected"
    await newer.disconnect()
    await bob_ws.disconnect()


@requires_redis
@pytest.mark.parametrize(
    ("signal", "close_code", "error_code"),
    [
        (services.CHARACTER_DELETED, 4404, "character_deleted"),
        (services.CHARACTER_SELECTED, 4409, "character_replaced"),
    ],
)
async def test_a_deletion_or_selection_on_another_process_closes_the_socket(
    ws_connect, world, alice, signal, close_code, error_code
):
    """This test's server is process A (real sockets); the REST call ran on process B."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    aria = await sync_to_async(make_character)(alice, "Aria")
    layer_b = RedisPubSubChannelLayer(**settings.CHANNEL_LAYERS["default"]["CONFIG"])
    hub_b = GroupHub(layer_b)
    ws, _ = await enter(ws_connect, alice)
    character_id = aria.pk if signal == services.CHARACTER_DELETED else aria.pk + 1000
    await agroup_signal(world_user_group(alice.pk), signal, layer=layer_b, character_id=character_id)
    assert (await receive_type(ws, "error"))["code"] == error_code
    assert await closed_with(ws) == close_code
    await ws.disconnect()
    await hub_b.close()
    await layer_b.flush()
