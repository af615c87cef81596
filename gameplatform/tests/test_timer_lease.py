"""With Redis one timer runner at a time runs the rounds; another takes over when it stops."""

import time

import pytest
import redis
import redis.asyncio
from django.conf import settings

from conftest import requires_redis
from gameplatform.operations.timers import TimerLease, lease_key


@pytest.fixture
def lease_key_cleared():
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(lease_key())
    yield
    client.delete(lease_key())


@requires_redis
def test_one_runner_holds_the_lease_and_another_takes_over_when_it_stops_renewing(settings, lease_key_cleared):
    settings.TIMER_LEASE_SECONDS = 0.5
    # Two runners as two processes would have them: each with its own Redis client.
    first = TimerLease(client=redis.Redis.from_url(settings.REDIS_URL))
    second = TimerLease(client=redis.Redis.from_url(settings.REDIS_URL))
    assert first.held() and not second.held()
    for _ in range(4):  # renewing keeps it past its length
        time.sleep(0.2)
        assert first.held() and not second.held()
    time.sleep(0.6)  # the first runner stopped (its process died)
    assert second.held() and not first.held()


@requires_redis
async def test_a_runner_on_the_event_loop_shares_the_lease_with_a_thread_runner(lease_key_cleared):
    on_loop = TimerLease(async_client=redis.asyncio.Redis.from_url(settings.REDIS_URL))
    in_thread = TimerLease(client=redis.Redis.from_url(settings.REDIS_URL))
    assert await on_loop.aheld()
    assert not in_thread.held()
    assert await on_loop.aheld()


async def test_without_a_reachable_redis_every_runner_runs_the_rounds_and_says_so_once(caplog):
    # Nothing listens on port 1: the lease cannot be asked, so the round runs (jobs are idempotent).
    unreachable = "redis://127.0.0.1:1/0"
    in_thread = TimerLease(client=redis.Redis.from_url(unreachable, socket_connect_timeout=0.5))
    on_loop = TimerLease(async_client=redis.asyncio.Redis.from_url(unreachable, socket_connect_timeout=0.5))
    with caplog.at_level("WARNING", logger="gameplatform.operations.timers"):
        assert all(in_thread.held() for _ in range(3))
        assert all([await on_loop.aheld() for _ in range(3)])
    # One warning per runner for the outage, not one per round (rounds run twice a second).
    assert len([r for r in caplog.records if r.levelname == "WARNING"]) == 2
