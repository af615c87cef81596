"""``PreparedFramesProtocol``: one WebSocket connection under uvicorn (see the package's docstring)."""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, unquote

from websockets import Frame, Opcode, Request, Response, ServerProtocol, State
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

from preparedws.connection import CLOSE_TIMEOUT, CLOSED, DENYING, HANDSHAKE, HTTP_RESPONSE, OPEN, logger
from preparedws.frames import PREPARED_FRAMES, ClientGone, FrameSink, prepare
from preparedws.keepalive import Keepalive
from preparedws.sends import AppSends


class PreparedFramesProtocol(AppSends, Keepalive, asyncio.Protocol):
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
        "keepalive_slot",
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
        self.keepalive_slot: int | None = None  # its next ping's or pong wait's (``Keepalive``)
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
        if self.phase is OPEN and conn.state is not State.OPEN:
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
        # The scope has its own copy of the headers. websockets' parser keeps the request it parsed
        # for as long as the connection is open (a local of its reading generator): its headers,
        # about 2.7 KiB a socket, go now (``Headers.clear``, the mapping's own method).
        request.headers.clear()
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
            "headers": [(_header_name(name), value.encode("latin-1")) for name, value in request.headers.raw_items()],
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
        1006), as uvicorn's websockets-sansio does for every socket; an application that cuts off a
        client that stopped reading (``FrameSink.paused_since``) ends its socket this way."""
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


# Header names as the scope has them, one bytes object for every socket (each socket's scope lives
# as long as it does): at most _NAMES_KEPT names, the first ones seen (a handshake's usual ones).
_NAMES: dict[str, bytes] = {}
_NAMES_KEPT = 64


def _header_name(name: str) -> bytes:
    lowered = _NAMES.get(name)
    if lowered is None:
        lowered = name.lower().encode("ascii")
        if len(_NAMES) < _NAMES_KEPT:
            _NAMES[name] = lowered
    return lowered


def _address(transport: asyncio.BaseTransport, name: str) -> tuple[str, int] | None:
    info = transport.get_extra_info(name)
    if isinstance(info, tuple | list) and len(info) >= 2:
        return (str(info[0]), int(info[1]))
    return None
