"""Who is muted, as every process sees it: the running mutes, read at most once a second.

Every chat message asks ``muted_until`` (through ``gameplatform.speech``), so the answer comes
from this process's memory: the running mutes (there are few) are read again from the database
when the copy is older than ``MUTES_REFRESH_SECONDS``. A mute imposed or lifted on any process
so holds on every process within that time, with no signal to miss; the process that imposed it
reads them again at once (``forget``).
"""

import threading
import time
from datetime import datetime

from django.utils import timezone

from safety.models import Sanction

MUTES_REFRESH_SECONDS = 1.0


class Mutes:
    def __init__(self) -> None:
        self.until: dict[int, datetime] = {}
        self.read_at = float("-inf")
        self.lock = threading.Lock()

    def muted_until(self, user_id: int) -> datetime | None:
        if time.monotonic() - self.read_at >= MUTES_REFRESH_SECONDS:
            self.refresh()
        until = self.until.get(user_id)
        return until if until is not None and until > timezone.now() else None

    def refresh(self) -> None:
        with self.lock:
            if time.monotonic() - self.read_at < MUTES_REFRESH_SECONDS:
                return  # another thread read them meanwhile
            running: dict[int, datetime] = {}
            rows = Sanction.objects.filter(
                action=Sanction.Action.MUTE, lifted_at__isnull=True, ends_at__gt=timezone.now()
            ).values_list("user_id", "ends_at")
            for user_id, ends_at in rows:
                if user_id not in running or ends_at > running[user_id]:
                    running[user_id] = ends_at
            self.until = running
            self.read_at = time.monotonic()

    def forget(self) -> None:
        """Read them again on the next question (a mute changed on this process)."""
        self.read_at = float("-inf")


MUTES = Mutes()


def muted_until(user_id: int) -> datetime | None:
    return MUTES.muted_until(user_id)
