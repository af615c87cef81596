"""The base every WebSocket consumer of the project extends.

It owns what all sockets share, so app consumers stay thin:
- authentication: anonymous sockets are accepted, then closed with 4401 (so a
  browser can read the code), and a socket is closed with 4401 when the access
  token behind it expires;
- ``on_connect`` may raise ``ApplicationError``: the socket closes with its
  close code (``Forbidden`` 4403, ``NotFound`` 4404);
- flooding: every frame a socket receives spends its frame budget
  (``WS_FLOOD_FRAMES`` per ``WS_FLOOD_WINDOW_SECONDS``), and every frame refused
  ``rate_limited`` spends its user's refusal budget (``WS_FLOOD_REFUSALS`` per
  ``WS_FLOOD_REFUSAL_WINDOW_SECONDS``); over either, ``error`` ``flooding`` and close 1008;
- codecs: each socket reads and writes its frames with the codec of the subprotocol its client
  asked for (``gameplatform.codec``: JSON, MessagePack, compact), chosen as it connects;
- client frames: size limit (``error`` ``frame_too_large``, close 1009), JSON object with a string ``type``,
  dispatch to ``handle_<type>`` for the types the subclass lists in
  ``client_types``, ``ping`` answered with ``pong``, and every failure answered
  with an ``error`` frame in the contract's shape, never a silent drop; each handler
  declares its frame's fields and its own error codes with ``@receives`` (the AsyncAPI
  document reads the declarations; a test checks them against the handler's code);
- endings: ``end(code, error_code, message)`` tells the client why (an ``error`` frame)
  and closes with the contract's code: the subject of the socket was replaced (4409) or
  deleted (4404), access was withdrawn (4403), a flood (1008), an expired token (4401);
- close codes: with ``WS_PRIVATE_CLOSE_CODES`` (daphne, whose autobahn refuses to send 1001-2999)
  every standard code 1001-1999 goes out as that code + 3000 (1008 -> 4008, 1009 -> 4009,
  1013 -> 4013), from ``close``, the one place every close passes;
- groups, through the process hub (``join_group``), left again on disconnect
  whatever happened before;
- presence: every accepted socket opens a presence entry and closes it on
  disconnect (``gameplatform.presence``), so a user is online while any socket
  of theirs is open, on any route.
"""

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from gameplatform import db, lockout, metrics, parsers, presence, serializers
from gameplatform.codec import JSON, Codec, for_scope
from gameplatform.db import Overloaded
from gameplatform.errors import ApplicationError, RateLimited, Unavailable, dependency_of, is_outage
from gameplatform.hub import CLIENT_GONE, get_hub
from gameplatform.logs import new_request_id, request_id_var
from gameplatform.ratelimit import Budget, FrameBudget
from gameplatform.realtime import encode
from gameplatform.stalls import ClientStalled, get_send_watch

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_REPLACED = 4409
CLOSE_TOO_LARGE = 1009
CLOSE_FLOODING = 1008
CLOSE_ABNORMAL = 1006  # no close frame: what a client cut off for not reading sees
# Under WS_PRIVATE_CLOSE_CODES a standard code in this range goes out as code + PRIVATE_OFFSET.
STANDARD_CODES = range(1001, 2000)
PRIVATE_OFFSET = 3000


def close_code_sent(code: int | None) -> int | None:
    """The close code that goes out for the contract's ``code``: itself, or with
    ``WS_PRIVATE_CLOSE_CODES`` a standard one (1001-1999) + 3000 (autobahn, daphne's WebSocket
    library, refuses to send 1001-2999 for the application: django/daphne#374)."""
    if code is not None and settings.WS_PRIVATE_CLOSE_CODES and code in STANDARD_CODES:
        return code + PRIVATE_OFFSET
    return code


# A user who keeps sending after being refused: more refused (``rate_limited``) frames than
# ``WS_FLOOD_REFUSALS`` within ``WS_FLOOD_REFUSAL_WINDOW_SECONDS``, on any of their sockets and
# processes, closes the socket that sent the last one with 1008.
FLOOD_REFUSALS = Budget(
    "ws:flood:refused",
    limit=10,
    window=10.0,
    what="refused frames",
    limit_setting="WS_FLOOD_REFUSALS",
    window_setting="WS_FLOOD_REFUSAL_WINDOW_SECONDS",
)


class FrameInvalid(ApplicationError):
    def __init__(self, fields: dict) -> None:
        super().__init__("The frame has invalid fields.", code="invalid", extra={"fields": fields})


# The codes any client frame may be refused with, on every route (the kit's own refusals).
KIT_ERROR_CODES = frozenset(
    {
        "bad_json",
        "unknown_type",
        "invalid",
        "rate_limited",
        "unavailable",
        "overloaded",
        "flooding",
        "frame_too_large",
        "server_error",
    }
)


@dataclass(frozen=True)
class ClientFrame:
    """What a ``handle_<type>`` handler declares: the serializer its frame's fields are
    validated with (``self.validate(fields, frame)``), and the error codes it may answer
    beyond ``KIT_ERROR_CODES``. ``checked_by`` names what validates the fields instead, when the
    handler passes them on unread (a game's room checks its frames with the mode's schemas):
    ``fields`` then only describes the frame's shape, for the documentation."""

    fields: type[serializers.Serializer] | None = None
    errors: tuple[str, ...] = ()
    checked_by: str | None = None


Handler = TypeVar("Handler", bound=Callable[..., Awaitable[None]])


def receives(
    fields: type[serializers.Serializer] | None = None, *, errors: tuple[str, ...] = (), checked_by: str | None = None
) -> Callable[[Handler], Handler]:
    """Declare a handler's frame: ``@receives(ChatMessageInput, errors=("not_member",))``."""

    def declare(handler: Handler) -> Handler:
        handler.client_frame = ClientFrame(fields, errors, checked_by)
        return handler

    return declare


def client_frame_of(handler) -> ClientFrame | None:
    """The ``@receives`` declaration of a handler, or None when it has none."""
    return getattr(handler, "client_frame", None)


@functools.cache
def frame_validator(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    return serializer_class()


# The ASGI WebSocket events a server sends the application, and the handlers of Channels'
# ``AsyncWebsocketConsumer`` for them (Channels' rule: the type with dots as underscores).
ASGI_HANDLERS = {
    "websocket.connect": "websocket_connect",
    "websocket.receive": "websocket_receive",
    "websocket.disconnect": "websocket_disconnect",
}


class BaseConsumer(AsyncWebsocketConsumer):
    # Types a client may send, each handled by ``handle_<type>``.
    client_types: frozenset[str] = frozenset()

    user = None
    user_id: int | None = None
    accepted = False  # frames may go out
    connected = False  # on_connect succeeded: on_disconnect will run
    closing = False  # we sent a close: nothing more goes out
    stalled = False  # cut off: the client stopped reading (``cut_off``)
    presence_conn: str | None = None  # this socket's presence entry, once opened
    _in_order: asyncio.Future | None = None  # the last piece of ordered work (then_in_order)
    _leaving: asyncio.Task | None = None  # leaving presence after ``end``
    counted_route: str | None = None  # the route this socket is counted open under (metrics)
    codec: Codec = JSON  # how this socket's frames are read and written (its subprotocol)
    _expiry: asyncio.TimerHandle | None = None  # the socket's token expiry, once connected

    # --- life cycle ---------------------------------------------------------

    async def __call__(self, scope, receive, send) -> None:
        """One socket: the server's messages, dispatched in order, on the server's own task.

        Channels' loop also listens on a channel-layer channel of the socket, through a
        task per source and an ``asyncio.wait`` per message (about 20 µs a message against
        under 1 µs here). Our sockets have no such channel (the hub delivers broadcasts):
        ``channel_layer`` is None, and the messages are awaited directly, one task fewer
        per socket. ``base_send`` is where Channels' ``send`` (and so ``accept``, ``send``
        and ``close``) writes: ``test_framework_contracts.py`` fails if it stops being so.
        Ours is ``send_to_client``, the server's ``send`` timed (``gameplatform.stalls``),
        named on the class: stored on the socket as a bound method it would be a reference
        cycle, and every closed socket (about 70 objects with the server's) would wait for the
        collector's full pass instead of being freed when its task ends.
        """
        self.scope = scope
        self.channel_layer = None
        self.server_send = send
        self.send_watch = get_send_watch()
        self.own_task = asyncio.current_task()
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass
        except asyncio.CancelledError:
            # Cut off (``cut_off``): end as on a disconnect, and return, so that the server
            # closes the connection. Any other cancellation (the server stopping) goes on.
            if not self.stalled or self.own_task.uncancel() > 0:
                raise
            await self._ended()
        except CLIENT_GONE as exc:
            if isinstance(exc, TimeoutError):  # an OSError too, but not a send to a client that left
                await self._ended()
                raise
            # The client left while the socket's own task wrote to it (e.g. a first frame sent
            # as it was accepted): end as on its disconnect, which the server will not send now.
            logger.info("client gone while its socket wrote to it: %r", exc)
            await self._ended()
        except Exception:
            await self._ended()  # a bug: the server logs it; the socket's groups and presence go
            raise

    async def _ended(self) -> None:
        """What a disconnect releases (groups, presence, the open-socket count), for a socket
        whose own task ended otherwise; nothing twice."""
        try:
            await self.websocket_disconnect({"type": "websocket.disconnect", "code": CLOSE_ABNORMAL})
        except StopConsumer:
            pass

    async def connect(self) -> None:
        self.codec = for_scope(self.scope)  # JSON, or MessagePack both ways (gameplatform.codec)
        self.conn_id = new_request_id()
        request_id_var.set(self.conn_id)
        self.groups_joined: set[str] = set()
        self._expiry: asyncio.TimerHandle | None = None
        self.frame_budget = FrameBudget(settings.WS_FLOOD_FRAMES, settings.WS_FLOOD_WINDOW_SECONDS)
        user = self.scope.get("user")
        if self.scope.get("overloaded") is not None:
            await self._refuse_busy(self.scope["overloaded"])
            return
        if user is None or not user.is_authenticated:
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        self.user, self.user_id = user, user.pk
        if lockout.locked(user):  # a suspended or banned account (gameplatform.lockout)
            refusal = await db.run_always(lockout.refusal_for, user)
            if refusal is not None:
                await self.end(CLOSE_FORBIDDEN, refusal.code, refusal.message, **refusal.extra)
                return
        try:
            await self.on_connect()
        except (Overloaded, Unavailable) as exc:
            if isinstance(exc, Unavailable):
                metrics.outage(dependency_of(exc), "socket")
            await self.leave_all_groups()
            await self._refuse_busy(exc)
            return
        except ApplicationError as exc:
            await self.leave_all_groups()
            code = exc.close_code if exc.close_code >= 4000 else CLOSE_FORBIDDEN
            if exc.tell_on_refuse:  # the contract names an error frame before this close
                await self.end(code, exc.code, exc.message, **exc.extra)
                return
            await self._refuse(code)
            return
        except Exception as exc:
            # Redis or the database cannot be reached: accept, ``error`` unavailable, close 1013.
            if not is_outage(exc):
                raise
            logger.warning("socket refused during an outage: %r", exc)
            metrics.outage(dependency_of(exc), "socket")
            await self.leave_all_groups()
            await self._refuse_busy(Unavailable())
            return
        # Accepted only now: by the time a client sees the socket open, it is in
        # its groups and will hear every broadcast that follows.
        await self.accept()
        self.accepted = self.connected = True
        self.counted_route = self.scope.get("route", metrics.UNROUTED)
        metrics.socket_opened(self.counted_route)
        self._schedule_expiry()
        lockout.get_gate().add(self)
        logger.info("socket open", extra={"path": self.scope.get("path"), "user_id": self.user_id})
        await self._user_presence_open()
        try:
            await self.on_accepted()
        except Exception as exc:
            if not is_outage(exc):
                raise
            logger.warning("socket closed during an outage: %r", exc)
            metrics.outage(dependency_of(exc), "socket")
            await self.leave_presence()
            await self._refuse_busy(Unavailable())

    async def accept(self, subprotocol=None, headers=None) -> None:
        """Accept the socket, naming the subprotocol of its codec, if the client asked for one."""
        await super().accept(subprotocol=self.codec.subprotocol or subprotocol, headers=headers)

    async def send(self, text_data=None, bytes_data=None, close=False) -> None:
        """Every frame goes out here: through the socket's codec (MessagePack: one conversion per
        frame text, shared by the sockets it goes to), or as the JSON text it is."""
        if text_data is not None and self.codec.binary:
            text_data, bytes_data = None, self.codec.encode(text_data)
        await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    async def _refuse(self, code: int) -> None:
        # Accept, then close: a browser only sees close codes on an accepted socket.
        await self.accept()
        await self.close(code=code)

    async def _refuse_busy(self, exc: ApplicationError) -> None:
        """Overloaded or a needed service unavailable: say so, then close 1013 (try again later)."""
        await self.end(exc.close_code, exc.code, exc.message, **exc.extra)

    async def end(self, code: int, error_code: str, message: str, *, ref=None, **extra) -> None:
        """End this socket and say why: an ``error`` frame ``error_code``, then the close ``code``.

        The one way a socket is ended for a reason the client should read, whatever the route:
        the subject of the socket was replaced (4409: a newer socket took the seat) or deleted
        (4404), access to it was withdrawn (4403: kicked, unfriended), the client flooded (1008),
        its token expired (4401), a needed service is unavailable (1013). Idempotent: once the
        socket is closing nothing more is sent, so two reasons arriving together end it once.

        The socket leaves presence at once (off the caller's task: a hub delivery must not wait
        for it), so others see it gone before the close handshake ends; ``on_disconnect`` and
        the group clean-up run as usual when the close completes.
        """
        if self.closing:
            return
        if not self.accepted:  # still connecting: a browser reads close codes of accepted sockets only
            await self.accept()
            self.accepted = True
        await self._answer_quietly(error_code, message, ref=ref, **extra)
        await self.close(code=code)
        if self.presence_conn is not None:
            self._leaving = asyncio.get_running_loop().create_task(self.leave_presence())

    async def websocket_disconnect(self, message) -> None:
        try:
            if self._expiry is not None:
                self._expiry.cancel()
            if self.connected:
                self.connected = False
                try:
                    await self.on_disconnect(message.get("code"))
                except Exception:
                    logger.exception("on_disconnect failed")
        finally:
            if self.counted_route is not None:
                metrics.socket_closed(self.counted_route)
                self.counted_route = None
            if self.user_id is not None:
                lockout.get_gate().discard(self)
            await self.leave_all_groups()
            await self._user_presence_close()
        # Not Channels' websocket_disconnect: it would discard layer groups this socket never
        # joined (the hub holds them) and close "old" database connections by a hop to the
        # process's one sync thread, which queued 15,000 closing sockets behind each other.
        # Database work here runs on the workers of gameplatform.db, which close their own.
        raise StopConsumer()

    # Presence never breaks a socket: a failing store is logged, and the entry
    # of a socket whose close failed expires with the heartbeat it no longer gets.
    async def _user_presence_open(self) -> None:
        try:
            self.presence_conn = await presence.aopen(user_id=self.user_id, places=self.presence_places())
        except Exception:
            logger.exception("presence open failed")

    def presence_places(self) -> tuple[str, ...]:
        """The places this socket stands at while open (``lobby:<id>``...); see ``gameplatform.presence``."""
        return ()

    async def move_presence(self) -> None:
        """Stand at ``presence_places()`` again, after they changed (a world character moved)."""
        if self.presence_conn is None:
            return
        try:
            self.presence_conn = await presence.amove(
                self.presence_conn, user_id=self.user_id, places=self.presence_places()
            )
        except Exception:
            logger.exception("presence move failed")

    async def leave_presence(self) -> None:
        """Count this socket out now (a kicked member leaves the lobby before the close handshake ends)."""
        await self._user_presence_close()

    async def _user_presence_close(self) -> None:
        conn, self.presence_conn = self.presence_conn, None
        if conn is None:
            return
        try:
            await presence.aclose(conn)
        except Exception:
            logger.exception("presence close failed")

    async def on_connect(self) -> None:
        """Check access and join groups; raise ApplicationError to refuse. Nothing is sent yet."""

    async def on_accepted(self) -> None:
        """The socket is open and in its groups: send the initial state here."""

    async def on_disconnect(self, code) -> None:
        """Subclasses tell others the socket went away. Groups are left for them."""

    def _schedule_expiry(self) -> None:
        expires_at = self.scope.get("auth_expires_at")
        if not expires_at:
            return
        delay = max(0.0, float(expires_at) - time.time())
        loop = asyncio.get_running_loop()
        self._expiry = loop.call_later(delay, lambda: loop.create_task(self._expire()))

    async def close(self, code=None, reason=None) -> None:
        if self.closing:
            return
        self.closing = True
        await super().close(code=close_code_sent(code), reason=reason)

    async def _expire(self) -> None:
        if self.connected:
            await self.end(CLOSE_UNAUTHENTICATED, "token_expired", "Access token expired.")

    # --- groups -------------------------------------------------------------

    async def join_group(self, group: str) -> None:
        await get_hub().join(group, self)
        self.groups_joined.add(group)

    async def leave_group(self, group: str) -> None:
        self.groups_joined.discard(group)
        await get_hub().leave(group, self)

    async def leave_all_groups(self) -> None:
        hub = get_hub()
        for group in tuple(getattr(self, "groups_joined", ())):
            try:
                await hub.leave(group, self)
            except Exception:
                logger.exception("leaving %s failed", group)
        self.groups_joined = set()

    async def hub_deliver(self, message: dict) -> None:
        """Called by the process hub for each broadcast to a group this socket joined.

        Nothing once the socket is closing or closed: a delivery on its way when the socket left
        its groups still holds it in the hub's copy of the group, and writes it nothing."""
        if self.closing or not self.accepted or not self.connected:
            return
        text = message.get("text")
        if text is not None:
            await self.send(text_data=text)
            return
        await self.on_signal(message["signal"], message.get("data", {}))

    # --- clients that stopped reading ----------------------------------------

    async def send_to_client(self, message: dict) -> None:
        """The server's ``send``, timed: a send still waiting after ``WS_STALL_SECONDS`` cuts
        the socket off (``gameplatform.stalls``) and raises ``ClientStalled`` in its sender."""
        if self.stalled:
            raise ClientStalled()
        task = asyncio.current_task()
        waiting = self.send_watch.waiting
        waiting[task] = (self, self.send_watch.loop.time())
        try:
            await self.server_send(message)
        except asyncio.CancelledError:
            # Cancelled by the watch (``cut_off``), in a hub's or room's task: that sender goes
            # on to its next socket. The socket's own task ends in ``__call__``.
            if not self.stalled or task is self.own_task or task.uncancel() > 0:
                raise
            raise ClientStalled() from None
        finally:
            waiting.pop(task, None)

    base_send = send_to_client

    def cut_off(self, waiting: list[asyncio.Task]) -> None:
        """The client stopped reading: cancel the sends waiting on it, and end the socket.

        Nothing more is written to it; its own task ends as on a disconnect (``on_disconnect``,
        groups, presence) and returns, and the server closes the connection without a close
        frame, which would wait behind the unread frames. Called by the send watch.
        """
        first = not self.stalled
        self.stalled = self.closing = True
        for task in waiting:
            task.cancel()
        if not first:
            return
        logger.warning("client stopped reading; cutting the socket off", extra={"user_id": self.user_id})
        metrics.cut_off(self.scope.get("route", metrics.UNROUTED))
        if self.own_task not in waiting and not self.own_task.done():
            self.own_task.cancel()

    async def on_signal(self, signal: str, data: dict) -> None:
        """Subclasses act on group signals (e.g. close a kicked user's sockets)."""

    # --- frames in ----------------------------------------------------------

    async def dispatch(self, message) -> None:
        # Channels' dispatch first closes stale connections on the main sync thread,
        # a thread hop per frame (120-180 µs a message measured); our database work runs in
        # worker threads that manage their own connections (gameplatform.db), so it is
        # skipped here. A socket hears only the server's three ASGI events: each goes to
        # the handler Channels names for it (``websocket.receive`` -> ``websocket_receive``).
        handler = ASGI_HANDLERS.get(message["type"])
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await getattr(self, handler)(message)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if not self.connected or self.closing:
            return
        # The rules every route shares, before anything is read: a flood closes 1008, a frame
        # over the size limit 1009. Every frame spends the budget: pings, bad JSON, unknown types.
        if not self.frame_budget.spend(time.monotonic()):
            metrics.rate_limited("ws:flood:frames")
            await self.end(CLOSE_FLOODING, "flooding", "Too many frames: this socket is closed.")
            return
        raw = text_data if text_data is not None else bytes_data
        size = len(raw.encode("utf-8")) if isinstance(raw, str) else len(raw or b"")
        if size > settings.WS_MAX_FRAME_BYTES:
            limit = settings.WS_MAX_FRAME_BYTES
            await self.end(
                CLOSE_TOO_LARGE, "frame_too_large", f"Frames are at most {limit} bytes: this socket is closed."
            )
            return
        frame, ref = None, None
        try:
            frame, refusal = self._parse(text_data, bytes_data)
            ref = frame.get("ref")
            if refusal is not None:  # a NUL or a lone surrogate: refused, with the frame's ref
                metrics.frame_in(metrics.OTHER)
                if not isinstance(ref, (str, int, float, bool, type(None))):
                    ref = None  # a ref that is an object or a list holding the bad text is not echoed
                elif isinstance(ref, str):
                    ref = parsers.echoable(ref)
                raise refusal
            await self._dispatch_frame(frame)
        except ApplicationError as exc:
            if frame is None:  # not a frame we could read: counted as "other"
                metrics.frame_in(metrics.OTHER)
            if isinstance(exc, RateLimited) and await self._refusals_exceeded():
                metrics.rate_limited(FLOOD_REFUSALS.name)
                await self.end(CLOSE_FLOODING, "flooding", "Too many frames after being rate limited.", ref=ref)
                return
            await self._answer_quietly(exc.code, exc.message, ref=ref, **exc.extra)
        except Exception as exc:
            if is_outage(exc):  # the socket stays open: the client may retry later
                logger.warning("frame refused during an outage: %r", exc)
                metrics.outage(dependency_of(exc), "socket")
                error = Unavailable()
                await self._answer_quietly(error.code, error.message, ref=ref, **error.extra)
                return
            if isinstance(exc, OSError):  # the client left while its frame was handled (a send failed)
                logger.info("client gone while its frame was handled", extra={"frame_type": (frame or {}).get("type")})
                return
            logger.exception("frame handler failed", extra={"frame_type": (frame or {}).get("type")})
            await self._answer_quietly("server_error", "Something went wrong on the server.", ref=ref)

    def _parse(self, text_data, bytes_data) -> tuple[dict, ApplicationError | None]:
        """The frame as the socket's codec reads it (``bad_json`` when it cannot), and its refusal
        when it holds a NUL or a lone surrogate (``invalid``)."""
        frame, refusal = self.codec.decode(text_data, bytes_data)
        if not isinstance(frame, dict):
            raise ApplicationError("The frame must be a JSON object.", code="bad_json")
        if refusal is not None:
            return frame, refusal
        if not isinstance(frame.get("type"), str):
            raise FrameInvalid({"type": ["This field is required and must be a string."]})
        return frame, None

    async def _dispatch_frame(self, frame: dict) -> None:
        kind = frame["type"]
        metrics.frame_in(kind if kind in self.client_types or kind == "ping" else metrics.OTHER)
        if kind == "ping":
            await self.send_frame({"type": "pong", **({"ref": frame["ref"]} if "ref" in frame else {})})
            return
        if kind not in self.client_types:
            raise ApplicationError(f"Unknown frame type {kind[:64]!r}.", code="unknown_type")
        await getattr(self, f"handle_{kind}")(frame)

    async def _refusals_exceeded(self) -> bool:
        """Spend one unit of the user's refusal budget: True when it was already used up."""
        try:
            return not (await FLOOD_REFUSALS.ahit(self.user_id)).allowed
        except Exception as exc:  # the store failed: the refusal is still answered, the socket stays
            logger.warning("flood refusal budget unavailable: %r", exc)
            return False

    def then_in_order(self, work: Callable[[], Awaitable], *, ref=None) -> None:
        """Run ``work`` after this socket's earlier ordered work, without holding up the next frame.

        For frames whose effect is stored (chat): the handler checks what must be checked
        on arrival (fields, rate budget), then hands the database work here, so the socket
        reads on while it waits for a worker, and the effects still happen in arrival
        order. An error of ``work`` is answered as a handler's would be, with ``ref``.
        """
        self._in_order = asyncio.ensure_future(self._ordered(self._in_order, work, ref))

    async def _ordered(self, previous: asyncio.Future | None, work: Callable[[], Awaitable], ref) -> None:
        if previous is not None:
            await previous  # never raises: each piece answers its own errors
        try:
            await work()
        except ApplicationError as exc:
            await self._answer_quietly(exc.code, exc.message, ref=ref, **exc.extra)
        except Exception as exc:
            if is_outage(exc):
                logger.warning("ordered socket work refused during an outage: %r", exc)
                metrics.outage(dependency_of(exc), "socket")
                error = Unavailable()
                await self._answer_quietly(error.code, error.message, ref=ref, **error.extra)
                return
            if isinstance(exc, OSError):  # the client left meanwhile (a send failed)
                logger.info("client gone while its ordered work ran")
                return
            logger.exception("ordered socket work failed")
            await self._answer_quietly("server_error", "Something went wrong on the server.", ref=ref)

    async def _answer_quietly(self, code: str, message: str, **extra) -> None:
        if self.closing:
            return
        try:
            await self.send_error(code, message, **extra)
        except CLIENT_GONE:  # the client went away meanwhile
            pass

    def validate(self, serializer_class: type[serializers.Serializer], frame: dict) -> dict:
        """The frame's fields as ``serializer_class`` validates them, or ``FrameInvalid``.

        One instance per serializer class validates every frame (``run_validation`` keeps no
        state on the instance): a new serializer per frame deep-copies its fields each time,
        about 100 µs for a position update against 17 µs this way.
        """
        try:
            return frame_validator(serializer_class).run_validation(frame)
        except serializers.ValidationError as exc:
            detail = exc.detail
            raise FrameInvalid(detail if isinstance(detail, dict) else {"non_field_errors": detail}) from None

    # --- frames out ---------------------------------------------------------

    async def send_frame(self, payload: dict) -> None:
        await self.send(text_data=encode(payload))
        metrics.frames_out(payload.get("type"))

    async def send_error(self, code: str, message: str, *, ref=None, **extra) -> None:
        payload = {"type": "error", "code": code, "message": message, **extra}
        if ref is not None:
            payload["ref"] = ref
        await self.send_frame(payload)
