"""Handshakes refused: a ticket presented is spent."""

import pytest
from asgiref.sync import sync_to_async

from accounts.services import ws_ticket_issue

FOREIGN_ORIGIN = "http://evil.example"


async def closed_with(ws) -> int:
    message = await ws.receive_output(timeout=3)
    assert message["type"] == "websocket.close", message
    return message.get("code")


@pytest.mark.django_db(transaction=True)
async def test_a_ticket_presented_on_a_handshake_refused_by_origin_is_spent(ws_connect, alice):
    ticket = (await sync_to_async(ws_ticket_issue)(user=alice))["ticket"]
    refused, connected, _ = await ws_connect("/ws/notifications/", query=f"ticket={ticket}", origin=FOREIGN_ORIGIN)
    assert not connected
    ws, connected, _ = await ws_connect("/ws/notifications/", query=f"ticket={ticket}")
    assert connected  # accepted, then closed, so a browser can read the code
    assert await closed_with(ws) == 4401
