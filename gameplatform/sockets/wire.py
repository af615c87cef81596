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

Lifetime: the protocol holds the transport and the app's task holds the protocol, not the other
way round; at ``connection_lost`` every per-connection structure (the transport, websockets'
protocol, timers, the sink's transport) is dropped, so a closed socket is freed by refcounting once
its application returns. (websockets' ``ServerProtocol`` keeps a cycle of its own, through its
parser generator; it holds no object of ours and the garbage collector takes it.)
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import os
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, unquote

from websockets.datastructures import Headers
from websockets.exceptions import InvalidState
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.server import ServerProtocol

PREPARED_FRAMES = "gameplatform.prepared_frames"
HTTP_RESPONSE = "websocket.http.response"
CLOSE_TIMEOUT = 10.0  # seconds the client has to answer our close frame before the TCP connection is closed

logger = logging.getLogger("uvicorn.error")


class ClientGone(OSError):
    """A send on a connection that is closed or lost (ASGI: "a server-specific subclass of OSError")."""


def prepare(data: str | bytes) -> bytes:
    """The whole frame for ``data`` (text for str, binary for bytes; FIN, unmasked), as sent from a
    server: made once for a whole audience and written to each socket by its ``FrameSink``."""
    if isinstance(data, str):
        return Frame(Opcode.TEXT, data.encode()).serialize(mask=False)
    return Frame(Opcode.BINARY, data).serialize(mask=False)


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


# The connection's phases. Sends are checked against them; a lost connection is always CLOSED too.
HANDSHAKE, DENYING, OPEN, CLOSED = "handshake", "denying", "open", "closed"


class PreparedFramesProtocol(asyncio.Protocol):
    """One WebSocket connection under uvicorn: its handshake, its ASGI application, its frames."""

    __slots__ = (
        "__weakref__",
        "config",
        "app_state",
        "connections",
        "tasks",
        "default_headers",
        "loop",
        "conn",
        "transport",
        "sink",
        "scope",
        "client",
        "server",
        "scheme",
        "response",
        "denial",
        "phase",
        "lost",
        "inbox",
        "inbox_waiter",
        "ended",
        "fragments",
        "fragments_text",
        "read_paused",
        "drain_waiters",
        "ping_payload",
        "ping_timer",
        "pong_timer",
        "close_timer",
    )

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any]) -> None:
        if not config.loaded:
            config.load()
        self.config = config
        self.app_state = app_state
        self.connections = server_state.connections
        self.tasks = server_state.tasks
        self.default_headers: list[tuple[bytes, bytes]] = server_state.default_headers
        self.loop = asyncio.get_running_loop()
        extensions = []
        if config.ws_per_message_deflate:
            extensions = [
                ServerPerMessageDeflateFactory(
                    server_max_window_bits=12, client_max_window_bits=12, compress_settings={"memLevel": 5}
                )
            ]
        self.conn: ServerProtocol | None = ServerProtocol(
            extensions=extensions, max_size=config.ws_max_size, logger=logger
        )
        self.transport: asyncio.Transport | None = None
        self.sink = FrameSink()
        self.scope: dict | None = None
        self.client: tuple[str, int] | None = None
        self.server: tuple[str, int | None] | None = None
        self.scheme = "ws"
        self.response: Response | None = None  # the 101 websockets prepared, sent at websocket.accept
        self.denial: tuple[int, list[tuple[str, str]], list[bytes]] | None = None
        self.phase = HANDSHAKE
        self.lost = False
        # A list, not a deque (a deque's first block is 760 bytes): it holds at most ws_max_queue + 2.
        self.inbox: list[dict] = []
        self.inbox_waiter: asyncio.Future | None = None
        self.ended: dict | None = None  # the disconnect message, once queued
        self.fragments: list[bytes] = []
        self.fragments_text = False
        self.read_paused = False
        self.drain_waiters: list[asyncio.Future] = []
        self.ping_payload: bytes | None = None
        self.ping_timer: asyncio.TimerHandle | None = None
        self.pong_timer: asyncio.TimerHandle | None = None
        self.close_timer: asyncio.TimerHandle | None = None

    # --- the transport's side -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.connections.add(self)
        self.client = _address(transport, "peername")
        self.server = _address(transport, "sockname")
        self.scheme = "wss" if transport.get_extra_info("sslcontext") else "ws"

    def data_received(self, data: bytes) -> None:
        conn = self.conn
        if conn is None:
            return
        conn.receive_data(data)
        for event in conn.events_received():
            if isinstance(event, Request):
                self.handshake_received(event)
            else:
                self.frame_received(event)
        if conn.parser_exc is not None and self.phase is not CLOSED:
            # websockets failed the connection (1009 over ws_max_size, 1002, 1007): its close frame
            # is in data_to_send; the app learns the same code.
            close = conn.close_sent
            self.end(close.code if close else 1006, close.reason if close else "")
        self.flush()

    def eof_received(self) -> None:
        return None  # the transport closes itself; connection_lost follows

    def pause_writing(self) -> None:
        self.sink.paused_since = self.loop.time()

    def resume_writing(self) -> None:
        self.sink.paused_since = None
        self.wake_senders()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.connections.discard(self)
        self.stop_timers()
        self.end(1006, "")
        self.sink.transport = None
        self.sink.paused_since = None
        self.wake_senders()
        self.transport = None
        self.conn = None
        self.response = None
        self.denial = None
        self.fragments = []

    def shutdown(self) -> None:
        """uvicorn is stopping (SIGTERM): an open socket closes 1012, one in its handshake is refused 503."""
        self.stop_timers()
        if self.transport is None:
            return
        conn = self.conn
        if self.phase is OPEN:
            conn.send_close(1012)
            self.end(1012, "")
        elif self.phase is HANDSHAKE and self.scope is not None:
            conn.send_response(conn.reject(HTTPStatus.SERVICE_UNAVAILABLE, ""))
            self.end(1012, "")
        self.flush()
        self.transport.close()

    # --- what the client sent ---------------------------------------------------------------

    def handshake_received(self, request: Request) -> None:
        conn = self.conn
        response = conn.accept(request)
        if response.status_code != 101:
            conn.send_response(response)  # websockets' own refusal (400, 426, ...), then EOF
            self.phase = CLOSED
            return
        self.response = response
        self.scope = self.make_scope(request)
        self.inbox.append({"type": "websocket.connect"})
        task = self.loop.create_task(self.run_asgi())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def make_scope(self, request: Request) -> dict:
        raw_path, _, query = request.path.partition("?")
        root_path = self.config.root_path
        subprotocols = [
            token.strip() for header in request.headers.get_all("Sec-WebSocket-Protocol") for token in header.split(",")
        ]
        extensions: dict[str, Any] = {HTTP_RESPONSE: {}}
        if not self.config.ws_per_message_deflate:
            extensions[PREPARED_FRAMES] = {"prepare": prepare, "sink": self.sink}
        return {
            "type": "websocket",
            "asgi": {"version": self.config.asgi_version, "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": self.scheme,
            "server": self.server,
            "client": self.client,
            "root_path": root_path,
            "path": root_path + unquote(raw_path),
            "raw_path": root_path.encode("ascii") + raw_path.encode("ascii", "surrogateescape"),
            "query_string": query.encode("ascii", "surrogateescape"),
            # websockets keeps non-ASCII header values as ISO-8859-1 text (17.0 and later).
            "headers": [
                (name.lower().encode("ascii"), value.encode("latin-1")) for name, value in request.headers.raw_items()
            ],
            "subprotocols": [token for token in subprotocols if token],
            "state": self.app_state.copy(),
            "extensions": extensions,
        }

    def frame_received(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            self.fragments = [frame.data]
            self.fragments_text = opcode is Opcode.TEXT
        elif opcode is Opcode.CONT:
            self.fragments.append(frame.data)
        elif opcode is Opcode.CLOSE:
            # websockets echoed the close frame and ends the TCP stream (in data_to_send).
            close = self.conn.close_rcvd
            self.end(close.code, close.reason)
            return
        elif opcode is Opcode.PONG:
            self.pong_received(bytes(frame.data))
            return
        else:
            return  # PING: websockets queued the pong
        if frame.fin:
            data = self.fragments[0] if len(self.fragments) == 1 else b"".join(self.fragments)
            self.fragments = []
            self.message_received(bytes(data))

    def message_received(self, data: bytes) -> None:
        if self.phase is not OPEN:
            return  # after our close frame: read on until the client's, deliver nothing
        if self.fragments_text:
            try:
                message = {"type": "websocket.receive", "text": data.decode()}
            except UnicodeDecodeError:
                self.fail(1007, "invalid UTF-8")
                return
        else:
            message = {"type": "websocket.receive", "bytes": data}
        self.deliver(message)
        if len(self.inbox) > self.config.ws_max_queue and not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()

    # --- the application's receive ------------------------------------------------------------

    def deliver(self, message: dict) -> None:
        self.inbox.append(message)
        waiter = self.inbox_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def end(self, code: int, reason: str) -> None:
        """The WebSocket is over for the app: one disconnect (the first reason wins), no more sink writes."""
        self.phase = CLOSED
        self.sink.transport = None
        if self.ended is None and self.scope is not None:
            self.ended = {"type": "websocket.disconnect", "code": code, "reason": reason}
            self.deliver(self.ended)
        self.resume_reading()

    async def receive(self) -> dict:
        while not self.inbox:
            if self.ended is not None:
                return self.ended  # asked again after the disconnect: the same answer
            self.inbox_waiter = self.loop.create_future()
            try:
                await self.inbox_waiter
            finally:
                self.inbox_waiter = None
        message = self.inbox.pop(0)
        if not self.inbox:
            self.resume_reading()
        return message

    def resume_reading(self) -> None:
        if self.read_paused and self.transport is not None:
            self.read_paused = False
            self.transport.resume_reading()

    # --- the application's send -----------------------------------------------------------------

    async def send(self, message: dict) -> None:
        kind = message["type"]
        if self.lost:
            raise ClientGone(f"the client is gone ({kind})")
        if self.phase is HANDSHAKE:
            self.send_in_handshake(message)
        elif self.phase is OPEN:
            self.send_open(message)
        elif self.phase is DENYING:
            self.send_denial_body(message)
        elif kind != "websocket.close":  # a second close is harmless; anything else has no socket to go to
            raise ClientGone(f"the WebSocket is closed ({kind})")
        await self.writable()

    def send_in_handshake(self, message: dict) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            self.accept(message)
        elif kind == "websocket.close":
            self.refuse(HTTPStatus.FORBIDDEN)
        elif kind == "websocket.http.response.start":
            status = message["status"]
            if not 100 <= status < 600:
                raise RuntimeError(f"Invalid HTTP status code '{status}' in response.")
            self.log_outcome(str(status))
            headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in message.get("headers", [])]
            self.denial = (status, headers, [])
            self.phase = DENYING
        else:
            raise RuntimeError(
                "Expected ASGI message 'websocket.accept', 'websocket.close' or "
                f"'websocket.http.response.start' but got '{kind}'."
            )

    def accept(self, message: dict) -> None:
        response, self.response = self.response, None
        headers = response.headers
        extra = [*self.default_headers, *message.get("headers", [])]
        if any(name.lower() == b"date" for name, _ in extra):
            del headers["Date"]
        for name, value in extra:
            headers[name.decode("latin-1")] = value.decode("latin-1")
        if message.get("subprotocol"):
            headers["Sec-WebSocket-Protocol"] = message["subprotocol"]
        self.log_outcome("[accepted]")
        self.conn.send_response(response)
        self.flush()
        if not self.conn.extensions:
            # A fresh websockets protocol for the frames: the handshake's keeps the request (its
            # headers, about 2.5 KiB) alive as long as the connection, in its parser's frame.
            self.conn = ServerProtocol(state=State.OPEN, max_size=self.config.ws_max_size, logger=logger)
        self.phase = OPEN
        self.sink.transport = self.transport
        self.schedule_ping(self.config.ws_ping_interval)

    def refuse(self, status: HTTPStatus) -> None:
        """An HTTP refusal of the handshake: 403 for a close before accept, 500 for an app error."""
        self.log_outcome(str(status.value))
        self.conn.send_response(self.conn.reject(status, ""))
        self.end(1006, "")
        self.flush()

    def send_denial_body(self, message: dict) -> None:
        if message["type"] != "websocket.http.response.body":
            raise RuntimeError(f"Expected ASGI message 'websocket.http.response.body' but got '{message['type']}'.")
        status, headers, chunks = self.denial
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(chunks)
        response_headers = Headers(headers)
        response_headers.setdefault("Date", email.utils.formatdate(usegmt=True))
        response_headers.setdefault("Connection", "close")
        response_headers.setdefault("Content-Length", str(len(body)))
        response_headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        self.denial = None
        self.conn.send_response(Response(status, _phrase(status), response_headers, body))
        self.end(1006, "")
        self.flush()

    def send_open(self, message: dict) -> None:
        kind = message["type"]
        conn = self.conn
        try:
            if kind == "websocket.send":
                if message.get("bytes") is not None:
                    conn.send_binary(message["bytes"])
                elif message.get("text") is not None:
                    conn.send_text(message["text"].encode())
            elif kind == "websocket.close":
                code, reason = message.get("code") or 1000, message.get("reason") or ""
                conn.send_close(code, reason)
                self.end(code, reason)
                # The client has CLOSE_TIMEOUT to answer; its close frame (read on) ends the stream sooner.
                self.close_timer = self.loop.call_later(CLOSE_TIMEOUT, self.transport.close)
            else:
                raise RuntimeError(f"Expected ASGI message 'websocket.send' or 'websocket.close', but got '{kind}'.")
        except InvalidState:
            raise ClientGone("the WebSocket is closed")
        self.flush()

    async def writable(self) -> None:
        """Backpressure: wait while the transport is over its high-water mark, or until it is lost."""
        if self.sink.paused_since is None or self.lost:
            return
        waiter = self.loop.create_future()
        self.drain_waiters.append(waiter)
        try:
            await waiter
        finally:
            if waiter in self.drain_waiters:
                self.drain_waiters.remove(waiter)

    def wake_senders(self) -> None:
        waiters, self.drain_waiters = self.drain_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def flush(self) -> None:
        """Write what websockets serialised; its end-of-stream marker closes the transport."""
        if self.conn is None or self.transport is None:
            return
        writes = self.conn.data_to_send()
        if not writes:
            return
        if not self.transport.is_closing():
            self.transport.write(b"".join(writes))
        if writes[-1] == b"":
            self.transport.close()

    # --- the application's task -----------------------------------------------------------------

    async def run_asgi(self) -> None:
        try:
            result = await self.config.loaded_app(self.scope, self.receive, self.send)
        except ClientGone:
            pass
        except asyncio.CancelledError:
            self.close_after_app(1012)
            raise
        except BaseException:
            logger.exception("Exception in ASGI application\n")
            self.close_after_app(1011)
        else:
            if self.phase is HANDSHAKE:
                logger.error("ASGI callable returned without completing handshake.")
            elif result is not None:
                logger.error("ASGI callable should return None, but returned '%s'.", result)
            self.close_after_app(1000)
        self.scope = None

    def close_after_app(self, code: int) -> None:
        """The app is done: refuse a handshake it left open (500), close an open socket with ``code``.

        Except a socket whose client is not reading (the transport is paused): a close frame would
        wait behind the unread frames, so the TCP connection is closed without one (the client sees
        1006), as uvicorn's websockets-sansio does for every socket; the kit's cut-off of a stalled
        client (``gameplatform.sockets.stalls``) ends its socket this way."""
        if self.lost:
            return
        if self.phase is HANDSHAKE:
            self.refuse(HTTPStatus.INTERNAL_SERVER_ERROR)
        elif self.phase is DENYING or (self.phase is OPEN and self.sink.paused_since is not None):
            self.end(1006, "")
            self.transport.close()
        elif self.phase is OPEN:
            self.conn.send_close(code)
            self.end(code, "")
            self.flush()
            self.close_timer = self.loop.call_later(CLOSE_TIMEOUT, self.transport.close)

    def fail(self, code: int, reason: str) -> None:
        self.conn.fail(code, reason)
        self.end(code, reason)
        self.flush()

    def log_outcome(self, outcome: str) -> None:
        scope = self.scope
        client = "{}:{}".format(*scope["client"]) if scope["client"] else ""
        path = quote(scope["path"]) + (f"?{scope['query_string'].decode('ascii')}" if scope["query_string"] else "")
        logger.info('%s - "WebSocket %s" %s', client, path, outcome)

    # --- keepalive ------------------------------------------------------------------------------

    def schedule_ping(self, delay: float | None) -> None:
        if delay is not None and delay > 0:
            self.ping_timer = self.loop.call_later(delay, self.send_ping)

    def send_ping(self) -> None:
        self.ping_timer = None
        if self.phase is not OPEN:
            return
        self.ping_payload = os.urandom(4)  # a pong must carry it: stale or unsolicited pongs are ignored
        self.conn.send_ping(self.ping_payload)
        self.flush()
        timeout = self.config.ws_ping_timeout
        if timeout is not None:
            self.pong_timer = self.loop.call_later(timeout, self.pong_missing)
        else:
            self.schedule_ping(self.config.ws_ping_interval)

    def pong_received(self, payload: bytes) -> None:
        if self.ping_payload is None or payload != self.ping_payload:
            return
        self.ping_payload = None
        if self.pong_timer is not None:
            self.pong_timer.cancel()
            self.pong_timer = None
            self.schedule_ping(self.config.ws_ping_interval)

    def pong_missing(self) -> None:
        self.pong_timer = None
        if self.phase is OPEN:
            self.fail(1011, "keepalive ping timeout")

    def stop_timers(self) -> None:
        for timer in (self.ping_timer, self.pong_timer, self.close_timer):
            if timer is not None:
                timer.cancel()
        self.ping_timer = self.pong_timer = self.close_timer = None


def _address(transport: asyncio.BaseTransport, name: str) -> tuple[str, int] | None:
    info = transport.get_extra_info(name)
    if isinstance(info, tuple | list) and len(info) >= 2:
        return (str(info[0]), int(info[1]))
    return None


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
