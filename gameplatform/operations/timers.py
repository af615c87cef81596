"""Background timers: the periodic jobs of the apps (invite expiry, the presence sweep, ...).

Apps register periodic jobs in a ``timers.py`` module (found through
``PROJECT_APPS``; the kit's own presence sweep is in ``gameplatform.sockets.presence``)::

    @periodic("invites.expire", every=0.25)
    def expire_due_invites() -> int: ...

Every server process can run the jobs itself (``RUN_TIMERS_IN_SERVER``, on by
default; with Redis one at a time does, see the lease below): the loop starts with
the first request or socket the process handles, or at ASGI lifespan start-up under
servers that send it (uvicorn; daphne does not). This matters for the embedded
setup, where the in-memory channel layer cannot carry a timer's event from another
process to the server's sockets. ``python manage.py run_timers`` runs the same jobs
in a process of their own, for deployments that set ``RUN_TIMERS_IN_SERVER=0``, and
prints their names as it starts (docs/concepts.md, "Background timers", names each
with the page that describes it).

Any number of runners may run at once: each job must make its effect exactly once
itself, with a conditional update (``filter(pk=..., status="pending").update(...)
== 1``) or an atomic Redis operation, so whichever runner gets there first acts
and the others find nothing to do. Tests call the job functions directly.

With Redis, the runners share a lease (``TimerLease``): only its holder runs the
rounds, so N server processes do the timers' database work once, not N times. The
holder renews it every round; when it stops (its process died) another runner takes
it over within ``TIMER_LEASE_SECONDS``. Without Redis (one process) or while Redis
is unreachable, every runner runs the rounds, which the rule above makes safe.
"""

import asyncio
import logging
import time
import uuid
import weakref
from collections.abc import Callable
from importlib import import_module
from importlib.util import find_spec

from django.conf import settings

from gameplatform.core import metrics
from gameplatform.core.jobs import JOBS, Job, periodic
from gameplatform.data import db
from gameplatform.data.redis import get_async_redis, get_redis, redis_enabled

__all__ = ["JOBS", "Job", "TimerLease", "discover", "periodic", "run_due", "run_forever", "start_in_server"]

logger = logging.getLogger(__name__)


def discover() -> dict[str, Job]:
    import_module("gameplatform.sockets.presence")  # the kit's own job: the presence sweep
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
            started, failed = time.perf_counter(), False
            try:
                job.func()
            except Exception:
                failed = True
                logger.exception("timer job %s failed", job.name)
            metrics.timer_ran(job.name, time.perf_counter() - started, failed)
    if not JOBS:
        return 1.0
    return max(0.0, min(job.next_run for job in JOBS.values()) - time.monotonic())


# KEYS[1] the lease; ARGV: this runner's id, milliseconds. 1 if this runner holds it now.
_TAKE_OR_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""
LEASE_KEY = "timers:lease"


def lease_key() -> str:
    """One lease per database: the rounds' work is that database's (deployments, or test
    servers, with databases of their own may share a Redis)."""
    return f"{LEASE_KEY}:{settings.DATABASES['default']['NAME']}"


class TimerLease:
    """Which runner runs the timer rounds: the one holding this Redis key."""

    def __init__(self, client=None, async_client=None) -> None:
        self.owner = uuid.uuid4().hex
        self._client, self._async_client = client, async_client
        self.unreachable = False  # the last try failed: said once per outage, not every round

    @staticmethod
    def seconds() -> float:
        return float(getattr(settings, "TIMER_LEASE_SECONDS", 3.0))

    def _args(self) -> list:
        return [self.owner, int(self.seconds() * 1000)]

    def _answered(self, held) -> bool:
        if self.unreachable:
            logger.info("timer lease reachable again")
            self.unreachable = False
        return bool(held)

    def _failed(self, exc: Exception) -> bool:
        # No lease service: run the round, as every runner may (the jobs act once by themselves).
        if not self.unreachable:
            logger.warning("timer lease not checked, every runner runs the rounds until Redis is back: %r", exc)
            self.unreachable = True
        return True

    def held(self) -> bool:
        """Take or renew the lease (a thread's Redis client); True without Redis or when it is unreachable."""
        if self._client is None and not redis_enabled():
            return True
        try:
            client = self._client or get_redis()
            return self._answered(client.eval(_TAKE_OR_RENEW, 1, lease_key(), *self._args()))
        except Exception as exc:  # noqa: BLE001 - see _failed
            return self._failed(exc)

    async def aheld(self) -> bool:
        """``held`` on the event loop's own Redis client."""
        if self._async_client is None and not redis_enabled():
            return True
        try:
            client = self._async_client or get_async_redis()
            return self._answered(await client.eval(_TAKE_OR_RENEW, 1, lease_key(), *self._args()))
        except Exception as exc:  # noqa: BLE001 - see _failed
            return self._failed(exc)


def run_forever(should_stop: Callable[[], bool] = lambda: False) -> None:
    discover()
    lease = TimerLease()
    logger.info("timers running", extra={"jobs": sorted(JOBS)})
    while not should_stop():
        if not lease.held():
            time.sleep(lease.seconds() / 3)
            continue
        try:
            delay = run_due()
        finally:
            db.close_connections()  # as a unit of work does: nothing kept between rounds
        time.sleep(min(delay, 0.5))


_serving: "weakref.WeakSet[asyncio.AbstractEventLoop]" = weakref.WeakSet()


def start_in_server() -> None:
    """Run the jobs in this server process's event loop (once per loop)."""
    loop = asyncio.get_running_loop()
    if loop in _serving:
        return
    _serving.add(loop)
    discover()
    loop.create_task(_serve_forever())


async def _serve_forever() -> None:
    # Jobs do blocking database work: each round is a unit of work on the process's
    # database workers (never on the loop), which gives its connection back after.
    # The lease is checked on the loop first: a process that does not hold it sends
    # no unit to its workers at all.
    lease = TimerLease()
    while True:
        if not await lease.aheld():
            await asyncio.sleep(lease.seconds() / 3)
            continue
        try:
            delay = await db.run_always(run_due)
        except Exception:
            logger.exception("timer round failed")
            delay = 1.0
        await asyncio.sleep(min(delay, 0.5))
