"""One platform WebSocket that reopens itself.

Every (re)connection asks for a one-time ticket (``POST /api/auth/ws-ticket/``, the access token
refreshed first if needed) and opens ``/ws/...?ticket=``, so no token ever sits in a URL. The
socket is open once the server answered a ``ping`` (a refused socket is accepted then closed
with its code, so this is where 4403 / 4404 show). A dropped socket reopens with exponential
backoff and jitter; close codes that mean "not allowed" (4403, 4404, 4400, 4409 replaced, a
normal 1000 from the server) end it for good. After reopening, ``catch_up`` lets each kind of
room fetch what it missed over REST (see the rooms in ``rooms.py``).

With ``GameClient(encoding="msgpack")`` each socket offers the ``gameplatform.msgpack``
subprotocol: frames travel both ways as binary MessagePack maps (the same frames, smaller).
``encoding="compact"`` offers ``gameplatform.compact``: MessagePack with short decimals and
compact state patches from the server (``compact.py``), decoded into the same frames. A server
that does not name the subprotocol in its answer gets JSON text, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgpack
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from . import compact
from .errors import (
    AccountSuspended,
    ApiError,
    ConnectionFailed,
    NotConnected,
    RequestTimeout,
    SocketClosed,
    Unauthorized,
    error_from_frame,
)
from .frames import Disconnected, ErrorEvent, Frame, Reconnected, type_key

if TYPE_CHECKING:
    from .client import GameClient

logger = logging.getLogger("gameplatform_client")

# Close codes after which reopening cannot help (the contract's list).
FINAL_CLOSE_CODES = frozenset({1000, 4400, 4403, 4404, 4409})
CLOSE_UNAUTHENTICATED = 4401
MSGPACK = "gameplatform.msgpack"
# Refs differ between processes (a bot started again counts from 1 again): the server takes a
# game frame's ref once, and answers a ref it already took ``ack`` with ``duplicate``.
REF_TAG = secrets.token_hex(4)
SUBPROTOCOLS = {"msgpack": MSGPACK, "compact": compact.COMPACT}


def decode(raw: str | bytes, protocol: str | None = None) -> dict:
    """A frame as received: binary frames are MessagePack (``compact`` on that subprotocol),
    text frames JSON."""
    if not isinstance(raw, bytes):
        return json.loads(raw)
    return compact.decode(raw) if protocol == compact.COMPACT else msgpack.unpackb(raw)


Predicate = Callable[[Frame], bool]


@dataclass(frozen=True)
class ReconnectPolicy:
    """Delay before attempt n (0-based): ``min(max_delay, initial * factor**n)``, of which the
    ``jitter`` fraction is random, so a server restart is not met by every client at once.
    ``max_attempts`` None: keep trying until the socket is closed by the application."""

    initial: float = 0.25
    factor: float = 2.0
    max_delay: float = 10.0
    jitter: float = 0.5
    max_attempts: int | None = None

    def delay(self, attempt: int) -> float:
        base = min(self.max_delay, self.initial * self.factor**attempt)
        return base * (1 - self.jitter) + random.uniform(0, base * self.jitter)


class Socket:
    """A platform socket: ``send``, ``request`` (send and await the answer or a typed error),
    ``next`` (consume received frames in order), ``wait_for`` (the next matching frame),
    ``on`` (handlers), ``close``. ``inbox`` keeps the last ``inbox_size`` frames not yet taken
    by ``next``."""

    inbox_size = 1000
    _refs = itertools.count(1)

    def __init__(self, client: GameClient, path: str, name: str) -> None:
        self.client = client
        self.path = path
        self.name = name
        self.inbox: deque[Frame] = deque(maxlen=self.inbox_size)
        self.closed_code: int | None = None  # set once closed for good
        self._ws: ClientConnection | None = None
        self._open = asyncio.Event()
        self._wake = asyncio.Event()
        self._arrived = asyncio.Event()
        self._handlers: dict[str, list[Callable]] = {}
        self._waiters: list[tuple[Predicate, asyncio.Future]] = []
        self._task: asyncio.Task | None = None
        self._closing = False
        self.reconnects = 0
        self.protocol: str | None = None  # the binary subprotocol the server agreed to, if any
        # The last frame received, when it was an ``error``: why the server closed, if it then did.
        self.last_error: ApiError | None = None

    # --- life cycle ------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._open.is_set()

    async def start(self) -> Socket:
        """Open the socket (raises ``SocketClosed`` when the server refuses it) and keep it open."""
        self._ws = await self._connect()
        self._open.set()
        try:
            await self.on_open(first=True)
        except BaseException:
            self._closing = True
            await self._ws.close()
            raise
        self._task = asyncio.create_task(self._run(), name=f"gameplatform socket {self.name}")
        return self

    async def close(self) -> None:
        """Close for good (a normal close; no reconnection)."""
        self._closing = True
        self._open.clear()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._finish(1000)
        self.client._forget(self)

    def drop(self) -> None:
        """Abort the TCP connection without a close handshake, as a network failure would; the
        socket then reconnects like after any drop (for testing an application's handling)."""
        if self._ws is not None:
            self._ws.transport.abort()

    def reconnect_now(self) -> None:
        """Cut the current backoff wait short (e.g. the network is known to be back)."""
        self._wake.set()

    @property
    def binary(self) -> bool:
        """This connection's frames travel as MessagePack (the server agreed to ``encoding``)."""
        return self.protocol is not None

    async def _connect(self) -> ClientConnection:
        url, headers = f"{self.client.ws_url}{self.path}", None
        if self.client.ws_auth == "header":
            headers = await self.client._bearer()
        else:
            url += f"{'&' if '?' in self.path else '?'}ticket={await self.client.ws_ticket()}"
        ws = await connect(
            url,
            additional_headers=headers,
            open_timeout=self.client.timeout,
            ping_interval=self.client.ping_interval,
            ping_timeout=self.client.ping_interval,
            max_queue=None,
            max_size=2**24,
            subprotocols=[SUBPROTOCOLS[self.client.encoding]] if self.client.encoding != "json" else None,
        )
        self.protocol = ws.subprotocol if ws.subprotocol in SUBPROTOCOLS.values() else None
        try:
            await asyncio.wait_for(self._handshake(ws), self.client.timeout)
        except (ConnectionClosed, SocketClosed):
            pass
        except TimeoutError:
            await ws.close()
            raise TimeoutError(f"{self.name} did not answer its first ping") from None
        else:
            return ws
        raise SocketClosed(ws.close_code, ws.close_reason or "", error=self.last_error)

    async def _handshake(self, ws: ClientConnection) -> None:
        # The server accepts, sends the room's first frame(s), then answers a ping; a refused
        # socket is closed right after the accept, so its close code shows before any pong.
        await ws.send(self._encode({"type": "ping", "ref": "open"}))
        async for raw in ws:
            frame = decode(raw, self.protocol)
            if frame.get("type") == "pong" and frame.get("ref") == "open":
                return
            self._deliver(frame)
        raise SocketClosed(ws.close_code, ws.close_reason or "", error=self.last_error)

    async def _run(self) -> None:
        while True:
            ws = self._ws
            try:
                async for raw in ws:
                    try:
                        self._deliver(decode(raw, self.protocol))
                    except Exception:  # a bad frame or a room's bug must not end the socket
                        logger.exception("frame on %s not handled", self.name)
            except ConnectionClosed:
                pass
            self._open.clear()
            code, reason = ws.close_code, ws.close_reason or ""
            if self._closing:
                return
            if code in FINAL_CLOSE_CODES:
                self._finish(code, reason)
                return
            if self.client.reconnect.max_attempts == 0:
                self._finish(code, reason)
                return
            await self._emit(Disconnected(self.name, code, reason, will_retry=True, error=self.last_error))
            self.last_error = None
            if not await self._reopen():
                return

    async def _reopen(self) -> bool:
        down_at = time.monotonic()
        self.on_drop()
        policy = self.client.reconnect
        attempt = 0
        while not self._closing:
            if policy.max_attempts is not None and attempt >= policy.max_attempts:
                self._finish(None, "gave up reconnecting")
                return False
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), policy.delay(attempt))
            attempt += 1
            try:
                self._ws = await self._connect()
            except SocketClosed as exc:
                if exc.code in FINAL_CLOSE_CODES:
                    self._finish(exc.code, exc.reason)
                    return False
                if exc.code == CLOSE_UNAUTHENTICATED:
                    with contextlib.suppress(ApiError):
                        await self.client.refresh_tokens()
                continue
            except Unauthorized as exc:  # the refresh token is dead too: log in again
                self._finish(CLOSE_UNAUTHENTICATED, exc.detail)
                return False
            except AccountSuspended as exc:  # no ticket for a locked account: as the server's 4403 would
                self.last_error = exc
                self._finish(4403, exc.detail)
                return False
            except (OSError, InvalidHandshake, InvalidURI, TimeoutError, ApiError, ConnectionFailed) as exc:
                logger.info("reconnect %s attempt %d failed: %r", self.name, attempt, exc)
                continue
            except Exception:  # anything else: log it, back off, try again
                logger.exception("reconnect %s attempt %d failed", self.name, attempt)
                continue
            self._open.set()
            self.reconnects += 1
            replayed = 0
            try:
                replayed = await self.on_open(first=False)
            except Exception:  # a failed catch-up must not kill the socket
                logger.exception("catch-up of %s failed", self.name)
            await self._emit(Reconnected(self.name, time.monotonic() - down_at, attempt, replayed or 0))
            return True
        return False

    def _finish(self, code: int | None, reason: str = "") -> None:
        if self.closed_code is not None:
            return
        self.closed_code = code if code is not None else 0
        self._open.clear()
        self._arrived.set()
        error = None if self._closing else self.last_error
        for _, future in self._waiters:
            if not future.done():
                future.set_exception(SocketClosed(code, reason, error=error))
        self._waiters.clear()
        if not self._closing:
            asyncio.ensure_future(self._emit(Disconnected(self.name, code, reason, will_retry=False, error=error)))

    # --- room hooks (overridden by rooms) --------------------------------------------

    async def on_open(self, *, first: bool) -> int:
        """After the socket (re)opened; a room fetches what it missed. Returns frames replayed."""
        return 0

    def on_drop(self) -> None:
        """The socket just dropped (before reconnecting)."""

    def observe(self, frame: Frame) -> None:
        """Every frame, before handlers: rooms keep their state here."""

    # --- frames in ---------------------------------------------------------------------

    def _deliver(self, data: dict, *, replayed: bool = False) -> None:
        frame = Frame(data, self.name, replayed)
        if not replayed:
            self.last_error = error_from_frame(frame) if frame.type == "error" else None
        self.observe(frame)
        for entry in list(self._waiters):
            predicate, future = entry
            if not future.done() and predicate(frame):
                future.set_result(frame)
                self._waiters.remove(entry)
        if frame.type == "pong" and frame.get("ref") == "open":
            return
        self.inbox.append(frame)
        self._arrived.set()
        if frame.type == "error":
            event = ErrorEvent.from_frame(frame, self.name)
            if str(event.ref or "").startswith("sdk"):  # an awaited request's error: raised there
                return
            self._dispatch("error", event)
        else:
            self._dispatch(frame.type, frame)

    def _dispatch(self, kind: str, event: Any) -> None:
        for fn in [*self._handlers.get(kind, ()), *self._handlers.get("*", ())]:
            self.client._call(fn, event)
        self.client._dispatch(kind, event)

    async def _emit(self, event: Disconnected | Reconnected) -> None:
        self._dispatch(event.type, event)

    def on(self, kind: str, fn: Callable) -> Callable[[], None]:
        """Call ``fn(frame)`` (sync or async) for this socket's frames of ``kind`` (``"*"``: all,
        ``"error"``: ``ErrorEvent``, ``"disconnected"`` / ``"reconnected"``). Returns an unsubscribe."""
        key = type_key(kind)
        self._handlers.setdefault(key, []).append(fn)
        return lambda: self._handlers.get(key, []).remove(fn)

    async def next(self, kind: str | None = None, *, where: Predicate | None = None, timeout: float = 10.0) -> Frame:
        """Take received frames in order until one of ``kind`` (and ``where``) comes; the ones
        before it are dropped from the inbox (as a test communicator's ``receive`` would)."""
        key = type_key(kind) if kind is not None else None
        deadline = time.monotonic() + timeout
        while True:
            while self.inbox:
                frame = self.inbox.popleft()
                if (key is None or frame.type == key) and (where is None or where(frame)):
                    return frame
            if self.closed_code is not None:
                raise SocketClosed(self.closed_code)
            self._arrived.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {key or 'frame'} on {self.name} within {timeout} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def wait_for(
        self, kind: str | None = None, *, where: Predicate | None = None, timeout: float = 10.0
    ) -> Frame:
        """The next frame of ``kind`` (and ``where``) that arrives from now on (the inbox is left alone)."""
        key = type_key(kind) if kind is not None else None
        return await self._wait(lambda f: (key is None or f.type == key) and (where is None or where(f)), timeout)

    async def _wait(self, predicate: Predicate, timeout: float) -> Frame:
        if self.closed_code is not None:
            raise SocketClosed(self.closed_code)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(f"no answer on {self.name} within {timeout} s") from None
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)

    # --- frames out --------------------------------------------------------------------

    async def send(self, frame: dict, *, timeout: float | None = None) -> None:
        """Send a frame; while the socket is reopening, wait for it (up to ``timeout``)."""
        if self.closed_code is not None:
            raise SocketClosed(self.closed_code)
        wait = self.client.timeout if timeout is None else timeout
        for _ in range(3):
            if not self._open.is_set():
                try:
                    await asyncio.wait_for(self._open.wait(), wait)
                except TimeoutError:
                    raise NotConnected(f"{self.name} is not connected") from None
            ws = self._ws
            try:
                await ws.send(self._encode(frame))
                return
            except ConnectionClosed:
                if self._ws is ws:  # the reader sees the drop and reopens; send again then
                    self._open.clear()
                if self.closed_code is not None:
                    raise SocketClosed(self.closed_code) from None
        raise NotConnected(f"{self.name} is not connected")

    def _new_ref(self) -> str:
        """A ``ref`` for a frame whose answer is awaited (its ``error`` is raised there, not
        dispatched to ``"error"`` handlers)."""
        return f"sdk{next(self._refs)}-{REF_TAG}"

    def _encode(self, frame: dict) -> str | bytes:
        return msgpack.packb(frame) if self.protocol else json.dumps(frame)

    async def request(
        self, frame: dict, *, expect: Predicate | None = None, acked: bool = False, timeout: float | None = None
    ) -> Frame:
        """Send ``frame`` with a ``ref`` and wait for the first frame that ``expect`` accepts (with
        ``acked``: the server's ``ack`` of that ``ref``), or raise the typed error (``RateLimited``,
        ``BadRequest`` ...) the server answered it with; ``RequestTimeout`` after ``timeout``
        (default: the client's ``request_timeout``)."""
        ref = self._new_ref()
        wait = self.client.request_timeout if timeout is None else timeout

        def answer(f: Frame) -> bool:
            if f.type in ("error", "ack"):
                return f.get("ref") == ref and (f.type == "error" or acked)
            return expect is not None and expect(f)

        waiting = asyncio.ensure_future(self._wait(answer, wait))
        await asyncio.sleep(0)  # the waiter is registered before the frame leaves
        try:
            await self.send({**frame, "ref": ref}, timeout=wait)
        except BaseException:
            waiting.cancel()
            raise
        try:
            got = await waiting
        except TimeoutError:
            raise RequestTimeout(
                f"no answer to {frame.get('type')} on {self.name} within {wait} s", ref=ref, timeout=wait
            ) from None
        if got.type == "error":
            raise error_from_frame(got)
        return got

    async def send_or_request(self, frame: dict, *, wait: bool, expect: Predicate) -> Frame | None:
        """``request`` with ``wait``; without it, only send ``frame`` and return None."""
        if not wait:
            await self.send(frame)
            return None
        return await self.request(frame, expect=expect)

    async def ping(self) -> float:
        """Round trip of a ``ping`` in seconds."""
        began = time.monotonic()
        await self.request({"type": "ping"}, expect=lambda f: f.type == "pong")
        return time.monotonic() - began
