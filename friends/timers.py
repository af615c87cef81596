import logging

from friends.presence import announce_now
from gameplatform import presence
from gameplatform.timers import periodic

logger = logging.getLogger(__name__)


@periodic("friends.presence_sweep", every=1.0)
def presence_sweep() -> int:
    """Take offline the users whose only sockets sat on a process that stopped heartbeating.

    The sweep is one Lua script: of several runners, exactly one removes a given
    expired socket and announces the resulting offline change. Runs as a unit of
    database work: the announcements leave from the event loop after it.
    """
    changes = presence.sweep()
    if changes:
        try:
            announce_now(changes)
        except Exception:
            logger.exception("announcing presence of %s users failed", len(changes))
    return len(changes)
