"""``WS /ws/lobbies/{lobby_id}/``: lobby chat, typing, presence and moderation for members."""

import asyncio
import time
from collections import deque

from rest_framework import serializers

from chat.lobbies import events
from chat.lobbies.presence import lobby_place, online_user_ids
from chat.lobbies.selectors import lobby_id_for_name, lobby_require_member, lobby_state_for_member
from chat.lobbies.services import CLOSE_LEFT, MEMBER_REMOVED, achat_budget_spend, message_post
from chat.models import MESSAGE_MAX_LENGTH
from gameplatform import db
from gameplatform.consumers import CLOSE_FORBIDDEN, BaseConsumer
from gameplatform.errors import ApplicationError, RateLimited
from gameplatform.groups import lobby_group
from gameplatform.ratelimit import describe
from gameplatform.realtime import agroup_send

# Flooding (1008) is the kit's rule, as on every socket (gameplatform.consumers).
# Typing frames are relayed, not stored: a per-socket cap keeps a stuck key from
# flooding the lobby (excess frames are answered with rate_limited, not relayed).
TYPING_LIMIT = 10
TYPING_WINDOW = 5.0


class ChatMessageInput(serializers.Serializer):
    message = serializers.CharField(max_length=MESSAGE_MAX_LENGTH, trim_whitespace=True)


class LobbyConsumer(BaseConsumer):
    """Presence in the lobby is the kit's presence at ``lobby:<id>`` (``chat.lobbies.presence``):
    this socket stands there from its acceptance to its close, and the lobby hears
    ``presence_join`` / ``presence_leave`` once per real change."""

    client_types = frozenset({"chat_message", "typing_start", "typing_stop"})
    server_frames = {
        "lobby_state": "`{lobby, online_user_ids}`: the lobby with its members, on connect.",
        "chat_message": "`{message: {id, content, sender: {id, username, is_premium}, created_at}}`: a stored message.",
        "message_deleted": "`{id}`: a moderator deleted a message.",
        "presence_join": "`{user_id, username, is_premium}`: a member's first socket in this lobby opened.",
        "presence_leave": "`{user_id, username}`: a member's last socket in this lobby closed (or its process died).",
        "typing_start": "`{user_id, username}`: a member started typing.",
        "typing_stop": "`{user_id, username}`: a member stopped typing.",
        "member_joined": "`{member: {user, role, joined_at}}`: someone joined the lobby.",
        "member_left": "`{user_id, username}`: someone left the lobby.",
        "role_changed": "`{user_id, username, role}`: a member became or stopped being a moderator.",
        "moderation_kick": "`{target_id, target_username, reason}`: a member was kicked (their sockets close 4403).",
        "moderation_ban": "`{target_id, target_username, reason}`: a member was banned (their sockets close 4403).",
        "lobby_status": "`{status}`: the lobby is `open`, `in_game` or `closed`.",
        "lobby_started": "`{game_id}`: the owner started the game; open `/ws/game/{game_id}/`.",
    }

    async def on_connect(self) -> None:
        self._typing_sent: deque[float] = deque()
        self.lobby_id = await self.lobby_id_of_route()
        self.group = lobby_group(self.lobby_id)
        # In the group before the check: a kick committed after the check reaches us.
        await self.join_group(self.group)
        await db.run(lobby_require_member, lobby_id=self.lobby_id, user_id=self.user_id)

    async def lobby_id_of_route(self) -> int:
        return int(self.scope["url_route"]["kwargs"]["lobby_id"])

    def presence_places(self) -> tuple[str, ...]:
        return (lobby_place(self.lobby_id),)

    async def on_accepted(self) -> None:
        try:
            # Checks membership again: a kick signalled before the socket was accepted was not delivered.
            detail = await db.run(lobby_state_for_member, lobby_id=self.lobby_id, user_id=self.user_id)
        except ApplicationError as exc:  # removed (4403) or the lobby gone (4404) meanwhile
            await self.end(exc.close_code, exc.code, exc.message)
            return
        online = await asyncio.to_thread(online_user_ids, lobby_id=self.lobby_id)
        await self.send_frame(events.lobby_state(detail, online))

    async def on_signal(self, signal: str, data: dict) -> None:
        if signal != MEMBER_REMOVED or data.get("user_id") != self.user_id:
            return
        code = data.get("code", CLOSE_FORBIDDEN)
        if code != CLOSE_LEFT:  # kicked or banned
            await self.end(code, "not_member", "You were removed from this lobby.")
            return
        await self.close(code=code)
        # Off the hub's delivery loop: it waits for each socket it delivers to.
        self._leaving = asyncio.get_running_loop().create_task(self.leave_presence())

    # --- client frames ---------------------------------------------------------------

    async def handle_chat_message(self, frame: dict) -> None:
        """`{message}`: post to the lobby (1–1000 characters; 3 messages per 2 s, shared with REST)."""
        data = self.validate(ChatMessageInput, frame)
        await achat_budget_spend(user_id=self.user_id)  # counted on arrival
        self.then_in_order(
            lambda: db.run(
                message_post, lobby_id=self.lobby_id, user=self.user, content=data["message"], budget_spent=True
            ),
            ref=frame.get("ref"),
        )

    async def handle_typing_start(self, frame: dict) -> None:
        """I started typing: the others get `typing_start`."""
        await self._relay_typing("typing_start")

    async def handle_typing_stop(self, frame: dict) -> None:
        """I stopped typing: the others get `typing_stop`."""
        await self._relay_typing("typing_stop")

    async def _relay_typing(self, kind: str) -> None:
        now = time.monotonic()
        sent = self._typing_sent
        while sent and sent[0] <= now - TYPING_WINDOW:
            sent.popleft()
        if len(sent) >= TYPING_LIMIT:
            refusal = describe(TYPING_LIMIT, TYPING_WINDOW, "typing notifications")
            raise RateLimited(sent[0] + TYPING_WINDOW - now, refusal)
        sent.append(now)
        await agroup_send(self.group, events.typing(kind, self.user), skip_user=self.user_id)


class LobbyByNameConsumer(LobbyConsumer):
    """``WS /ws/chat/lobby/<lobby_name>/`` (seed 004): the lobby socket, the lobby found by its
    name (``lobby_id_for_name``: the newest open one the user is a member of; 4404 for none)."""

    async def lobby_id_of_route(self) -> int:
        name = self.scope["url_route"]["kwargs"]["lobby_name"]
        return await db.run(lobby_id_for_name, name=name, user_id=self.user_id)
