"""The base every WebSocket consumer of the project extends.

It owns what all sockets share, so app consumers stay thin. ``BaseConsumer`` itself holds a
socket's life, from the handshake to the end; each other job is a mixin of its own module:
- authentication: anonymous sockets are accepted, then closed with 4401 (so a
  browser can read the code), and a socket is closed with 4401 when the access
  token behind it expires; a locked account's socket is ended 4403 (``gameplatform.sockets.lockout``);
- ``on_connect`` may raise ``ApplicationError``: the socket closes with its
  close code (``Forbidden`` 4403, ``NotFound`` 4404);
- endings: ``end(code, error_code, message)`` tells the client why (an ``error`` frame)
  and closes with the contract's code: the subject of the socket was replaced (4409) or
  deleted (4404), access was withdrawn (4403), a flood (1008), an expired token (4401);
- close codes: ``close``, the one place every close passes, sends each as ``close_code_sent``
  says (``gameplatform.sockets.closecodes``: with ``WS_PRIVATE_CLOSE_CODES``, 1008 -> 4008...);
- client frames (``gameplatform.sockets.receiving``, ``FrameReader``): the flood budgets (``error``
  ``flooding``, close 1008), the size limit (``frame_too_large``, close 1009), dispatch to
  ``handle_<type>`` for the types the subclass lists in ``client_types``, ``ping`` answered with
  ``pong``, every failure answered with an ``error`` frame; each handler declares its frame with
  ``@receives``;
- frames out (``gameplatform.sockets.sending``, ``FrameWriter``): each socket reads and writes its frames
  with the codec of the subprotocol its client asked for (``gameplatform.sockets.codec``: JSON,
  MessagePack, compact), chosen as it connects;
- clients that stop reading (``gameplatform.sockets.stalls``, ``TimedSends``): every send is timed, and a
  socket whose client stopped reading is cut off;
- groups, through the process hub (``gameplatform.sockets.socket_groups``, ``GroupMember``: ``join_group``),
  left again on disconnect whatever happened before;
- presence (``gameplatform.sockets.socket_presence``, ``SocketPresence``): every accepted socket opens a
  presence entry and closes it on disconnect (``gameplatform.sockets.presence``), so a user is online while
  any socket of theirs is open, on any route.

The names apps import from here (``BaseConsumer``, ``receives``, the close codes...) stay here.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from gameplatform.broadcast.hub import CLIENT_GONE
from gameplatform.core import metrics
from gameplatform.core.errors import ApplicationError, Unavailable, dependency_of, is_outage
from gameplatform.core.logs import new_request_id, request_id_var
from gameplatform.core.loops import per_loop
from gameplatform.data import db
from gameplatform.data.db import Overloaded
from gameplatform.data.ratelimit import FrameBudget
from gameplatform.sockets import lockout
from gameplatform.sockets.closecodes import (
    CLOSE_ABNORMAL,
    CLOSE_FLOODING,
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_REPLACED,
    CLOSE_TOO_LARGE,
    CLOSE_UNAUTHENTICATED,
    PRIVATE_OFFSET,
    STANDARD_CODES,
    close_code_sent,
)
from gameplatform.sockets.codec import for_scope
from gameplatform.sockets.receiving import (
    FLOOD_REFUSALS,
    KIT_ERROR_CODES,
    ClientFrame,
    FrameInvalid,
    FrameReader,
    client_frame_of,
    frame_validator,
    receives,
)
from gameplatform.sockets.sending import FrameWriter
from gameplatform.sockets.socket_groups import GroupMember
from gameplatform.sockets.socket_presence import SocketPresence
from gameplatform.sockets.stalls import TimedSends, get_send_watch
from preparedws.deadlines import Deadlines

# Names apps, the kit and the tests import from here, wherever they are defined.
__all__ = [
    "ASGI_HANDLERS",
    "CLOSE_ABNORMAL",
    "CLOSE_FLOODING",
    "CLOSE_FORBIDDEN",
    "CLOSE_NOT_FOUND",
    "CLOSE_REPLACED",
    "CLOSE_TOO_LARGE",
    "CLOSE_UNAUTHENTICATED",
    "FLOOD_REFUSALS",
    "KIT_ERROR_CODES",
    "PRIVATE_OFFSET",
    "STANDARD_CODES",
    "BaseConsumer",
    "ClientFrame",
    "FrameInvalid",
    "client_frame_of",
    "close_code_sent",
    "frame_validator",
    "receives",
]

logger = logging.getLogger(__name__)


def _token_expired(consumer: "BaseConsumer") -> None:
    asyncio.get_running_loop().create_task(consumer._expire())


# Every socket's token expiry on this process, one loop timer for them all (a socket closes at
# most half a second after its token's ``exp``).
EXPIRIES = per_loop(lambda: Deadlines(asyncio.get_running_loop(), _token_expired, grain=0.5))

# The ASGI WebSocket events a server sends the application, and the handlers of Channels'
# ``AsyncWebsocketConsumer`` for them (Channels' rule: the type with dots as underscores).
ASGI_HANDLERS = {
    "websocket.connect": "websocket_connect",
    "websocket.receive": "websocket_receive",
    "websocket.disconnect": "websocket_disconnect",
}


class BaseConsumer(FrameReader, FrameWriter, GroupMember, SocketPresence, TimedSends, AsyncWebsocketConsumer):
    """A socket's life, from the handshake to its end; the mixins hold the rest (see the module).

    Subclasses list ``client_types`` and write ``handle_<type>``, and fill in ``on_connect``,
    ``on_accepted``, ``on_disconnect`` and ``on_signal``.
    """

    user = None
    user_id: int | None = None
    accepted = False  # frames may go out
    connected = False  # on_connect succeeded: on_disconnect will run
    closing = False  # we sent a close: nothing more goes out
    _leaving: asyncio.Task | None = None  # leaving presence after ``end``
    counted_route: str | None = None  # the route this socket is counted open under (metrics)
    _expiry: int | None = None  # the slot of the socket's token expiry among the process's (``EXPIRIES``)

    # --- life cycle ---------------------------------------------------------

    async def __call__(self, scope, receive, send) -> None:
        """One socket: the server's messages, dispatched in order, on the server's own task.

        Channels' loop also listens on a channel-layer channel of the socket, through a
        task per source and an ``asyncio.wait`` per message (about 20 µs a message against
        under 1 µs here). Our sockets have no such channel (the hub delivers broadcasts):
        ``channel_layer`` is None, and the messages are awaited directly, one task fewer
        per socket. ``base_send`` is where Channels' ``send`` (and so ``accept``, ``send``
        and ``close``) writes: ``test_framework_contracts.py`` fails if it stops being so.
        Ours is ``send_to_client``, the server's ``send`` timed (``gameplatform.sockets.stalls``),
        named on the class (``TimedSends``): stored on the socket as a bound method it would be a reference
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
        self.codec = for_scope(self.scope)  # JSON, or MessagePack both ways (gameplatform.sockets.codec)
        self.take_extensions(self.scope)  # frames at wire cost, when the server offers them
        self.conn_id = new_request_id()
        request_id_var.set(self.conn_id)
        self.groups_joined: set[str] = set()
        self._expiry: int | None = None
        self.frame_budget = FrameBudget(settings.WS_FLOOD_FRAMES, settings.WS_FLOOD_WINDOW_SECONDS)
        user = self.scope.get("user")
        if self.scope.get("overloaded") is not None:
            await self._refuse_busy(self.scope["overloaded"])
            return
        if user is None or not user.is_authenticated:
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        self.user, self.user_id = user, user.pk
        if lockout.locked(user):  # a suspended or banned account (gameplatform.sockets.lockout)
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
            if not is_outage(exc):
                raise
            await self._refuse_outage(exc, "socket refused during an outage: %r", self.leave_all_groups)
            return
        # Accepted only now: by the time a client sees the socket open, it is in
        # its groups and will hear every broadcast that follows.
        await self.accept()
        self.accepted = self.connected = True
        self.counted_route = self.scope.get("route", metrics.UNROUTED)
        metrics.socket_opened(self.counted_route)
        self._schedule_expiry()
        lockout.get_gate().add(self)
        # DEBUG: one a socket is the busiest line of all (docs/operations/monitoring.md, "Log lines").
        logger.debug("socket open", extra={"path": self.scope.get("path"), "user_id": self.user_id})
        await self._user_presence_open()
        try:
            await self.on_accepted()
        except Exception as exc:
            if not is_outage(exc):
                raise
            await self._refuse_outage(exc, "socket closed during an outage: %r", self.leave_presence)

    async def _refuse(self, code: int) -> None:
        # Accept, then close: a browser only sees close codes on an accepted socket.
        await self.accept()
        await self.close(code=code)

    async def _refuse_busy(self, exc: ApplicationError) -> None:
        """Overloaded or a needed service unavailable: say so, then close 1013 (try again later)."""
        await self.end(exc.close_code, exc.code, exc.message, **exc.extra)

    async def _refuse_outage(self, exc: Exception, logged: str, leave: Callable[[], Awaitable[None]]) -> None:
        """Redis or the database cannot be reached (``exc``): counted, what the socket joined is
        left (``leave``), then ``error`` unavailable and close 1013."""
        logger.warning(logged, exc)
        metrics.outage(dependency_of(exc), "socket")
        await leave()
        await self._refuse_busy(Unavailable())

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
                EXPIRIES().discard(self, self._expiry)
                self._expiry = None
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
        # Database work here runs on the workers of gameplatform.data.db, which close their own.
        raise StopConsumer()

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
        self._expiry = EXPIRIES().add(self, delay)

    async def close(self, code=None, reason=None) -> None:
        if self.closing:
            return
        self.closing = True
        await super().close(code=close_code_sent(code), reason=reason)

    async def _expire(self) -> None:
        self._expiry = None
        if self.connected:
            await self.end(CLOSE_UNAUTHENTICATED, "token_expired", "Access token expired.")

    # --- the server's events ------------------------------------------------

    async def dispatch(self, message) -> None:
        # Channels' dispatch first closes stale connections on the main sync thread,
        # a thread hop per frame (120-180 µs a message measured); our database work runs in
        # worker threads that manage their own connections (gameplatform.data.db), so it is
        # skipped here. A socket hears only the server's three ASGI events: each goes to
        # the handler Channels names for it (``websocket.receive`` -> ``websocket_receive``).
        handler = ASGI_HANDLERS.get(message["type"])
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await getattr(self, handler)(message)
