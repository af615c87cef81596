"""``WS /ws/lobbies/{lobby_id}/``: lobby chat, typing, presence and moderation for members."""

import asyncio
import logging
import time
from collections import deque

from rest_framework import serializers

from accounts.selectors import username_of
from chat.lobbies import events, presence
from chat.lobbies.models import MESSAGE_MAX_LENGTH
from chat.lobbies.selectors import lobby_require_member, lobby_state_for_member
from chat.lobbies.services import MEMBER_REMOVED, achat_budget_spend, message_post
from gameplatform import db, ratelimit
from gameplatform.consumers import BaseConsumer
from gameplatform.errors import ApplicationError, RateLimited
from gameplatform.groups import lobby_group
from gameplatform.realtime import agroup_send

logger = logging.getLogger(__name__)

# A user who keeps sending after being refused: more than FLOOD_REFUSALS refused
# messages within FLOOD_WINDOW seconds (counted across processes) closes the socket
# that sent the last one with CLOSE_FLOODING (1008, policy violation).
FLOOD_REFUSALS = 10
FLOOD_WINDOW = 10.0
CLOSE_FLOODING = 1008
# Typing frames are relayed, not stored: a per-socket cap keeps a stuck key from
# flooding the lobby (excess frames are answered with rate_limited, not relayed).
TYPING_LIMIT = 10
TYPING_WINDOW = 5.0


def flood_key(user_id: int) -> str:
    return f"chat:lobby:flood:{int(user_id)}"


class ChatMessageInput(serializers.Serializer):
    message = serializers.CharField(max_length=MESSAGE_MAX_LENGTH, trim_whitespace=True)


class LobbyConsumer(BaseConsumer):
    client_types = frozenset({"chat_message", "typing_start", "typing_stop"})
    in_presence = False
    _heartbeat: asyncio.Task | None = None
    _closing_presence: asyncio.Task | None = None

    async def on_connect(self) -> None:
        self._typing_sent: deque[float] = deque()
        self.lobby_id = int(self.scope["url_route"]["kwargs"]["lobby_id"])
        self.group = lobby_group(self.lobby_id)
        # In the group before the check: a kick committed after the check reaches us.
        await self.join_group(self.group)
        await db.run(lobby_require_member, lobby_id=self.lobby_id, user_id=self.user_id)

    async def on_accepted(self) -> None:
        try:
            # Checks membership again: a kick signalled before the socket was accepted was not delivered.
            detail = await db.run(lobby_state_for_member, lobby_id=self.lobby_id, user_id=self.user_id)
        except ApplicationError as exc:
            await self.close(code=exc.close_code)
            return
        first = await self._presence_open()
        if self.closing:  # removed from the lobby while we were counting this socket in
            await self._presence_close()
            return
        online = await presence.aonline_user_ids(lobby_id=self.lobby_id)
        await self.send_frame(events.lobby_state(detail, online))
        if first:
            await agroup_send(self.group, events.presence_join(self.user), skip_user=self.user_id)
        self._heartbeat = asyncio.get_running_loop().create_task(self._keep_presence())

    async def on_disconnect(self, code) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        await self._presence_close()

    async def on_signal(self, signal: str, data: dict) -> None:
        if signal == MEMBER_REMOVED and data.get("user_id") == self.user_id:
            await self.close(code=data.get("code", 4403))
            # Off the hub's delivery loop: it waits for each socket it delivers to.
            self._closing_presence = asyncio.get_running_loop().create_task(self._presence_close())

    # --- client frames ---------------------------------------------------------------

    async def handle_chat_message(self, frame: dict) -> None:
        data = self.validate(ChatMessageInput, frame)
        try:
            await achat_budget_spend(user_id=self.user_id)  # counted on arrival
        except RateLimited:
            flood = await ratelimit.ahit(flood_key(self.user_id), limit=FLOOD_REFUSALS, window=FLOOD_WINDOW)
            if not flood.allowed:
                await self.send_error("flooding", "Too many messages after being rate limited.", ref=frame.get("ref"))
                await self._presence_close()
                await self.close(code=CLOSE_FLOODING)
                return
            raise
        self.then_in_order(
            lambda: db.run(
                message_post, lobby_id=self.lobby_id, user=self.user, content=data["message"], budget_spent=True
            ),
            ref=frame.get("ref"),
        )

    async def handle_typing_start(self, frame: dict) -> None:
        await self._relay_typing("typing_start")

    async def handle_typing_stop(self, frame: dict) -> None:
        await self._relay_typing("typing_stop")

    async def _relay_typing(self, kind: str) -> None:
        now = time.monotonic()
        sent = self._typing_sent
        while sent and sent[0] <= now - TYPING_WINDOW:
            sent.popleft()
        if len(sent) >= TYPING_LIMIT:
            raise RateLimited(sent[0] + TYPING_WINDOW - now, "Too many typing notifications.")
        sent.append(now)
        await agroup_send(self.group, events.typing(kind, self.user), skip_user=self.user_id)

    # --- presence ----------------------------------------------------------------------

    async def _presence_open(self) -> bool:
        first = await presence.apresence_open(lobby_id=self.lobby_id, user_id=self.user_id, conn_id=self.conn_id)
        self.in_presence = True
        return first

    async def _presence_close(self) -> None:
        if not self.in_presence:
            return
        self.in_presence = False
        last = await presence.apresence_close(lobby_id=self.lobby_id, user_id=self.user_id, conn_id=self.conn_id)
        if last:
            await agroup_send(self.group, events.presence_leave(self.user_id, self.user.username))

    async def _keep_presence(self) -> None:
        """Refresh this socket's presence entry and sweep entries left by crashed processes."""
        while self.in_presence:
            await asyncio.sleep(presence.heartbeat_seconds())
            try:
                if not self.in_presence:
                    return
                if await presence.apresence_open(lobby_id=self.lobby_id, user_id=self.user_id, conn_id=self.conn_id):
                    # Our entry had expired and was swept (a stalled process): we are back.
                    await agroup_send(self.group, events.presence_join(self.user), skip_user=self.user_id)
                for user_id in await presence.apresence_sweep(lobby_id=self.lobby_id):
                    username = await db.run(username_of, user_id=user_id)
                    await agroup_send(self.group, events.presence_leave(user_id, username))
            except Exception:
                logger.exception("lobby presence heartbeat failed")
