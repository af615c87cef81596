from gameplatform import db
from gameplatform.consumers import BaseConsumer
from gameplatform.groups import user_group
from notifications import hooks
from notifications.events import badge_frame
from notifications.selectors import badge_counts


class NotificationConsumer(BaseConsumer):
    """The one per-user socket: it carries events that other apps send to the user's group.

    On connect it sends the ``badge``. Group signals (friends' ``presence``) are read by
    the readers other apps registered (``hooks.add_signal``); everything else is written
    as the sending app encoded it.
    """

    async def on_connect(self) -> None:
        self.signal_readers = {name: make() for name, make in hooks.signal_readers.items()}
        await self.join_group(user_group(self.user_id))

    async def on_accepted(self) -> None:
        counts = await db.run(badge_counts, user_id=self.user_id)
        await self.send_frame(badge_frame(counts))

    async def on_signal(self, signal: str, data: dict) -> None:
        reader = self.signal_readers.get(signal)
        frame = reader(data) if reader is not None else None
        if frame is not None:
            await self.send_frame(frame)
