from asgiref.sync import async_to_sync

from gameplatform import presence
from gameplatform.timers import periodic


@periodic("friends.presence_sweep", every=1.0)
def presence_sweep() -> int:
    """Take offline the users whose only sockets sat on a process that stopped heartbeating.

    The sweep is one Lua script: of several runners, exactly one removes a given
    expired socket and announces the resulting offline change.
    """
    changes = presence.sweep()
    if changes:
        async_to_sync(presence.announce)(changes)
    return len(changes)
