from gameplatform.broadcast.groups import everyone_group, user_group
from gameplatform.data import db
from gameplatform.sockets.consumers import BaseConsumer
from notifications import hooks
from notifications.events import badge_frame
from notifications.selectors import badge_counts


class NotificationConsumer(BaseConsumer):
    """The one per-user socket: it carries events that other apps send to the user's group.

    On connect it sends the ``badge``. Besides the user's own group it listens on the group of
    every connected player (``everyone_group``: ``liveops_changed``). Group signals (friends' ``presence``) are read by
    the readers other apps registered (``hooks.signal_reader``); everything else is written
    as the sending app encoded it.
    """

    # Sent by the apps above (this socket only carries them): listed here for the documentation.
    server_frames = {
        "badge": "`{unread_dms, pending_invites, pending_friend_requests}`: on connect and on every change.",
        "notification": "`{id, kind, payload, created_at}`: a notification (`id` is null for one not stored).",
        "invite_created": "`{invite}`: an invite to me, or mine, was created.",
        "invite_accepted": "`{invite, ...}`: an invite was accepted (a lobby or party join, a game).",
        "invite_declined": "`{invite}`: an invite was declined.",
        "invite_cancelled": "`{invite}`: an invite was cancelled.",
        "invite_expired": "`{invite}`: an invite expired (INVITE_TTL_SECONDS).",
        "friend_request": "`{request}`: someone asked me to be friends.",
        "friend_request_cancelled": "`{request_id}`: a request to me was withdrawn.",
        "friend_accepted": "`{user}`: a friend request was accepted.",
        "friend_removed": "`{user_id}`: a friendship ended.",
        "presence": "`{user_id, status}`: a friend came online or went offline.",
        "match_found": "`{game_id}`: the queue matched me; open `/ws/game/{game_id}/`.",
        "match_cancelled": (
            "`{game_id, reason}`: the queue's match `game_id` was called off before its start (`reason` "
            "`no_show`: a player did not come, or left); I am queued again with my wait, and `match_found` "
            "follows when the queue matches me again."
        ),
        "liveops_changed": (
            "`{}`: what live operations show me changed (a flag, for every connected player); refetch "
            "`GET /api/liveops/` (its `ETag` with `If-None-Match` answers 304 when nothing I see moved)."
        ),
        "dm_received": (
            "`{from_user_id, from_user: {id, username, display_name, is_premium}, message_id}`: a DM arrived "
            "while I was not on that conversation's socket."
        ),
    }

    async def on_connect(self) -> None:
        self.signal_readers = hooks.signal_reader.answers()
        await self.join_group(user_group(self.user_id))
        # What every connected player hears: the hub subscribes this process once, not per user.
        await self.join_group(everyone_group())

    async def on_accepted(self) -> None:
        counts = await db.run(badge_counts, user_id=self.user_id)
        await self.send_frame(badge_frame(counts))

    async def on_signal(self, signal: str, data: dict) -> None:
        reader = self.signal_readers.get(signal)
        frame = reader(data) if reader is not None else None
        if frame is not None:
            await self.send_frame(frame)
