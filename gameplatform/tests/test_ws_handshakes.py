"""Handshakes refused or routed nowhere: a ticket presented is spent, no path is an HTTP 500,
and no credential of a refused handshake reaches the server's log."""

import asyncio
import logging
import time
import uuid

import httpx
import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from accounts.services import ws_ticket_issue
from gameplatform.tests.live import bearer

# Holds a route or frame family of the contract to the server: `make test` runs it under daphne too.
pytestmark = pytest.mark.contract

FOREIGN_ORIGIN = "http://evil.example"
# Paths outside the socket routes: the site, the API, the web client, a near miss of /ws/.
NOWHERE = ["/", "/api/me/", "/play/", "/wsx/", "/static/app.js", "/ws-nothing"]


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


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", NOWHERE)
@pytest.mark.parametrize("authenticated", [True, False])
async def test_an_upgrade_outside_the_socket_routes_closes_4404_and_logs_no_error(
    ws_connect, alice, caplog, path, authenticated
):
    with caplog.at_level(logging.INFO):
        ws, connected, _ = await ws_connect(path, alice if authenticated else None)
        assert connected
        assert await closed_with(ws) == 4404
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


# --- a real server ---------------------------------------------------------------------


def log_since(live, offset: int, *expected: str, within: float = 5.0) -> str:
    """The server's log after ``offset`` once it holds every ``expected`` text (lines are written
    by the log handler's thread, a few milliseconds late)."""
    deadline = time.monotonic() + within
    while True:
        with open(live.log_path, "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
        if all(part in text for part in expected) or time.monotonic() > deadline:
            return text


async def test_handshakes_refused_by_origin_log_no_credential_and_spend_the_ticket(live):
    user = live.register(f"refused{uuid.uuid4().hex[:8]}")
    async with httpx.AsyncClient(base_url=live.http, timeout=10) as client:
        ticket = (await client.post("/api/auth/ws-ticket/", headers=bearer(user["access"]))).json()["ticket"]
    offset = live.log_size()
    for query in (f"token={user['access']}", f"ticket={ticket}", f"Token={user['access']}&x=1"):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{live.ws}/ws/notifications/?{query}", origin=FOREIGN_ORIGIN, open_timeout=10):
                pass
        assert refused.value.response.status_code == 403
    async with connect(f"{live.ws}/ws/notifications/?ticket={ticket}", open_timeout=10) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd.code == 4401  # the refused handshake spent the ticket

    log = await asyncio.to_thread(
        log_since, live, offset, "/ws/notifications/?token=[redacted]", "/ws/notifications/?ticket=[redacted]"
    )
    # The kit's one line per refused handshake, under either server, its query redacted.
    assert "websocket refused: origin not allowed: /ws/notifications/?token=[redacted]" in log
    assert "websocket refused: origin not allowed: /ws/notifications/?ticket=[redacted]" in log
    assert user["access"] not in log and ticket not in log
    assert live.credentials_logged(offset) == []


@pytest.mark.parametrize("path", NOWHERE)
async def test_a_live_upgrade_outside_the_socket_routes_closes_4404(live, path):
    async with connect(f"{live.ws}{path}", open_timeout=10) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd.code == 4404  # and the live fixture: nothing logged at ERROR
