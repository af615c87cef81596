"""Sends that wait for a client to read, and the watch that cuts such clients off.

An ASGI server's ``send`` may wait until the client has read what is already buffered:
uvicorn's does while the connection's write buffer is over its high-water mark. The hub and a
game room write to a process's sockets one after another, in their own task, so a client that
stops reading would hold up its whole group, or a room's every frame, for as long as it pleases.
ASGI has no way to ask whether a send would wait, nor to drop a connection without a close
frame that would wait the same way.

So every send of a socket is timed (``TimedSends.send_to_client``, below, mixed into
``BaseConsumer``): it is entered here before the server's ``send`` is awaited and removed when that
returns, about half a microsecond in all when nothing waits. A watch task per event loop looks
at the sends still waiting every quarter of ``WS_STALL_SECONDS``; a socket with a send that has
waited longer is cut off (``TimedSends.cut_off``): the waiting tasks are cancelled, which the
socket turns into ``ClientStalled`` for the hub or room that sent, and the socket's own task ends
as on a disconnect, so the server closes the connection. A per-send timer (``asyncio.timeout``) would
do the same at about 5 µs a send, a tenth of a lobby delivery's whole cost.

A frame written through the server's prepared-frames sink (``gameplatform.sockets.sending``)
never waits: the connection's buffer takes it. After each such write the socket looks at its
sink (``TimedSends.backlogged``): a buffer over its high-water mark for ``WS_STALL_SECONDS``, or
holding more than ``WS_STALL_BYTES``, cuts the socket off at once (``cut_off_sink``): the
connection is dropped without a close frame, and the socket ends on the disconnect that follows.
"""

import asyncio
import logging

from django.conf import settings

from gameplatform.core import metrics
from gameplatform.core.loops import per_loop

logger = logging.getLogger(__name__)

SWEEPS_PER_LIMIT = 4


class ClientStalled(ConnectionError):
    """A send to a client that stopped reading: the socket was cut off (callers treat it as gone)."""

    def __init__(self) -> None:
        super().__init__("the client stopped reading: the socket was cut off")


class SendWatch:
    """The sends of one event loop that are waiting on their client, each with when it began."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.loop = asyncio.get_running_loop()
        # task -> (the socket, when its send began); a task waits in one send at a time.
        self.waiting: dict[asyncio.Task, tuple[object, float]] = {}
        self._task = self.loop.create_task(self._watch())

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.limit / SWEEPS_PER_LIMIT)
            if self.waiting:
                self.sweep()

    def sweep(self) -> None:
        """Cut off every socket with a send waiting longer than the limit."""
        now = self.loop.time()
        stalled = {socket for socket, began in self.waiting.values() if now - began >= self.limit}
        if not stalled:
            return
        tasks: dict[object, list[asyncio.Task]] = {}
        for task, (socket, _) in list(self.waiting.items()):
            if socket in stalled:
                del self.waiting[task]
                tasks.setdefault(socket, []).append(task)
        for socket, waiting in tasks.items():
            try:
                socket.cut_off(waiting)
            except Exception:  # one socket's clean-up must not stop the watch for the others
                logger.exception("cutting off a stalled socket failed")


get_send_watch = per_loop(lambda: SendWatch(settings.WS_STALL_SECONDS))
"""The running loop's watch (one per server process)."""


class TimedSends:
    """The socket's side, mixed into ``BaseConsumer``: its sends timed by the watch, and its cut-off.

    ``BaseConsumer.__call__`` sets ``server_send`` (the server's ``send``), ``send_watch`` (the
    loop's watch) and ``own_task`` (the socket's task) before anything is sent.
    """

    stalled = False  # cut off: the client stopped reading (``cut_off``)

    async def send_to_client(self, message: dict) -> None:
        """The server's ``send``, timed: a send still waiting after ``WS_STALL_SECONDS`` cuts
        the socket off and raises ``ClientStalled`` in its sender."""
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

    def backlogged(self, sink) -> bool:
        """Whether the client behind ``sink`` stopped reading: its buffer has been over its
        high-water mark for ``WS_STALL_SECONDS``, or holds more than ``WS_STALL_BYTES``."""
        since = sink.paused_since  # set while the buffer is over its high-water mark: rarely
        if since is None:
            return False
        return sink.buffered > settings.WS_STALL_BYTES or self.send_watch.loop.time() - since >= self.send_watch.limit

    def cut_off_sink(self, sink) -> None:
        """The client behind ``sink`` stopped reading: its connection is dropped at once (no close
        frame, which would wait behind the unread frames), and ``ClientStalled`` raised in the
        sender, which goes on to its next socket. The socket ends on the server's disconnect."""
        if not self.stalled:
            self.stalled = self.closing = True
            logger.warning("client stopped reading; cutting the socket off", extra={"user_id": self.user_id})
            metrics.cut_off(self.scope.get("route", metrics.UNROUTED))
            sink.abort()
        raise ClientStalled()

    # Where Channels' ``send`` (and so ``accept``, ``send`` and ``close``) writes; named on the
    # class, not stored on the socket as a bound method, which would be a reference cycle.
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
