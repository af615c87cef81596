"""A client that stops reading is cut off; the others in its group keep getting every frame.

Runs the real server (uvicorn, in this test's event loop) and real WebSocket clients.
"""

import asyncio
import json
import socket

import pytest
import uvicorn
from websockets.asyncio.client import connect

from chat.lobbies import services as lobbies
from conftest import access_token_for
from gameplatform import db
from gameplatform.groups import lobby_group
from gameplatform.realtime import agroup_send

pytestmark = pytest.mark.django_db(transaction=True)

FRAMES = 4000
PADDING = "x" * 4000  # 4000 frames of 4 KB: far more than the kernel and the transport buffer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def server():
    from gameplatform.asgi import application

    port = free_port()
    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=port,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        log_level="warning",
        lifespan="off",
    )
    instance = uvicorn.Server(config)
    task = asyncio.ensure_future(instance.serve())
    while not instance.started:  # noqa: ASYNC110 - uvicorn offers no event for it
        await asyncio.sleep(0.02)
    yield f"ws://127.0.0.1:{port}"
    instance.should_exit = True
    await asyncio.wait_for(task, 10)


def _lobby_with(owner, member) -> int:
    lobby = lobbies.lobby_create(owner=owner, name="slow readers", max_participants=4)
    lobbies.lobby_join(lobby_id=lobby.pk, user=member)
    return lobby.pk


async def test_a_client_that_stops_reading_is_dropped_and_the_group_still_gets_every_frame(
    server, premium_owner, alice
):
    lobby_id = await db.run(_lobby_with, premium_owner, alice)
    path = f"/ws/lobbies/{lobby_id}/"
    reader = await connect(
        server + path,
        additional_headers={"Authorization": f"Bearer {access_token_for(alice)}"},
        compression=None,
        ping_interval=None,
        max_size=None,
    )
    # max_queue=1: once one frame waits unread, this client stops reading from the network.
    stalled = await connect(
        server + path,
        additional_headers={"Authorization": f"Bearer {access_token_for(premium_owner)}"},
        compression=None,
        ping_interval=None,
        max_queue=1,
        max_size=None,
    )
    received = 0

    async def read_all() -> None:
        nonlocal received
        async for raw in reader:
            if json.loads(raw).get("type") == "bulk":
                received += 1
                if received == FRAMES:
                    return

    reading = asyncio.ensure_future(read_all())
    await asyncio.sleep(0.3)  # both sockets in the group, initial frames sent
    for n in range(FRAMES):
        await agroup_send(lobby_group(lobby_id), {"type": "bulk", "n": n, "pad": PADDING})
    await asyncio.wait_for(reading, 30)

    assert received == FRAMES
    # The stalled client was cut off rather than waited for.
    with pytest.raises(Exception):  # noqa: B017 - any close: the connection is gone
        for _ in range(FRAMES + 10):
            await asyncio.wait_for(stalled.recv(), 5)
    await reader.close()
