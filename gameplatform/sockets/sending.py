"""Frames a socket sends its client, through the codec of the subprotocol its client asked for.

``FrameWriter``, mixed into ``BaseConsumer``, owns the way out of every socket: the socket's
codec (``gameplatform.sockets.codec``: JSON, MessagePack, compact, chosen as it connects) names its
subprotocol on ``accept`` and writes every frame on ``send``; ``send_frame`` and ``send_error``
are how the kit and the apps send a frame and an error in the contract's shape.
"""

from gameplatform.broadcast.hub import CLIENT_GONE
from gameplatform.broadcast.realtime import encode
from gameplatform.core import metrics
from gameplatform.sockets.codec import JSON, Codec


class FrameWriter:
    """The way out of a ``BaseConsumer``: Channels' ``accept`` and ``send`` through the socket's codec."""

    codec: Codec = JSON  # how this socket's frames are read and written (its subprotocol)

    async def accept(self, subprotocol=None, headers=None) -> None:
        """Accept the socket, naming the subprotocol of its codec, if the client asked for one."""
        await super().accept(subprotocol=self.codec.subprotocol or subprotocol, headers=headers)

    async def send(self, text_data=None, bytes_data=None, close=False) -> None:
        """Every frame goes out here: through the socket's codec (MessagePack: one conversion per
        frame text, shared by the sockets it goes to), or as the JSON text it is."""
        if text_data is not None and self.codec.binary:
            text_data, bytes_data = None, self.codec.encode(text_data)
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
