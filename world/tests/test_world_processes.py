"""Several processes are one world, and a restart keeps the world: what the database holds comes back."""

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings

from chat.tests.test_lobby_races import Recorder, wait_for
from conftest import receive_type, requires_redis
from gameplatform.broadcast.groups import area_group, world_group
from gameplatform.broadcast.hub import GroupHub
from gameplatform.broadcast.realtime import agroup_send
from world.models import Character, Location
from world.tests.test_world_socket import enter, make_character

pytestmark = pytest.mark.django_db(transaction=True)


@requires_redis
async def test_a_second_process_hears_the_area_and_global_chat_and_reaches_back(ws_connect, world, alice, bob):
    """This test's server is process A (real sockets); process B is a second channel layer and hub."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    aria = await sync_to_async(make_character)(alice, "Aria")
    layer_b = RedisPubSubChannelLayer(**settings.CHANNEL_LAYERS["default"]["CONFIG"])
    hub_b = GroupHub(layer_b)
    on_b = Recorder(bob.pk)  # bob's world socket, held by process B
    await hub_b.join(area_group(aria.location_id), on_b)
    await hub_b.join(world_group(), on_b)
    alice_ws, _ = await enter(ws_connect, alice)

    await alice_ws.send_json_to({"type": "position_update", "position": {"x": 4, "y": 2, "z": 0}})
    await alice_ws.send_json_to({"type": "chat", "channel": "global", "message": "from A"})
    await wait_for(lambda: any('"position_update"' in text for text in on_b.texts))
    await wait_for(lambda: any('"from A"' in text for text in on_b.texts))

    # A frame sent on process B's layer to the area reaches alice's socket on process A.
    await agroup_send(
        area_group(aria.location_id), {"type": "chat", "channel": "global", "message": "from B"}, layer=layer_b
    )
    assert (await receive_type(alice_ws, "chat"))["message"] == "from A"  # her own, back through the world
    assert (await receive_type(alice_ws, "chat"))["message"] == "from B"
    await alice_ws.disconnect()
    await hub_b.close()
    await layer_b.flush()


async def test_after_the_sockets_are_gone_location_and_position_are_read_back(ws_connect, world, alice):
    aria = await sync_to_async(make_character)(alice, "Aria")
    road = await sync_to_async(Location.objects.get)(name="Ashen Road")
    ws, _ = await enter(ws_connect, alice)
    await ws.send_json_to({"type": "move", "to_location_id": road.pk})
    await receive_type(ws, "nearby")
    await ws.send_json_to({"type": "position_update", "position": {"x": 7, "y": 8, "z": 9}})
    await ws.disconnect()

    # A new socket (as after a server restart) starts from what the database kept.
    again, welcome = await enter(ws_connect, alice)
    assert welcome["location"]["id"] == road.pk
    stored = await sync_to_async(Character.objects.get)(pk=aria.pk)
    assert stored.location_id == road.pk and stored.position == {"x": 7.0, "y": 8.0, "z": 9.0}
    assert welcome["character"]["health"] == stored.health
    await again.disconnect()
