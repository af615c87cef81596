"""A flag change reaches every connected player's notifications socket as ``liveops_changed``."""

import pytest
from asgiref.sync import sync_to_async
from rest_framework.test import APIClient

from conftest import access_token_for, receive_type

pytestmark = pytest.mark.django_db(transaction=True)


async def flag_made(make_flag, ws, name: str, default) -> None:
    """Make a flag and hear its own push, so that the push a test waits for is the next one."""
    await sync_to_async(make_flag)(name, default)
    await receive_type(ws, "liveops_changed", timeout=2)


async def notification_socket(ws_connect, user):
    ws, connected, _ = await ws_connect("/ws/notifications/", user)
    assert connected
    assert (await ws.receive_json_from(timeout=3))["type"] == "badge"
    return ws


def staff_put(user, name: str, body: dict):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    return client.put(f"/api/liveops/admin/flags/{name}/", body, format="json")


async def test_a_flag_put_reaches_every_connected_players_socket(ws_connect, alice, bob, operator, make_flag):
    sockets = [await notification_socket(ws_connect, alice), await notification_socket(ws_connect, bob)]
    await flag_made(make_flag, sockets[0], "speed", 1)
    await receive_type(sockets[1], "liveops_changed", timeout=2)
    response = await sync_to_async(staff_put)(operator, "speed", {"name": "speed", "defaultValue": 2, "rules": []})
    assert response.status_code == 200
    for ws in sockets:
        assert await receive_type(ws, "liveops_changed", timeout=2) == {"type": "liveops_changed"}
        await ws.disconnect()


async def test_a_refused_flag_change_tells_nobody(ws_connect, alice, operator, make_flag):
    ws = await notification_socket(ws_connect, alice)
    await flag_made(make_flag, ws, "speed", 1)
    response = await sync_to_async(staff_put)(operator, "speed", {"name": "speed", "rules": "nope"})
    assert response.status_code == 400
    assert await ws.receive_nothing(timeout=1.5)  # past the push's delay
    await ws.disconnect()


async def test_the_push_waits_for_every_processs_cache_and_comes_within_2_s(ws_connect, alice, operator, make_flag):
    """Sent from a unit of database work (as over REST and sockets), once every process's cache has
    looked at the version since the commit: a client refetching on any process reads the change."""
    import time

    from gameplatform.data import db
    from liveops import services

    ws = await notification_socket(ws_connect, alice)
    await flag_made(make_flag, ws, "speed", 1)
    started = time.monotonic()
    await db.run(
        services.flag_update, staff=operator, name="speed", new_name="speed", description="", default_value=4, rules=[]
    )
    assert await receive_type(ws, "liveops_changed", timeout=2) == {"type": "liveops_changed"}
    assert services.PUSH_DELAY - 0.05 <= time.monotonic() - started < 2
    await ws.disconnect()
