"""Telling accepted friends when a user comes online or goes offline.

``gameplatform.sockets.presence`` decides the transitions (once each, in Redis); this is
the announcer it calls for a user's presence anywhere (registered in
``FriendsConfig.ready``). The event travels as a ``presence`` signal on each
friend's user group, so both the friends status socket and the notification
socket of that friend turn it into a ``presence`` frame, dropping any that
arrives after a newer one (``version``).
"""

from friends.selectors import friend_ids_of
from friends.services import last_seen_record
from gameplatform.broadcast.groups import user_group
from gameplatform.broadcast.realtime import signal_on_commit
from gameplatform.sockets.presence import OFFLINE, Change


def announce(changes: list[Change]) -> None:
    """Record last-seen for those who went offline, then signal each changed user's friends."""
    last_seen_record(user_ids=[change.user_id for change in changes if change.status == OFFLINE])
    friends = friend_ids_of(user_ids=[change.user_id for change in changes])
    for change in changes:
        data = {"user_id": change.user_id, "status": change.status, "version": change.version}
        for fid in friends.get(change.user_id, ()):
            signal_on_commit(user_group(fid), "presence", **data)
