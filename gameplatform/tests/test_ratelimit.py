import pytest
import redis
from django.conf import settings

from conftest import requires_redis
from gameplatform import ratelimit
from gameplatform.ratelimit import LocalWindow, RedisWindow


@requires_redis
def test_budget_is_shared_between_two_redis_clients():
    first = RedisWindow(redis.Redis.from_url(settings.REDIS_URL))
    second = RedisWindow(redis.Redis.from_url(settings.REDIS_URL))
    results = [
        first.hit("chat:7", 3, 2.0).allowed,
        second.hit("chat:7", 3, 2.0).allowed,
        first.hit("chat:7", 3, 2.0).allowed,
        second.hit("chat:7", 3, 2.0).allowed,
    ]
    assert results == [True, True, True, False]
    refused = first.hit("chat:7", 3, 2.0)
    assert not refused.allowed and 0 < refused.retry_after <= 2.0


@pytest.mark.parametrize("window_kind", ["local", "redis"])
def test_window_slides_and_peek_spends_nothing(window_kind):
    if window_kind == "redis" and not settings.REDIS_URL:
        pytest.skip("needs Redis (set REDIS_URL)")
    window = LocalWindow() if window_kind == "local" else RedisWindow()
    assert window.hit("k", 2, 0.3, 0).allowed  # a peek
    assert window.hit("k", 2, 0.3).allowed
    assert window.hit("k", 2, 0.3).allowed
    assert not window.hit("k", 2, 0.3, 0).allowed
    assert not window.hit("k", 2, 0.3).allowed
    import time

    time.sleep(0.35)
    assert window.hit("k", 2, 0.3).allowed


def test_module_functions_use_the_configured_store():
    assert ratelimit.hit("x", limit=1, window=5).allowed
    assert not ratelimit.hit("x", limit=1, window=5).allowed
    ratelimit.reset("x")
    assert ratelimit.hit("x", limit=1, window=5).allowed
