"""A socket's presence: every accepted socket stands in ``gameplatform.sockets.presence`` until it closes.

``SocketPresence``, mixed into ``BaseConsumer``, opens the socket's presence entry once it is
accepted and closes it on disconnect, so a user is online while any socket of theirs is open, on
any route. A consumer names the places its socket stands at (``presence_places``: ``lobby:<id>``...),
moves there again when they change (``move_presence``) and may leave early (``leave_presence``).

Presence never breaks a socket: a failing store is logged, and the entry of a socket whose close
failed expires with the heartbeat it no longer gets.
"""

import logging

from gameplatform.sockets import presence

logger = logging.getLogger(__name__)


class SocketPresence:
    """The presence entry of a ``BaseConsumer``, from its acceptance to its close."""

    presence_conn: str | None = None  # this socket's presence entry, once opened

    def presence_places(self) -> tuple[str, ...]:
        """The places this socket stands at while open (``lobby:<id>``...); see ``gameplatform.sockets.presence``."""
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

    async def _user_presence_open(self) -> None:
        try:
            self.presence_conn = await presence.aopen(user_id=self.user_id, places=self.presence_places())
        except Exception:
            logger.exception("presence open failed")

    async def _user_presence_close(self) -> None:
        conn, self.presence_conn = self.presence_conn, None
        if conn is None:
            return
        try:
            await presence.aclose(conn)
        except Exception:
            logger.exception("presence close failed")
