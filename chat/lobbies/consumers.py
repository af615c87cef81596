"""``WS /ws/lobbies/{lobby_id}/``: lobby chat, typing, presence and moderation for members."""

import time
from collections import deque

from chat.lobbies import events
from chat.lobbies.selectors import lobby_id_for_name, lobby_state_for_member
from chat.lobbies.services import ROOM
from chat.models import MESSAGE_MAX_LENGTH
from gameplatform.broadcast.realtime import agroup_send
from gameplatform.chat.rooms import ChatRoomConsumer
from gameplatform.core.errors import RateLimited
from gameplatform.data import db
from gameplatform.data.ratelimit import describe
from gameplatform.http import serializers
from gameplatform.sockets.consumers import receives

# Flooding (1008) is the kit's rule, as on every socket (gameplatform.sockets.consumers).
# Typing frames are relayed, not stored: a per-socket cap keeps a stuck key from
# flooding the lobby (excess frames are answered with rate_limited, not relayed).
TYPING_LIMIT = 10
TYPING_WINDOW = 5.0


class ChatMessageInput(serializers.Serializer):
    message = serializers.CharField(max_length=MESSAGE_MAX_LENGTH, trim_whitespace=True)


class LobbyConsumer(ChatRoomConsumer):
    """Presence in the lobby is the kit's presence at ``lobby:<id>`` (``ROOM.presence_place``):
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

    room = ROOM
    room_kwarg = "lobby_id"

    async def on_connect(self) -> None:
        self._typing_sent: deque[float] = deque()
        await super().on_connect()

    def read_state(self) -> dict:
        return lobby_state_for_member(lobby_id=self.room_id, user_id=self.user_id)

    def state_frame(self, state: dict, online_user_ids: list[int]) -> dict:
        return events.lobby_state(state, online_user_ids)

    # --- client frames ---------------------------------------------------------------

    @receives(ChatMessageInput, errors=("lobby_not_found", "muted", "not_member"))
    async def handle_chat_message(self, frame: dict) -> None:
        """`{message}`: post to the lobby (1–1000 characters; 3 messages per 2 s, shared with REST)."""
        data = self.validate(ChatMessageInput, frame)
        await self.post_chat_message(data["message"], ref=frame.get("ref"))

    @receives()
    async def handle_typing_start(self, frame: dict) -> None:
        """I started typing: the others get `typing_start`."""
        await self._relay_typing("typing_start")

    @receives()
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
        await agroup_send(self.channel, events.typing(kind, self.user), skip_user=self.user_id)


class LobbyByNameConsumer(LobbyConsumer):
    """``WS /ws/chat/lobby/<lobby_name>/`` (seed 004): the lobby socket, the lobby found by its
    name (``lobby_id_for_name``: the newest open one the user is a member of; 4404 for none)."""

    async def room_id_of_route(self) -> int:
        name = self.scope["url_route"]["kwargs"]["lobby_name"]
        return await db.run(lobby_id_for_name, name=name, user_id=self.user_id)
