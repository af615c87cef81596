"""Who is muted, as every process sees it: the running mutes, read at most once a second.

Every chat message asks ``muted_until`` (through ``gameplatform.chat.speech``), so the answer comes
from this process's memory: the running mutes (there are few) are a ``ProcessCopy`` read again
from the database when it is older than ``MUTES_REFRESH_SECONDS``. A mute imposed or lifted on
any process so holds on every process within that time, with no signal to miss; the process that
imposed it reads them again at once (``MUTES.expire``).
"""

from datetime import datetime

from django.utils import timezone

from gameplatform.core.copies import ProcessCopy
from safety.models import Sanction

MUTES_REFRESH_SECONDS = 1.0


def running_mutes() -> dict[int, datetime]:
    """Each muted user's latest mute end."""
    running: dict[int, datetime] = {}
    rows = Sanction.objects.filter(
        action=Sanction.Action.MUTE, lifted_at__isnull=True, ends_at__gt=timezone.now()
    ).values_list("user_id", "ends_at")
    for user_id, ends_at in rows:
        if user_id not in running or ends_at > running[user_id]:
            running[user_id] = ends_at
    return running


MUTES: ProcessCopy[dict[int, datetime]] = ProcessCopy(running_mutes, empty={}, every=MUTES_REFRESH_SECONDS)


def muted_until(user_id: int) -> datetime | None:
    until = MUTES.get().get(user_id)
    return until if until is not None and until > timezone.now() else None
