"""A client that stops reading is cut off; its group, or its game room, keeps going.

The first test runs the real server (uvicorn, in this test's event loop) and real WebSocket
clients. The others run the base consumer against an ASGI server's side written here, whose
``send`` waits while its client "is not reading", as uvicorn's does once a connection's buffer
is full: they show what happens to each kind of sender (a hub broadcast, a room's signal, the
socket's own reply) and to the socket afterwards.
"""

import asyncio
import json
import time

import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat.lobbies import services as lobbies
from conftest import access_token_for
from gameplatform.broadcast.groups import lobby_group
from gameplatform.broadcast.realtime import agroup_send, agroup_signal, encode
from gameplatform.data import db
from gameplatform.sockets import presence
from gameplatform.sockets.consumers import BaseConsumer
from gameplatform.sockets.stalls import get_send_watch
from gameplatform.tests.live import free_port

pytestmark = pytest.mark.django_db(transaction=True)

FRAMES = 4000
PADDING = "x" * 4000  # 4000 frames of 4 KB: far more than the kernel and the transport buffer


@pytest.fixture(params=["websockets-sansio", "preparedws:PreparedFramesProtocol"])
async def server(request):
    """uvicorn in this loop, with its own WebSocket protocol and with ours (``preparedws``)."""
    from gameplatform.asgi import application

    port = free_port()
    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=port,
        ws=request.param,
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
    await asyncio.wait_for(task, 30)  # (a loaded machine's server takes seconds to close its sockets)


def _lobby_with(owner, member) -> int:
    lobby = lobbies.lobby_create(owner=owner, name="slow readers", max_participants=4)
    lobbies.lobby_join(lobby_id=lobby.pk, user=member)
    return lobby.pk


async def test_a_client_that_stops_reading_is_cut_off_and_the_group_gets_every_frame_and_its_leave(
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
    received, joined, left = 0, asyncio.Event(), asyncio.Event()

    async def read_all() -> None:
        nonlocal received
        async for raw in reader:
            frame = json.loads(raw)
            if frame.get("type") == "bulk":
                received += 1
            elif frame.get("type") == "presence_join" and frame.get("user_id") == premium_owner.pk:
                joined.set()
            elif frame.get("type") == "presence_leave" and frame.get("user_id") == premium_owner.pk:
                left.set()
            if received == FRAMES and left.is_set():
                return

    reading = asyncio.ensure_future(read_all())
    # The group heard the stalled member arrive: both sockets are in it, their first frames sent.
    await asyncio.wait_for(joined.wait(), 10)
    started = time.monotonic()
    for n in range(FRAMES):
        await agroup_send(lobby_group(lobby_id), {"type": "bulk", "n": n, "pad": PADDING})
    sending = time.monotonic() - started
    await asyncio.wait_for(reading, 30)

    assert received == FRAMES
    assert left.is_set()  # the group heard the stalled member leave
    assert await asyncio.to_thread(presence.online_ids, [premium_owner.pk]) == set()
    # The broadcasts waited on the stalled client a few times at most, not once a frame (that would
    # be FRAMES x WS_STALL_SECONDS, 2,000 s). The sending alone takes about 3 s on a quiet machine
    # and 11 s beside two other test workers: the bound is for failure, not a measure.
    assert sending < 30
    # The stalled client reads again: what was buffered for it, then the end of the connection.
    got = 0
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(stalled.recv(), 5)
            got += 1
    assert got < FRAMES
    assert closed.value.rcvd is None  # no close frame (1006): one would have waited behind the frames
    await reader.close()


# --- the base consumer against a server whose send waits --------------------------------------

GROUP = "stall-test"


class Member(BaseConsumer):
    """A socket in ``GROUP`` that writes a room's frames (the ``frame`` signal) as a game socket does."""

    client_types = frozenset()
    disconnects: list[tuple[int, object]] = []

    async def on_connect(self) -> None:
        await self.join_group(GROUP)

    async def on_signal(self, signal: str, data: dict) -> None:
        if signal == "frame":
            await self.send(text_data=data["text"])

    async def on_disconnect(self, code) -> None:
        Member.disconnects.append((self.user_id, code))


class ServerSide:
    """The server's half of one socket: ``send`` waits while the client is not reading."""

    def __init__(self, user) -> None:
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.texts: list[str] = []
        self.accepted = asyncio.Event()
        self.reading = asyncio.Event()
        self.reading.set()
        self.scope = {"type": "websocket", "path": "/ws/test/", "user": user, "headers": []}

    async def receive(self) -> dict:
        return await self.inbox.get()

    async def send(self, message: dict) -> None:
        await self.reading.wait()
        if message["type"] == "websocket.accept":
            self.accepted.set()
        elif message["type"] == "websocket.send":
            self.texts.append(message["text"])

    async def open(self) -> asyncio.Task:
        app = asyncio.ensure_future(Member.as_asgi()(self.scope, self.receive, self.send))
        await self.inbox.put({"type": "websocket.connect"})
        await asyncio.wait_for(self.accepted.wait(), 5)
        return app


@pytest.fixture
def stall_limit(settings):
    settings.WS_STALL_SECONDS = 0.2
    get_send_watch.clear()
    Member.disconnects = []
    yield 0.2
    get_send_watch.clear()


async def _two_members(alice, bob):
    quick, slow = ServerSide(alice), ServerSide(bob)
    quick_app, slow_app = await quick.open(), await slow.open()
    slow.reading.clear()  # bob's client stops reading
    return quick, quick_app, slow, slow_app


@pytest.mark.parametrize("how", ["broadcast", "room signal"])
async def test_a_socket_whose_client_stops_reading_holds_up_its_group_once_then_is_ended_as_on_a_disconnect(
    stall_limit, alice, bob, how
):
    quick, quick_app, slow, slow_app = await _two_members(alice, bob)

    started = time.monotonic()
    for n in range(3):
        if how == "broadcast":
            await agroup_send(GROUP, {"type": "bulk", "n": n})
        else:
            await agroup_signal(GROUP, "frame", text=encode({"type": "bulk", "n": n}))
    waited = time.monotonic() - started

    assert [json.loads(text)["n"] for text in quick.texts] == [0, 1, 2]
    assert slow.texts == []
    assert stall_limit <= waited < 4 * stall_limit  # once, for the first frame only
    await asyncio.wait_for(slow_app, 5)  # the stalled socket's task ended: the server closes it
    assert Member.disconnects == [(bob.pk, 1006)]
    assert await asyncio.to_thread(presence.online_ids, [alice.pk, bob.pk]) == {alice.pk}
    assert not quick_app.done()
    await quick.inbox.put({"type": "websocket.disconnect", "code": 1000})
    await asyncio.wait_for(quick_app, 5)


async def test_a_reply_the_socket_itself_cannot_write_ends_that_socket(stall_limit, alice):
    side = ServerSide(alice)
    app = await side.open()
    side.reading.clear()
    await side.inbox.put({"type": "websocket.receive", "text": '{"type": "ping"}'})  # its pong waits

    await asyncio.wait_for(app, 5)

    assert Member.disconnects == [(alice.pk, 1006)]
    assert await asyncio.to_thread(presence.online_ids, [alice.pk]) == set()


async def test_a_server_stopping_a_socket_whose_send_waits_is_not_taken_for_a_stall(stall_limit, alice):
    side = ServerSide(alice)
    app = await side.open()
    side.reading.clear()
    await side.inbox.put({"type": "websocket.receive", "text": '{"type": "ping"}'})
    await asyncio.sleep(stall_limit / 4)

    app.cancel()  # the server cancels the application before the watch looks

    with pytest.raises(asyncio.CancelledError):
        await app
    assert Member.disconnects == []
