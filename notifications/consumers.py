from gameplatform.consumers import BaseConsumer
from gameplatform.groups import user_group


class NotificationConsumer(BaseConsumer):
    """The one per-user socket: it carries events that other apps send to the user's group."""

    async def on_connect(self) -> None:
        await self.join_group(user_group(self.user_id))
