"""Our uvicorn WebSocket protocol: ASGI WebSocket (spec 2.4) on websockets' Sans-I/O API, plus prepared frames.

    uvicorn --ws gameplatform.sockets.wire:PreparedFramesProtocol ... gameplatform.asgi:application

``PreparedFramesProtocol`` owns one upgraded connection: websockets' ``ServerProtocol`` parses the
handshake and the client's frames and serialises ours; this class moves bytes between it, the
transport and the ASGI application, and keeps the bookkeeping uvicorn expects of a WebSocket
protocol (``server_state.connections`` and ``.tasks``, ``shutdown()`` on SIGTERM, the
"uvicorn.error" logger).

Why it exists (issue #54, "frames at wire cost"): a server-to-client frame is unmasked, so one
frame's bytes are valid on every socket. The extension ``gameplatform.prepared_frames`` lets a
sender make a broadcast's frame once (``prepare``) and hand the same bytes to each socket's
``FrameSink``, which writes them straight to the transport: no ASGI message, no framing per socket.
It is offered only without permessage-deflate, whose frames differ per socket.

Ordering: an ordinary ``websocket.send`` and ``FrameSink.write`` both write to the transport in the
call, before anything awaits, so frames reach the client in the order they were sent, however the
two kinds interleave. A ``send`` then waits while the transport is paused (backpressure);
``FrameSink.write`` never waits: its caller reads ``paused_since`` and ``buffered`` and decides.

The package, a job a module: ``frames`` (the extension's pieces: ``prepare``, ``FrameSink``,
``ClientGone``), ``protocol`` (``PreparedFramesProtocol``: the transport's side, the client's
frames, the application's receive and task), ``sends`` (the application's send, the handshake's
answer and backpressure), ``keepalive`` (pings and their pongs), ``connection`` (the connection's
phases and what the modules share).

Lifetime: the protocol holds the transport and the app's task holds the protocol, not the other
way round; at ``connection_lost`` every per-connection structure (the transport, websockets'
protocol, timers, the sink's transport) is dropped, so a closed socket is freed by refcounting once
its application returns. (websockets' ``ServerProtocol`` keeps a cycle of its own, through its
parser generator; it holds no object of ours and the garbage collector takes it.)
"""

from gameplatform.sockets.wire.connection import HTTP_RESPONSE
from gameplatform.sockets.wire.frames import PREPARED_FRAMES, ClientGone, FrameSink, prepare
from gameplatform.sockets.wire.protocol import PreparedFramesProtocol

__all__ = ["HTTP_RESPONSE", "PREPARED_FRAMES", "ClientGone", "FrameSink", "PreparedFramesProtocol", "prepare"]
