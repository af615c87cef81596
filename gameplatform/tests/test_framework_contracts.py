"""What the kit takes from Channels and uvicorn beyond their documented API, pinned.

``docs/development.md`` ("What the kit takes from the frameworks") lists each such touch
point with its reason. Each test here fails when the library changes the thing the kit
relies on, so an upgrade (the lock's, or the canary's newest releases) says so by name
instead of breaking sockets at run time.
"""

import asyncio
import re
import socket
from pathlib import Path

import pytest
import uvicorn
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator
from websockets.asyncio.client import connect

from gameplatform.consumers import ASGI_HANDLERS, BaseConsumer

ROOT = Path(__file__).resolve().parents[2]


# --- Channels: BaseConsumer.__call__ / dispatch -----------------------------------------
# The base consumer runs its own loop (no channel-layer channel per socket, no asyncio.wait per
# message, no thread hop per message) and hands each server event to Channels' handlers.


class Recorder(AsyncWebsocketConsumer):
    """Channels' consumer, recording what it is asked to do."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple] = []

    async def websocket_connect(self, message) -> None:
        self.calls.append(("websocket_connect", message["type"]))
        await super().websocket_connect(message)

    async def websocket_receive(self, message) -> None:
        self.calls.append(("websocket_receive", message["type"]))
        await super().websocket_receive(message)

    async def websocket_disconnect(self, message) -> None:
        self.calls.append(("websocket_disconnect", message["type"]))
        raise StopConsumer()

    async def receive(self, text_data=None, bytes_data=None) -> None:
        await self.send(text_data=f"echo {text_data}")


# Channels' own dispatch closes old database connections on its sync thread first.
@pytest.mark.django_db(transaction=True)
async def test_channels_calls_the_handlers_the_kit_dispatches_each_server_event_to():
    """Channels' own loop (``AsyncConsumer.__call__``) calls, for each ASGI event, the handler
    ``ASGI_HANDLERS`` names: the base consumer's loop calls the same ones."""
    instances: list[Recorder] = []

    class Recorded(Recorder):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            instances.append(self)

    communicator = WebsocketCommunicator(Recorded.as_asgi(), "/ws/")
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    await communicator.send_to(text_data="hi")
    assert await communicator.receive_from(timeout=5) == "echo hi"
    await communicator.disconnect()

    (consumer,) = instances
    assert consumer.calls == [(handler, event) for event, handler in ASGI_HANDLERS.items()]


async def test_channels_websocket_consumer_runs_without_a_channel_layer_and_writes_through_base_send():
    """What ``BaseConsumer.__call__`` sets up instead of Channels' ``__call__``: ``channel_layer``
    None and the server's ``send`` as ``base_send``. Channels' connect handler then needs no
    layer (no ``groups``), and ``accept``, ``send`` and ``close`` write through ``base_send``."""
    sent: list[dict] = []

    async def base_send(message: dict) -> None:
        sent.append(message)

    consumer = Recorder()
    consumer.scope, consumer.channel_layer, consumer.base_send = {"type": "websocket"}, None, base_send
    await consumer.websocket_connect({"type": "websocket.connect"})  # Channels' connect(): accept
    await consumer.websocket_receive({"type": "websocket.receive", "text": "hi"})
    await consumer.close(code=4000)

    assert sent == [
        {"type": "websocket.accept", "subprotocol": None},
        {"type": "websocket.send", "text": "echo hi"},
        {"type": "websocket.close", "code": 4000},
    ]


def test_the_base_consumer_overrides_channels_handlers_by_the_names_channels_gives_them():
    """``BaseConsumer`` replaces Channels' ``__call__``, ``dispatch`` and ``websocket_disconnect``:
    those names must still be Channels' own, or the override would silently stop applying."""
    for name in ("__call__", "dispatch", *ASGI_HANDLERS.values()):
        assert hasattr(AsyncWebsocketConsumer, name), f"Channels' AsyncWebsocketConsumer has no {name}"
    for name in ("__call__", "dispatch", "websocket_disconnect"):
        assert name in vars(BaseConsumer)


# --- uvicorn: BaseConsumer._stalled ----------------------------------------------------------
# A client that stopped reading is cut off by reading the protocol behind the server's ``send``
# (``send.__self__``): its ``writable`` event (clear while the transport's buffer is over its
# high-water mark) and its ``transport`` (``abort()``). Only uvicorn's websockets-sansio
# implementation has them, hence the servers' ``--ws websockets-sansio``.


def uvicorn_ws_implementations() -> set[str]:
    """The ``--ws`` implementations the project's own command lines run uvicorn with."""
    makefile = (ROOT / "Makefile").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    return set(re.findall(r"--ws[ =]([\w-]+)", makefile)) | set(re.findall(r'"--ws",\s*"([\w-]+)"', dockerfile))


def test_every_uvicorn_command_line_runs_the_implementation_whose_backpressure_the_kit_reads():
    assert uvicorn_ws_implementations() == {"websockets-sansio"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("ws", sorted(uvicorn_ws_implementations()))
async def test_uvicorn_hands_the_application_its_protocols_send_with_writable_and_transport(ws):
    seen: dict = {}
    closed = asyncio.Event()

    async def app(scope, receive, send) -> None:
        if scope["type"] != "websocket":
            return
        await receive()  # websocket.connect
        seen["send"] = send
        await send({"type": "websocket.accept"})
        await receive()  # websocket.disconnect
        closed.set()

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, ws=ws, lifespan="off", log_level="warning", timeout_graceful_shutdown=2
        )
    )
    serving = asyncio.ensure_future(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
            await asyncio.sleep(0.02)
        async with connect(f"ws://127.0.0.1:{port}/", ping_interval=None):
            protocol = getattr(seen["send"], "__self__", None)
            assert isinstance(protocol, asyncio.Protocol), "the ASGI send is no longer the protocol's own method"
            assert isinstance(getattr(protocol, "writable", None), asyncio.Event), "no writable event"
            assert callable(getattr(getattr(protocol, "transport", None), "abort", None)), "no transport to abort"
            # ``writable`` follows asyncio's flow control: clear while the buffer is over its mark.
            assert protocol.writable.is_set()
            protocol.pause_writing()
            assert not protocol.writable.is_set()
            protocol.resume_writing()
            assert protocol.writable.is_set()
        await asyncio.wait_for(closed.wait(), 5)
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)
