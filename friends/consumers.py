from friends import events
from friends.selectors import presence_snapshot
from gameplatform.broadcast.groups import user_group
from gameplatform.data import db
from gameplatform.sockets.consumers import BaseConsumer


class FriendStatusConsumer(BaseConsumer):
    """``/ws/friends/status/``: a snapshot of friends' presence, then their changes.

    It listens on the user's group for ``presence`` signals only; the frames other
    apps send to that group belong to the notification socket and are not written here.
    """

    server_frames = {
        "presence_snapshot": "`{friends: [{user_id, online}]}`: every friend's presence, on connect.",
        "presence": "`{user_id, status}` with status `online` or `offline`: a friend came or went.",
    }

    async def on_connect(self) -> None:
        self.filter = events.PresenceFilter()
        self.early: list[dict] | None = []  # signals heard before the snapshot went out
        await self.join_group(user_group(self.user_id))

    async def on_accepted(self) -> None:
        snapshot = await db.run(presence_snapshot, user_id=self.user_id)
        for friend in snapshot:
            self.filter.seen(friend["user_id"], friend.pop("version"))
        await self.send_frame({"type": "presence_snapshot", "friends": snapshot})
        early, self.early = self.early, None
        for data in early:
            await self._send_presence(data)

    async def hub_deliver(self, message: dict) -> None:
        if "signal" in message:
            await super().hub_deliver(message)

    async def on_signal(self, signal: str, data: dict) -> None:
        if signal != "presence":
            return
        if self.early is not None:
            self.early.append(data)
            return
        await self._send_presence(data)

    async def _send_presence(self, data: dict) -> None:
        if self.filter.is_new(data):
            await self.send_frame(events.presence_frame(data))
