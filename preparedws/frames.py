"""The ``preparedws.prepared_frames`` extension: a frame made once (``prepare``), written to each
socket by its ``FrameSink``; and ``ClientGone``, what a send to a closed connection raises."""

from __future__ import annotations

import asyncio
import struct

from websockets import Opcode

PREPARED_FRAMES = "preparedws.prepared_frames"  # its key in a scope's "extensions"


class ClientGone(OSError):
    """A send on a connection that is closed or lost (ASGI: "a server-specific subclass of OSError")."""


def prepare(data: str | bytes) -> bytes:
    """The whole frame for ``data`` (text for str, binary for bytes; FIN, unmasked), as sent from a
    server: made once for a whole audience and written to each socket by its ``FrameSink``.

    Framed here, by RFC 6455 section 5.2: the public API of ``websockets`` frames a message only
    inside a connection's protocol object (its ``send_text``), for that connection. A server's
    frame is its header, FIN and the opcode, then the payload's length (7 bits; 126 and 16 bits; or
    127 and 64 bits), no mask, then the payload."""
    if isinstance(data, str):
        payload, first = data.encode(), 0x80 | Opcode.TEXT
    else:
        payload, first = bytes(data), 0x80 | Opcode.BINARY
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", first, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", first, 126, length)
    else:
        header = struct.pack("!BBQ", first, 127, length)
    return header + payload


class FrameSink:
    """Where one socket takes prepared frames: its transport while the WebSocket is open, else nothing.

    Holds the transport only between ``websocket.accept`` and the first close frame (either way)
    or the connection's loss, and nothing of the application's."""

    __slots__ = ("transport", "paused_since")

    def __init__(self) -> None:
        self.transport: asyncio.WriteTransport | None = None
        # The loop's time when the transport went over its high-water mark; None while it is not.
        self.paused_since: float | None = None

    def write(self, frame: bytes) -> bool:
        """Write a prepared frame now; False (nothing written) when the socket is not open."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return False
        transport.write(frame)
        return True

    @property
    def buffered(self) -> int:
        """Bytes waiting in the transport's write buffer (0 once closed)."""
        transport = self.transport
        return 0 if transport is None else transport.get_write_buffer_size()

    def abort(self) -> None:
        """Drop the connection now, without a close frame (which would wait behind the unread
        frames): for a client that stopped reading. The application hears a disconnect (1006)."""
        transport = self.transport
        if transport is not None:
            transport.abort()
