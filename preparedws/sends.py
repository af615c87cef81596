"""The application's send: the handshake's answer (accept, refusal, denial response), frames and
the close on an open socket, and backpressure (a send waits while the transport is paused)."""

from __future__ import annotations

import email.utils
from http import HTTPStatus

from websockets import Headers, InvalidState, Response

from preparedws.connection import CLOSE_TIMEOUT, DENYING, HANDSHAKE, OPEN
from preparedws.frames import ClientGone


class AppSends:
    """A mixin of ``PreparedFramesProtocol``: what the application's ``send`` does in each phase.
    Every write goes to the transport in the call (``flush``); only then may the send wait."""

    __slots__ = ()

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
        self.phase = OPEN
        self.sink.transport = self.transport
        self.keepalive_in(self.config.ws_ping_interval)

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


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
