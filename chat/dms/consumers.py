from chat.dms.selectors import dm_require_access
from chat.dms.services import adm_budget_spend, dm_mark_read, dm_place, dm_send
from chat.models import DM_MAX_LENGTH
from gameplatform.broadcast.groups import dm_group
from gameplatform.core.errors import Forbidden
from gameplatform.data import db
from gameplatform.http import serializers
from gameplatform.sockets.consumers import CLOSE_FORBIDDEN, BaseConsumer, receives


class DmMessageInput(serializers.Serializer):
    content = serializers.CharField(max_length=DM_MAX_LENGTH, trim_whitespace=False)


# Both frames check the friendship again (it may have ended since the socket opened).
DM_ERRORS = ("blocked", "muted", "not_found", "not_friends", "self_message")


class DirectMessageConsumer(BaseConsumer):
    """``/ws/dm/<user_id>/``: the message channel between two friends.

    While open, the socket stands at the presence place ``dm:<peer id>``: a message
    to a user who stands there with the sender is not announced as a DM received away.
    """

    client_types = frozenset({"dm_message", "dm_read"})
    server_frames = {
        "dm_message": "`{message: {id, sender_id, recipient_id, content, created_at}}`: to both friends.",
        "dm_read": "`{reader_id, peer_id, up_to_id, count}`: messages were marked read.",
    }

    async def on_connect(self) -> None:
        self.peer_id = int(self.scope["url_route"]["kwargs"]["user_id"])
        if self.peer_id == self.user_id:
            raise Forbidden("You cannot message yourself.", code="self_message")
        await db.run(dm_require_access, user_id=self.user_id, peer_id=self.peer_id)
        await self.join_group(dm_group(self.user_id, self.peer_id))

    def presence_places(self) -> tuple[str, ...]:
        return (dm_place(self.peer_id),)

    @receives(DmMessageInput, errors=DM_ERRORS)
    async def handle_dm_message(self, frame: dict) -> None:
        """`{content}`: send a message to the friend (stored, then `dm_message` to both)."""
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

    @receives(errors=DM_ERRORS)
    async def handle_dm_read(self, frame: dict) -> None:
        """Mark the friend's messages to me as read (`dm_read` to both, the badge changes)."""
        await db.run(dm_mark_read, user=self.user, peer_id=self.peer_id)

    async def on_signal(self, signal: str, data: dict) -> None:
        if signal == "dm_revoked":  # the friendship ended or a block started
            await self.end(CLOSE_FORBIDDEN, "forbidden", "This conversation is closed: you are no longer friends.")
