"""A sliding-window rate limiter on the shared store.

One budget per key, whoever spends it: a DRF throttle, a consumer, a service,
on any server process. With ``REDIS_URL`` the window is a Redis sorted set
changed by one Lua script (atomic, and timed by the Redis server's clock so
processes with skewed clocks agree); without it, a process-local window for the
embedded single-process setup.

    decision = hit("chat:user:7", limit=3, window=2.0)
    if not decision.allowed:
        raise RateLimited(decision.retry_after)
"""

import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from rest_framework.throttling import BaseThrottle

from gameplatform.redis import get_redis, redis_enabled

KEY_PREFIX = "rl:"

# KEYS[1] the window; ARGV: limit, window in microseconds, a unique member, cost (0 = peek).
_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
if used + math.max(cost, 1) <= limit then
  for i = 1, cost do
    redis.call('ZADD', KEYS[1], now, ARGV[3] .. ':' .. i)
  end
  if cost > 0 then redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1) end
  return {1, limit - used - cost, 0}
end
local retry = 0
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then retry = tonumber(oldest[2]) + window - now end
return {0, limit - used, retry}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after: float  # seconds until one more unit fits


class RedisWindow:
    def __init__(self, client=None) -> None:
        self.client = client or get_redis()
        self.script = self.client.register_script(_SLIDING_WINDOW)

    def hit(self, key: str, limit: int, window: float, cost: int = 1) -> Decision:
        allowed, remaining, retry_us = self.script(
            keys=[KEY_PREFIX + key],
            args=[limit, int(window * 1_000_000), uuid.uuid4().hex, cost],
        )
        return Decision(bool(allowed), max(int(remaining), 0), int(retry_us) / 1_000_000)

    def reset(self, key: str) -> None:
        self.client.delete(KEY_PREFIX + key)


class LocalWindow:
    """The embedded default: correct within one process only."""

    def __init__(self) -> None:
        self.hits: dict[str, deque] = defaultdict(deque)
        self.lock = threading.Lock()

    def hit(self, key: str, limit: int, window: float, cost: int = 1) -> Decision:
        now = time.monotonic()
        with self.lock:
            hits = self.hits[key]
            while hits and hits[0] <= now - window:
                hits.popleft()
            used = len(hits)
            if used + max(cost, 1) <= limit:
                hits.extend([now] * cost)
                return Decision(True, limit - used - cost, 0.0)
            retry = hits[0] + window - now if hits else 0.0
            return Decision(False, limit - used, retry)

    def reset(self, key: str) -> None:
        with self.lock:
            self.hits.pop(key, None)


_local = LocalWindow()
_redis_window: RedisWindow | None = None


def _window():
    global _redis_window
    if not redis_enabled():
        return _local
    if _redis_window is None:
        _redis_window = RedisWindow()
    return _redis_window


def hit(key: str, *, limit: int, window: float, cost: int = 1) -> Decision:
    """Spend ``cost`` units of the budget ``limit`` per ``window`` seconds, if they fit."""
    return _window().hit(key, limit, window, cost)


def peek(key: str, *, limit: int, window: float) -> Decision:
    """Whether one more unit would fit, spending nothing."""
    return _window().hit(key, limit, window, 0)


def reset(key: str) -> None:
    _window().reset(key)


ahit = sync_to_async(hit, thread_sensitive=False)


@dataclass(frozen=True)
class Rate:
    limit: int
    window: float


class SlidingWindowThrottle(BaseThrottle):
    """A DRF throttle over the shared window: subclass with ``scope`` and ``rate``.

    The key is the user for authenticated requests and the address otherwise,
    so the same budget can be spent from a consumer with ``hit(key_for(...))``.
    """

    scope = "default"
    rate = Rate(limit=60, window=60.0)

    @classmethod
    def key_for(cls, ident: str | int) -> str:
        return f"{cls.scope}:{ident}"

    def allow_request(self, request, view) -> bool:
        user = getattr(request, "user", None)
        ident = f"user:{user.pk}" if user is not None and user.is_authenticated else f"ip:{self.get_ident(request)}"
        self.decision = hit(self.key_for(ident), limit=self.rate.limit, window=self.rate.window)
        return self.decision.allowed

    def wait(self) -> float:
        return self.decision.retry_after
