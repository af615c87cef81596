"""Telling accepted friends when a user comes online or goes offline.

``gameplatform.presence`` decides the transitions (once each, in Redis); this is
the announcer it calls for each one (registered in ``FriendsConfig.ready``). The
event travels as a ``presence`` signal on each friend's user group, so both the
friends status socket and the notification socket of that friend turn it into a
``presence`` frame, dropping any that arrives after a newer one (``version``).
"""

import asyncio

from friends.selectors import friend_ids
from friends.services import last_seen_record
from gameplatform import db
from gameplatform.groups import user_group
from gameplatform.presence import OFFLINE, Change
from gameplatform.realtime import agroup_signal


def _record_and_list_friends(change: Change) -> list[int]:
    if change.status == OFFLINE:
        last_seen_record(user_id=change.user_id)
    return friend_ids(user_id=change.user_id)


async def announce(change: Change, layer=None) -> None:
    friends = await db.run(_record_and_list_friends, change)
    data = {"user_id": change.user_id, "status": change.status, "version": change.version}
    await asyncio.gather(*(agroup_signal(user_group(fid), "presence", layer=layer, **data) for fid in friends))
