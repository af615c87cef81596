"""Telling accepted friends when a user comes online or goes offline.

``gameplatform.presence`` decides the transitions (once each, in Redis); this is
the announcer it calls for each one (registered in ``FriendsConfig.ready``). The
event travels as a ``presence`` signal on each friend's user group, so both the
friends status socket and the notification socket of that friend turn it into a
``presence`` frame, dropping any that arrives after a newer one (``version``).
"""

import asyncio

from friends.selectors import friend_ids_of
from friends.services import last_seen_record
from gameplatform import db
from gameplatform.groups import user_group
from gameplatform.presence import OFFLINE, Change
from gameplatform.realtime import agroup_signal, signal_on_commit


def _record_and_list_friends(changes: list[Change]) -> dict[int, list[int]]:
    """Record last-seen for those who went offline; each changed user's friends."""
    last_seen_record(user_ids=[change.user_id for change in changes if change.status == OFFLINE])
    return friend_ids_of(user_ids=[change.user_id for change in changes])


def _data(change: Change) -> dict:
    return {"user_id": change.user_id, "status": change.status, "version": change.version}


def announce_now(changes: list[Change]) -> None:
    """``announce`` for sync code (the sweep timer's unit of work): the signals go out after commit."""
    friends = _record_and_list_friends(changes)
    for change in changes:
        for fid in friends.get(change.user_id, ()):
            signal_on_commit(user_group(fid), "presence", **_data(change))


async def announce(changes: list[Change], layer=None) -> None:
    friends = await db.run_always(_record_and_list_friends, changes)
    await asyncio.gather(
        *(
            agroup_signal(user_group(fid), "presence", layer=layer, **_data(change))
            for change in changes
            for fid in friends.get(change.user_id, ())
        )
    )
