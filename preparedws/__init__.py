"""A uvicorn WebSocket protocol: ASGI WebSocket (spec 2.4) on websockets' Sans-I/O API, plus prepared frames.

    uvicorn --ws preparedws:PreparedFramesProtocol --ws-per-message-deflate false ... yourproject.asgi:application

It depends on websockets and the standard library alone (uvicorn loads it; it imports nothing of
uvicorn's), so any ASGI application can run under it: gameplatform's ``make serve`` does, and a
studio's or another project's server may. Its manual page: docs/operations/preparedws.md.

``PreparedFramesProtocol`` owns one upgraded connection: websockets' ``ServerProtocol`` parses the
handshake and the client's frames and serialises ours; this class moves bytes between it, the
transport and the ASGI application, and keeps the bookkeeping uvicorn expects of a WebSocket
protocol (``server_state.connections`` and ``.tasks``, ``shutdown()`` on SIGTERM, the
"uvicorn.error" logger).

Why it exists: a server-to-client frame is unmasked, so one frame's bytes are valid on every
socket. The extension ``preparedws.prepared_frames`` (``PREPARED_FRAMES``) lets a sender make a
broadcast's frame once (``prepare``) and hand the same bytes to each socket's ``FrameSink``, which
writes them straight to the transport: no ASGI message, no framing per socket. It is offered only
without permessage-deflate, whose frames differ per socket.

Ordering: an ordinary ``websocket.send`` and ``FrameSink.write`` both write to the transport in the
call, before anything awaits, so frames reach the client in the order they were sent, however the
two kinds interleave. A ``send`` then waits while the transport is paused (backpressure);
``FrameSink.write`` never waits: its caller reads ``paused_since`` and ``buffered`` and decides.

The package, a job a module: ``frames`` (the extension's pieces: ``prepare``, ``FrameSink``,
``ClientGone``), ``protocol`` (``PreparedFramesProtocol``: the transport's side, the client's
frames, the application's receive and task), ``sends`` (the application's send, the handshake's
answer and backpressure), ``keepalive`` (pings and their pongs), ``connection`` (the connection's
phases and what the modules share), ``deadlines`` (many deadlines on one loop timer: every socket's
next ping, and whatever else of a process waits per socket).

Lifetime: the protocol holds the transport and the app's task holds the protocol, not the other
way round; at ``connection_lost`` every per-connection structure (the transport, websockets'
protocol, timers, the sink's transport) is dropped, so a closed socket is freed by refcounting once
its application returns. (websockets' ``ServerProtocol`` keeps a cycle of its own, through its
parser generator; it holds no object of ours and the garbage collector takes it.)
"""

from preparedws.connection import HTTP_RESPONSE
from preparedws.frames import PREPARED_FRAMES, ClientGone, FrameSink, prepare
from preparedws.protocol import PreparedFramesProtocol

__all__ = ["HTTP_RESPONSE", "PREPARED_FRAMES", "ClientGone", "FrameSink", "PreparedFramesProtocol", "prepare"]
