import pytest
import redis
from asgiref.sync import sync_to_async
from django.conf import settings

from conftest import requires_redis
from gameplatform.core.errors import RateLimited
from gameplatform.data import ratelimit
from gameplatform.data.ratelimit import Budget, LocalWindow, RedisWindow, describe


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


@requires_redis
async def test_a_budget_spent_on_the_event_loop_and_in_a_thread_is_one_window():
    budget = Budget("test:loop-and-thread", limit=3, window=2.0, what="frames")
    budget.reset("u1")
    await budget.aspend("u1")  # the loop's own Redis client
    await sync_to_async(budget.spend, thread_sensitive=False)("u1")  # the threads' client
    await budget.aspend("u1")
    with pytest.raises(RateLimited):
        await budget.aspend("u1")
    with pytest.raises(RateLimited):
        await sync_to_async(budget.spend, thread_sensitive=False)("u1")
    assert (await budget.ahit("u2")).remaining == 2  # another key, its own window


@pytest.mark.parametrize("window_kind", ["local", "redis"])
async def test_a_hit_counts_as_of_its_age(window_kind, settings):
    if window_kind == "local":
        settings.REDIS_URL = ""
    elif not settings.REDIS_URL:
        pytest.skip("needs Redis (set REDIS_URL)")
    budget = Budget(f"test:age:{window_kind}", limit=1, window=60.0, what="messages")
    budget.reset("u1")
    await budget.aspend("u1", age=59.0)  # a frame that waited 59 s for its turn
    refused = await budget.ahit("u1")
    assert not refused.allowed and 0 < refused.retry_after <= 1.0  # its minute ends in a second


def test_hits_have_distinct_members_so_a_burst_counts_every_hit():
    members = {ratelimit._member() for _ in range(1000)}
    assert len(members) == 1000


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


# --- Budget: the one type apps declare; on Redis when REDIS_URL is set, in process memory otherwise.


def _refusal(budget: Budget, *idents) -> RateLimited:
    for _ in range(budget.limit):
        budget.spend(*idents)
    with pytest.raises(RateLimited) as refused:
        budget.spend(*idents)
    return refused.value


def test_refusal_message_is_made_from_the_numbers(settings):
    budget = Budget(
        "test:chat", limit=3, window=2.0, what="messages", limit_setting="T_LIMIT", window_setting="T_WINDOW"
    )
    assert _refusal(budget, 1).message == "At most 3 messages per 2 seconds."

    settings.T_LIMIT, settings.T_WINDOW = 1, 60
    assert budget.message == "At most 1 message per minute."
    refused = _refusal(budget, 2)
    assert refused.message == "At most 1 message per minute." and refused.as_dict()["detail"] == refused.message

    settings.T_LIMIT, settings.T_WINDOW = 5, 0.5
    assert _refusal(budget, 3).message == "At most 5 messages per 0.5 seconds."


def test_describe_names_the_window_in_words():
    assert describe(60, 1.0, "frames") == "At most 60 frames per second."
    assert describe(10, 60.0, "invites") == "At most 10 invites per minute."
    assert describe(5, 300, "failed login attempts") == "At most 5 failed login attempts per 5 minutes."
    assert describe(2, 90, "writes") == "At most 2 writes per 90 seconds."
    assert describe(1, 7200, "requests") == "At most 1 request per 2 hours."


async def test_two_callers_of_one_key_share_the_budget():
    """A REST view (sync) and a socket (async) declaring the same budget spend one window."""
    rest = Budget("test:shared:user", limit=3, window=30.0, what="messages")
    socket = Budget("test:shared:user", limit=3, window=30.0, what="messages")
    await sync_to_async(rest.spend)(7)
    await socket.aspend(7)
    await sync_to_async(rest.spend)(7)
    with pytest.raises(RateLimited):
        await socket.aspend(7)
    with pytest.raises(RateLimited):
        await sync_to_async(rest.spend)(7)
    assert not (await socket.ahit(7)).allowed  # the non-raising form sees the same window
    assert (await socket.aspend(8)).remaining == 2  # another user's budget is untouched
    if settings.REDIS_URL:  # and another process (its own Redis client) sees the same window
        other_process = RedisWindow(redis.Redis.from_url(settings.REDIS_URL))
        assert not other_process.hit(rest.key(7), 3, 30.0).allowed
        assert other_process.hit(rest.key(8), 3, 30.0).remaining == 1


def test_keys_keep_their_names():
    assert Budget("chat:lobby:user", limit=3, window=2.0).key(7) == "chat:lobby:user:7"
    assert Budget("game", limit=60, window=1.0).key(3, 7) == "game:3:7"


def test_refusal_carries_retry_after_and_spends_nothing():
    budget = Budget("test:retry", limit=2, window=2.0, what="messages")
    refused = _refusal(budget, "alice")
    assert refused.code == "rate_limited" and refused.status_code == 429
    assert 0 < refused.retry_after <= 2.0
    assert refused.as_dict()["retry_after"] == refused.retry_after
    assert not budget.hit("alice").allowed  # the refused spend took nothing, the window is still full
    with pytest.raises(RateLimited) as checked:
        budget.check("alice")
    assert 0 < checked.value.retry_after <= 2.0
    budget.reset("alice")
    assert budget.check("alice").allowed and budget.spend("alice").remaining == 1
