"""Background timers: invite expiry, reconnect grace, presence expiry.

Apps register periodic jobs in a ``timers.py`` module (found through
``PROJECT_APPS``)::

    @periodic("invites.expire", every=0.25)
    def expire_due_invites() -> int: ...

``python manage.py run_timers`` runs every job on its interval; ``make run``
and docker-compose start it beside the servers. Any number of runners may run
at once (two for availability, say): each job must make its effect exactly once
itself, with a conditional update (``filter(pk=..., status="pending").update(...)
== 1``) or an atomic Redis operation, so whichever runner gets there first acts
and the others find nothing to do. Tests call the job functions directly.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    every: float
    func: Callable[[], object]
    next_run: float = 0.0


JOBS: dict[str, Job] = {}


def periodic(name: str, *, every: float):
    def register(func):
        JOBS[name] = Job(name=name, every=every, func=func)
        return func

    return register


def discover() -> dict[str, Job]:
    for app in settings.PROJECT_APPS:
        if find_spec(f"{app}.timers") is not None:
            import_module(f"{app}.timers")
    return JOBS


def run_due(now: float | None = None) -> float:
    """Run the jobs that are due; return the seconds until the next one is."""
    now = time.monotonic() if now is None else now
    for job in JOBS.values():
        if job.next_run <= now:
            job.next_run = now + job.every
            close_old_connections()
            try:
                job.func()
            except Exception:
                logger.exception("timer job %s failed", job.name)
    if not JOBS:
        return 1.0
    return max(0.0, min(job.next_run for job in JOBS.values()) - time.monotonic())


def run_forever(should_stop: Callable[[], bool] = lambda: False) -> None:
    discover()
    logger.info("timers running", extra={"jobs": sorted(JOBS)})
    while not should_stop():
        time.sleep(min(run_due(), 0.5))
