from friends.events import PresenceFilter, presence_frame
from gameplatform import db
from gameplatform.consumers import BaseConsumer
from gameplatform.groups import user_group
from notifications.events import badge_frame
from notifications.selectors import badge_counts


class NotificationConsumer(BaseConsumer):
    """The one per-user socket: it carries events that other apps send to the user's group.

    On connect it sends the ``badge``; friends' ``presence`` arrives as a group signal
    (see ``friends.presence``). Everything else is written as the sending app encoded it.
    """

    async def on_connect(self) -> None:
        self.presence_filter = PresenceFilter()
        await self.join_group(user_group(self.user_id))

    async def on_accepted(self) -> None:
        counts = await db.run(badge_counts, user_id=self.user_id)
        await self.send_frame(badge_frame(counts))

    async def on_signal(self, signal: str, data: dict) -> None:
        if signal == "presence" and self.presence_filter.is_new(data):
            await self.send_frame(presence_frame(data))
