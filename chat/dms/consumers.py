import asyncio
import contextlib

from asgiref.sync import sync_to_async
from rest_framework import serializers

from chat.dms import sockets
from chat.dms.models import DM_MAX_LENGTH
from chat.dms.selectors import dm_require_access
from chat.dms.services import adm_budget_spend, dm_mark_read, dm_send
from gameplatform import db
from gameplatform.consumers import CLOSE_FORBIDDEN, BaseConsumer
from gameplatform.errors import Forbidden
from gameplatform.groups import dm_group


class DmMessageInput(serializers.Serializer):
    content = serializers.CharField(max_length=DM_MAX_LENGTH, trim_whitespace=False)


_track_open = sync_to_async(sockets.dm_socket_open, thread_sensitive=False)
_track_close = sync_to_async(sockets.dm_socket_close, thread_sensitive=False)


class DirectMessageConsumer(BaseConsumer):
    """``/ws/dm/<user_id>/``: the message channel between two friends."""

    client_types = frozenset({"dm_message", "dm_read"})
    heartbeat: asyncio.Task | None = None

    async def on_connect(self) -> None:
        self.peer_id = int(self.scope["url_route"]["kwargs"]["user_id"])
        if self.peer_id == self.user_id:
            raise Forbidden("You cannot message yourself.", code="self_message")
        await db.run(dm_require_access, user_id=self.user_id, peer_id=self.peer_id)
        await self.join_group(dm_group(self.user_id, self.peer_id))

    async def on_accepted(self) -> None:
        # Counted as "on the DM socket" only once open; unregistered in on_disconnect.
        await self._track()
        self.heartbeat = asyncio.get_running_loop().create_task(self._keep_tracked())

    async def _track(self) -> None:
        await _track_open(user_id=self.user_id, peer_id=self.peer_id, socket_id=self.conn_id)

    async def _keep_tracked(self) -> None:
        while True:
            await asyncio.sleep(sockets.REFRESH_SECONDS)
            with contextlib.suppress(Exception):
                await self._track()

    async def on_disconnect(self, code) -> None:
        if self.heartbeat is not None:
            self.heartbeat.cancel()
        await _track_close(user_id=self.user_id, peer_id=self.peer_id, socket_id=self.conn_id)

    async def handle_dm_message(self, frame: dict) -> None:
        data = self.validate(DmMessageInput, frame)
        await adm_budget_spend(user_id=self.user_id)  # counted on arrival
        # Stored in arrival order while the socket reads on; the frame comes back to this
        # socket too, through the conversation group.
        self.then_in_order(
            lambda: db.run(
                dm_send, sender=self.user, recipient_id=self.peer_id, content=data["content"], budget_spent=True
            ),
            ref=frame.get("ref"),
        )

    async def handle_dm_read(self, frame: dict) -> None:
        await db.run(dm_mark_read, user=self.user, peer_id=self.peer_id)

    async def on_signal(self, signal: str, data: dict) -> None:
        if signal == "dm_revoked":
            await self.close(code=CLOSE_FORBIDDEN)
