"""A sliding-window rate limiter on the shared store.

One budget per key, whoever spends it: a DRF throttle, a consumer, a service,
on any server process. With ``REDIS_URL`` the window is a Redis sorted set
changed by one Lua script (atomic, and timed by the Redis server's clock so
processes with skewed clocks agree); without it, a process-local window for the
embedded single-process setup.

Apps declare a ``Budget`` once and spend it wherever the action happens; a
refusal is ``RateLimited`` with ``retry_after`` and a message made from the
budget's own numbers, so the text cannot drift from the rule:

    CHAT_RATE = Budget("chat:lobby:user", limit=3, window=2.0, what="messages")
    CHAT_RATE.spend(user.pk)  # or ``await CHAT_RATE.aspend(user_id)`` on the event loop
    # -> RateLimited(retry_after, "At most 3 messages per 2 seconds.")

``hit``/``peek``/``reset`` below are the raw window, for callers that decide for themselves.
``FrameBudget`` is the other kind: a budget of one socket in one process (its frames), kept in
two numbers on the socket and checked with no I/O, for a rule that runs on every frame.
"""

import itertools
import math
import os
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from gameplatform.broadcast.hub import Publish
from gameplatform.core import metrics
from gameplatform.core.errors import RateLimited
from gameplatform.core.loops import per_loop
from gameplatform.data.redis import get_async_redis, get_redis, redis_enabled

KEY_PREFIX = "rl:"

# KEYS[1] the window; ARGV: limit, window in microseconds, a unique member, cost (0 = peek),
# and optionally: how long ago the hit happened in microseconds (it counts as of then: a frame
# that waited for its turn is counted when it arrived), then a pub/sub channel and a message
# published there when the hit is allowed (the spend and the broadcast in one round trip).
_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[4])
local at = now - tonumber(ARGV[5] or '0')
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', at - window)
local used = redis.call('ZCARD', KEYS[1])
if used + math.max(cost, 1) <= limit then
  for i = 1, cost do
    redis.call('ZADD', KEYS[1], at, ARGV[3] .. ':' .. i)
  end
  if cost > 0 then redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1) end
  if ARGV[6] then redis.call('PUBLISH', ARGV[6], ARGV[7]) end
  return {1, limit - used - cost, 0}
end
local retry = 0
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then retry = math.max(tonumber(oldest[2]) + window - now, 0) end
return {0, limit - used, retry}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after: float  # seconds until one more unit fits


_member_pid = 0
_member_prefix = ""
_member_counter = itertools.count()


def _member() -> str:
    """A name for one hit, unique across processes: a random prefix per process and a counter
    (``uuid4`` per hit read the system's random source on every frame)."""
    global _member_pid, _member_prefix
    if _member_pid != os.getpid():  # a forked child takes a prefix of its own
        _member_pid, _member_prefix = os.getpid(), uuid.uuid4().hex[:16]
    return f"{_member_prefix}{next(_member_counter)}"


def _decision(reply) -> Decision:
    allowed, remaining, retry_us = reply
    return Decision(bool(allowed), max(int(remaining), 0), int(retry_us) / 1_000_000)


class RedisWindow:
    def __init__(self, client=None) -> None:
        self.client = client or get_redis()
        self.script = self.client.register_script(_SLIDING_WINDOW)

    def hit(self, key: str, limit: int, window: float, cost: int = 1) -> Decision:
        return _decision(self.script(keys=[KEY_PREFIX + key], args=[limit, int(window * 1_000_000), _member(), cost]))

    def reset(self, key: str) -> None:
        self.client.delete(KEY_PREFIX + key)


class LocalWindow:
    """The embedded default: correct within one process only."""

    def __init__(self) -> None:
        self.hits: dict[str, deque] = defaultdict(deque)
        self.lock = threading.Lock()

    def hit(self, key: str, limit: int, window: float, cost: int = 1, age: float = 0.0) -> Decision:
        now = time.monotonic()
        at = now - age
        with self.lock:
            hits = self.hits[key]
            while hits and hits[0] <= at - window:
                hits.popleft()
            used = len(hits)
            if used + max(cost, 1) <= limit:
                hits.extend([at] * cost)
                return Decision(True, limit - used - cost, 0.0)
            retry = max(hits[0] + window - now, 0.0) if hits else 0.0
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


class AsyncRedisWindow:
    """The same window for the event loop: the script runs on the loop's own Redis client."""

    def __init__(self) -> None:
        self.client = self.script = None

    async def hit(
        self, key: str, limit: int, window: float, cost: int = 1, age: float = 0.0, publish: Publish | None = None
    ) -> Decision:
        client = get_async_redis()
        if client is not self.client:  # the first hit, or after ``reset_redis``
            self.client, self.script = client, client.register_script(_SLIDING_WINDOW)
        args = [limit, int(window * 1_000_000), _member(), cost]
        if age > 0 or publish is not None:
            args.append(max(int(age * 1_000_000), 0))
        if publish is not None:
            args += [publish.channel, publish.data]
        return _decision(await self.script(keys=[KEY_PREFIX + key], args=args))


_async_window = per_loop(AsyncRedisWindow)


async def ahit(key: str, *, limit: int, window: float, cost: int = 1, age: float = 0.0, publish=None) -> Decision:
    """``hit`` from the event loop: one Redis round trip on the loop, no worker thread.

    ``age``: the hit happened that many seconds ago and counts as of then. ``publish``: a
    ``Publish`` sent, when the hit is allowed, in the same round trip (Redis only: without it
    there is no pub/sub, and the caller sends its message itself)."""
    if not redis_enabled():
        return _local.hit(key, limit, window, cost, age)  # in memory, no I/O
    return await _async_window().hit(key, limit, window, cost, age, publish)


def _units(count: int, what: str) -> str:
    one = what[:-1] if what.endswith("s") else what
    return f"{count} {one if count == 1 else what}"


def describe_window(seconds: float) -> str:
    """``1.0`` -> "second", ``2.0`` -> "2 seconds", ``60`` -> "minute", ``0.5`` -> "0.5 seconds"."""
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size and float(seconds) % size == 0:
            count = int(seconds // size)
            return unit if count == 1 else f"{count} {unit}s"
    return f"{seconds:g} seconds"


def describe(limit: int, window: float, what: str = "requests") -> str:
    """The refusal text of a budget: "At most 3 messages per 2 seconds."."""
    return f"At most {_units(limit, what)} per {describe_window(window)}."


class Budget:
    """At most ``limit`` units per ``window`` seconds per key, on the shared window.

    ``name`` is the key prefix: ``budget.key(7)`` is ``"<name>:7"`` and
    ``budget.key(3, 7)`` is ``"<name>:3:7"``; every caller spending the same key, on
    any process, spends one budget. ``what`` names the units (plural) in the
    refusal message. ``limit_setting``/``window_setting`` name Django settings
    read at each call that, when defined, replace ``limit``/``window`` (so tests
    and deployments can change them without touching code).
    """

    def __init__(
        self,
        name: str,
        *,
        limit: int,
        window: float,
        what: str = "requests",
        limit_setting: str | None = None,
        window_setting: str | None = None,
    ) -> None:
        self.name = name
        self.default_limit = limit
        self.default_window = window
        self.what = what
        self.limit_setting = limit_setting
        self.window_setting = window_setting

    def __repr__(self) -> str:
        return f"Budget({self.name!r}, limit={self.limit}, window={self.window}, what={self.what!r})"

    @property
    def limit(self) -> int:
        if self.limit_setting is None:
            return self.default_limit
        return int(getattr(settings, self.limit_setting, self.default_limit))

    @property
    def window(self) -> float:
        if self.window_setting is None:
            return self.default_window
        return float(getattr(settings, self.window_setting, self.default_window))

    @property
    def message(self) -> str:
        """The refusal text, from the numbers in force now."""
        return describe(self.limit, self.window, self.what)

    def key(self, *idents) -> str:
        return ":".join([self.name, *(str(ident) for ident in idents)])

    def hit(self, *idents, cost: int = 1) -> Decision:
        """Spend ``cost`` units if they fit; the decision either way, nothing raised."""
        return hit(self.key(*idents), limit=self.limit, window=self.window, cost=cost)

    async def ahit(self, *idents, cost: int = 1) -> Decision:
        """``hit`` from the event loop."""
        return await ahit(self.key(*idents), limit=self.limit, window=self.window, cost=cost)

    def spend(self, *idents, cost: int = 1) -> Decision:
        """Spend ``cost`` units, or raise ``RateLimited`` (nothing spent) when they do not fit."""
        limit, window = self.limit, self.window
        return self._require(hit(self.key(*idents), limit=limit, window=window, cost=cost), limit, window)

    async def aspend(self, *idents, cost: int = 1, age: float = 0.0, publish: Publish | None = None) -> Decision:
        """``spend`` from the event loop; ``age`` and ``publish`` as ``ahit`` takes them (nothing
        is published when the budget refuses)."""
        limit, window = self.limit, self.window
        decision = await ahit(self.key(*idents), limit=limit, window=window, cost=cost, age=age, publish=publish)
        return self._require(decision, limit, window)

    def check(self, *idents) -> Decision:
        """Raise ``RateLimited`` if the budget is used up, spending nothing."""
        limit, window = self.limit, self.window
        return self._require(peek(self.key(*idents), limit=limit, window=window), limit, window)

    def reset(self, *idents) -> None:
        reset(self.key(*idents))

    def refusal(self, retry_after: float) -> RateLimited:
        """The budget's refusal, counted: for a caller that knows, without asking the store,
        that the budget is used up (a socket's own messages fill it)."""
        metrics.rate_limited(self.name)
        return RateLimited(retry_after, self.message)

    def _require(self, decision: Decision, limit: int, window: float) -> Decision:
        if not decision.allowed:
            metrics.rate_limited(self.name)
            raise RateLimited(decision.retry_after, describe(limit, window, self.what))
        return decision


class FrameBudget:
    """At most ``limit`` units at once and ``limit`` per ``window`` seconds on average, for one owner.

    A token bucket: it holds ``limit`` units (at least one), each ``spend`` takes one, and it
    refills continuously at ``limit / window`` units per second. So a burst of ``limit`` units
    passes, a steady stream passes while it stays under ``limit / window`` per second, and
    anything faster runs out; a budget of less than one unit a window still holds one, so it is
    slow, never shut. Two floats and no lock: for a socket's frames (the flood rule, a mode's
    ``input_rate``), on its own event loop, where a shared window (a Redis round trip per frame)
    would cost more than the frame. ``now`` is the caller's monotonic clock (``time.monotonic()``),
    so tests can pass their own.
    """

    __slots__ = ("limit", "rate", "tokens", "last")

    def __init__(self, limit: float, window: float, *, now: float | None = None) -> None:
        self.limit = max(float(limit), 1.0)
        self.rate = limit / window
        self.tokens = self.limit
        self.last = time.monotonic() if now is None else now

    def _at(self, now: float) -> float:
        return min(self.limit, self.tokens + (now - self.last) * self.rate)

    def spend(self, now: float) -> bool:
        """Take one unit if there is one; False (nothing taken) when the budget ran out."""
        tokens = self._at(now)
        self.last = now
        if tokens < 1.0:
            self.tokens = tokens
            return False
        self.tokens = tokens - 1.0
        return True

    def wait(self, now: float) -> float:
        """Seconds until a unit is there (0 when one is), rounded up to the millisecond, so that a
        client told to wait this long finds a whole unit. (Rounded to the nearest, it could be a
        hair short: refused again, and again, until the refusals closed the socket as a flood; two
        bots playing battleship did so. The millionth of a millisecond keeps a float sum's last
        bit from undoing the rounding.)"""
        missing = 1.0 - self._at(now)
        return 0.0 if missing <= 0 else math.ceil(missing / self.rate * 1000 + 1e-6) / 1000


class SlidingWindowThrottle(BaseThrottle):
    """A DRF throttle over the shared window: subclass with a ``budget``.

    The key is the budget's name and then the user for authenticated requests, the
    address otherwise (``friend_request:user:7``), so a consumer can spend the same
    budget with ``budget.spend("user", user_id)``. A refusal is the budget's
    ``RateLimited`` (429 ``rate_limited`` with ``retry_after`` and its message).
    """

    budget = Budget("default", limit=60, window=60.0)

    def allow_request(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self.budget.spend("user", user.pk)
        else:
            self.budget.spend("ip", self.get_ident(request))
        return True
