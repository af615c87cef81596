"""What the kit takes from Channels beyond its documented API, pinned.

``docs/development.md`` ("What the kit takes from the frameworks") lists each such touch
point with its reason. Each test here fails when the library changes the thing the kit
relies on, so an upgrade (the lock's, or the canary's newest releases) says so by name
instead of breaking sockets at run time.
"""

import pytest
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator

from gameplatform.sockets.consumers import ASGI_HANDLERS, BaseConsumer

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
