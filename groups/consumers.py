"""``WS /ws/groups/{group_id}/``: group chat and presence for members, as the lobby socket."""

from gameplatform.chat.rooms import ChatRoomConsumer
from gameplatform.http import serializers
from gameplatform.sockets.consumers import receives
from groups import events
from groups.models import MESSAGE_MAX_LENGTH, Group, GroupMembership
from groups.selectors import group_state_for_member
from groups.services import ROOM


class ChatMessageInput(serializers.Serializer):
    message = serializers.CharField(max_length=MESSAGE_MAX_LENGTH, trim_whitespace=True)


class GroupConsumer(ChatRoomConsumer):
    """Presence in the group is the kit's presence at ``group:<id>`` (``ROOM.presence_place``):
    the group hears ``presence_join`` / ``presence_leave`` once per real change."""

    client_types = frozenset({"chat_message"})
    server_frames = {
        "group_state": "`{group, online_user_ids}`: the group with its members, on connect.",
        "chat_message": "`{message: {id, content, sender: {id, username, is_premium}, created_at}}`: a stored message.",
        "presence_join": "`{user_id, username, is_premium}`: a member's first socket in this group opened.",
        "presence_leave": "`{user_id, username}`: a member's last socket in this group closed (or its process died).",
        "member_joined": "`{member: {user, role, joined_at}}`: someone joined the group.",
        "member_left": "`{user_id, username}`: someone left the group (or was kicked or banned).",
        "role_changed": "`{user_id, username, role}`: a member's role changed (`superadmin`, `admin`, `member`).",
        "moderation_kick": "`{target_id, target_username}`: a member was kicked (their sockets close 4403).",
        "moderation_ban": "`{target_id, target_username}`: a user was banned (their sockets close 4403).",
    }

    room = ROOM
    room_kwarg = "group_id"

    def read_state(self) -> tuple[Group, list[GroupMembership]]:
        return group_state_for_member(group_id=self.room_id, user_id=self.user_id)

    def state_frame(self, state: tuple[Group, list[GroupMembership]], online_user_ids: list[int]) -> dict:
        group, memberships = state
        return events.group_state(group, memberships, online_user_ids)

    @receives(ChatMessageInput, errors=("group_not_found", "muted", "not_member"))
    async def handle_chat_message(self, frame: dict) -> None:
        """`{message}`: post to the group (1–1000 characters; as lobby chat, 3 messages per 2 s, shared with REST)."""
        data = self.validate(ChatMessageInput, frame)
        await self.post_chat_message(data["message"], ref=frame.get("ref"))
