"""A flag change reaches every connected player's notifications socket as ``liveops_changed``."""

import pytest
from asgiref.sync import sync_to_async
from rest_framework.test import APIClient

from conftest import access_token_for, receive_type

pytestmark = pytest.mark.django_db(transaction=True)


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
    await sync_to_async(make_flag)("speed", 1)
    sockets = [await notification_socket(ws_connect, alice), await notification_socket(ws_connect, bob)]
    response = await sync_to_async(staff_put)(operator, "speed", {"name": "speed", "defaultValue": 2, "rules": []})
    assert response.status_code == 200
    for ws in sockets:
        assert await receive_type(ws, "liveops_changed", timeout=2) == {"type": "liveops_changed"}
        await ws.disconnect()


async def test_a_refused_flag_change_tells_nobody(ws_connect, alice, operator, make_flag):
    await sync_to_async(make_flag)("speed", 1)
    ws = await notification_socket(ws_connect, alice)
    response = await sync_to_async(staff_put)(operator, "speed", {"name": "speed", "rules": "nope"})
    assert response.status_code == 400
    assert await ws.receive_nothing(timeout=0.5)
    await ws.disconnect()
