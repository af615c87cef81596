"""Frames a socket sends its client, through the codec of the subprotocol its client asked for.

``FrameWriter``, mixed into ``BaseConsumer``, owns the way out of every socket: the socket's
codec (``gameplatform.sockets.codec``: JSON, MessagePack, compact, chosen as it connects) names its
subprotocol on ``accept`` and writes every frame on ``send``; ``send_frame`` and ``send_error``
are how the kit and the apps send a frame and an error in the contract's shape.

Frames at wire cost: under the project's own WebSocket protocol for uvicorn
(``preparedws``, what ``make serve`` runs), a socket's scope offers the
``preparedws.prepared_frames`` extension: a ``prepare`` that makes a whole WebSocket frame of
a message, and the connection's ``sink``, which writes such bytes to the connection in the call.
A frame most often goes to many sockets (a broadcast, a room's patch): ``prepared`` frames its
message once, by the message object itself, and every socket of the audience hands the same
bytes to its sink, with no ASGI message, no await on the server and no framing of its own.
Under another server (daphne) the socket has no sink, and every frame takes the ASGI ``send``.
A client that stops reading is cut off here too (``TimedSends.backlogged``): a prepared write
never waits, so its sink's backlog is what is bounded.
"""

from gameplatform.broadcast.hub import CLIENT_GONE
from gameplatform.broadcast.realtime import encode
from gameplatform.core import metrics
from gameplatform.sockets.codec import JSON, Codec, converted_once
from preparedws import PREPARED_FRAMES

_prepared: dict[int, tuple[str | bytes, bytes]] = {}  # the last frames made, by their message (``converted_once``)


def prepared(message: str | bytes, prepare) -> bytes:
    """``message`` as a whole WebSocket frame (``prepare``: the server's), made once for all the
    sockets it goes to."""
    return converted_once(_prepared, message, prepare)


class FrameWriter:
    """The way out of a ``BaseConsumer``: Channels' ``accept`` and ``send`` through the socket's codec."""

    codec: Codec = JSON  # how this socket's frames are read and written (its subprotocol)
    sink = None  # the connection's prepared-frames sink, when its server offers one
    prepare = None  # and the server's framing of a message

    def take_extensions(self, scope) -> None:
        """Use the server's prepared frames (``PREPARED_FRAMES``), if it offers them."""
        offered = scope.get("extensions", {}).get(PREPARED_FRAMES)
        if offered is not None:
            self.sink, self.prepare = offered["sink"], offered["prepare"]

    async def accept(self, subprotocol=None, headers=None) -> None:
        """Accept the socket, naming the subprotocol of its codec, if the client asked for one."""
        await super().accept(subprotocol=self.codec.subprotocol or subprotocol, headers=headers)

    async def send(self, text_data=None, bytes_data=None, close=False) -> None:
        """Every frame goes out here: through the socket's codec (MessagePack: one conversion per
        frame text, shared by the sockets it goes to), or as the JSON text it is."""
        if text_data is not None and self.codec.binary:
            text_data, bytes_data = None, self.codec.encode(text_data)
        sink = self.sink
        if sink is not None and not close:
            # Written in the call; False: not open for frames (not accepted yet, closing or
            # closed), and the ASGI send says so as before.
            if sink.write(prepared(bytes_data if text_data is None else text_data, self.prepare)):
                if self.backlogged(sink):
                    self.cut_off_sink(sink)
                return
        await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    async def send_frame(self, payload: dict) -> None:
        await self.send(text_data=encode(payload))
        metrics.frames_out(payload.get("type"))

    async def send_error(self, code: str, message: str, *, ref=None, **extra) -> None:
        payload = {"type": "error", "code": code, "message": message, **extra}
        if ref is not None:
            payload["ref"] = ref
        await self.send_frame(payload)

    async def _answer_quietly(self, code: str, message: str, **extra) -> None:
        """An ``error`` frame, unless the socket is closing or its client went away meanwhile."""
        if self.closing:
            return
        try:
            await self.send_error(code, message, **extra)
        except CLIENT_GONE:  # the client went away meanwhile
            pass
