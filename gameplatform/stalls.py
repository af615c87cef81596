"""Sends that wait for a client to read, and the watch that cuts such clients off.

An ASGI server's ``send`` may wait until the client has read what is already buffered:
uvicorn's does while the connection's write buffer is over its high-water mark. The hub and a
game room write to a process's sockets one after another, in their own task, so a client that
stops reading would hold up its whole group, or a room's every frame, for as long as it pleases.
ASGI has no way to ask whether a send would wait, nor to drop a connection without a close
frame that would wait the same way.

So every send of a socket is timed (``BaseConsumer.send_to_client``): it is entered here before
the server's ``send`` is awaited and removed when that returns, about half a microsecond in all
when nothing waits. A watch task per event loop looks at the sends still waiting every quarter
of ``WS_STALL_SECONDS``; a socket with a send that has waited longer is cut off
(``BaseConsumer.cut_off``): the waiting tasks are cancelled, which the socket turns into
``ClientStalled`` for the hub or room that sent, and the socket's own task ends as on a
disconnect, so the server closes the connection. A per-send timer (``asyncio.timeout``) would
do the same at about 5 µs a send, a tenth of a lobby delivery's whole cost.
"""

import asyncio
import logging

from django.conf import settings

from gameplatform.loops import per_loop

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
