"""Who is muted, as every process sees it: the running mutes, read at most once a second, and
a "muted" answer checked against the database.

Every chat message asks ``muted_until`` (through ``gameplatform.chat.speech``), so the answer comes
from this process's memory: the running mutes (there are few) are a ``ProcessCopy`` read again
from the database when it is older than ``MUTES_REFRESH_SECONDS``. A mute imposed on any process
so holds on every process within that time, with no signal to miss; the process that imposed it
reads them again at once (``MUTES.expire``).

A lift must hold at once everywhere (staff lifted it: the player speaks again now), and the copy
of another process may be up to a second old. So when the copy says "muted", the answer is the
database's (``mute_end``): one indexed query for a muted player's message, none for anyone
else's. A mute that ended or was lifted never refuses a message, on any process.
"""

from datetime import datetime

from django.db.models import Max
from django.utils import timezone

from gameplatform.core.copies import ProcessCopy
from safety.models import Sanction

MUTES_REFRESH_SECONDS = 1.0


def _running():
    return Sanction.objects.filter(action=Sanction.Action.MUTE, lifted_at__isnull=True, ends_at__gt=timezone.now())


def running_mutes() -> dict[int, datetime]:
    """Each muted user's latest mute end."""
    running: dict[int, datetime] = {}
    for user_id, ends_at in _running().values_list("user_id", "ends_at"):
        if user_id not in running or ends_at > running[user_id]:
            running[user_id] = ends_at
    return running


MUTES: ProcessCopy[dict[int, datetime]] = ProcessCopy(running_mutes, empty={}, every=MUTES_REFRESH_SECONDS)


def mute_end(user_id: int) -> datetime | None:
    """The end of the user's latest running mute, as the database has it now."""
    return _running().filter(user_id=user_id).aggregate(end=Max("ends_at"))["end"]


def muted_until(user_id: int) -> datetime | None:
    until = MUTES.get().get(user_id)
    if until is None or until <= timezone.now():
        return None
    return mute_end(user_id)
