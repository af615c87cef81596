"""Who is online in a lobby: users with at least one open lobby socket, on any server process.

With Redis, each lobby has two kinds of sorted sets, changed only by Lua scripts
(so "first socket opened" and "last socket closed" are decided exactly once even
when two processes open or close sockets of one user at the same moment):

- ``lp:{lobby}:c:{user}``: the user's connection ids, scored by their expiry (ms, Redis clock);
- ``lp:{lobby}:u``: the online users, scored by the latest expiry of their connections.

A connection lives ``PRESENCE_TTL_SECONDS`` unless its socket refreshes it (the
consumer does every third of that). A process that crashes leaves connections
that simply expire: they drop out of ``online()`` at once, and the next sweep,
which every live socket of the lobby runs on its heartbeat, removes them and
reports their users exactly once, so a ``presence_leave`` goes out at most
TTL + TTL/3 seconds after the crash.

Without Redis (the embedded single-process setup) the same functions keep a
process-local table: a crash takes the whole service with it, so nothing expires.
"""

import threading
from collections import defaultdict

from asgiref.sync import sync_to_async
from django.conf import settings

from gameplatform.redis import get_redis, redis_enabled

PREFIX = "lp:"

_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

# KEYS: users, conns. ARGV: user, conn, ttl ms. Returns 1 when the user had no live connection before.
_OPEN = (
    _NOW
    + """
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local before = redis.call('ZCARD', KEYS[2])
redis.call('ZADD', KEYS[2], now + ttl, ARGV[2])
redis.call('ZADD', KEYS[1], 'GT', now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[2], ttl * 2)
redis.call('PEXPIRE', KEYS[1], ttl * 2)
if before == 0 then return 1 end
return 0
"""
)

# KEYS: users, conns. ARGV: user, conn. Returns 1 when this was the user's last live connection.
_CLOSE = (
    _NOW
    + """
if redis.call('ZREM', KEYS[2], ARGV[2]) == 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
"""
)

# KEYS: users. ARGV: conn key prefix. Returns the users whose every connection expired.
_SWEEP = (
    _NOW
    + """
local gone = {}
for _, user in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
  local conns = ARGV[1] .. user
  redis.call('ZREMRANGEBYSCORE', conns, '-inf', now)
  local top = redis.call('ZRANGE', conns, -1, -1, 'WITHSCORES')
  if top[2] then
    redis.call('ZADD', KEYS[1], top[2], user)
  else
    redis.call('ZREM', KEYS[1], user)
    table.insert(gone, user)
  end
end
return gone
"""
)

# KEYS: users. Returns the online user ids.
_ONLINE = _NOW + "return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')\n"


def ttl_seconds() -> float:
    return float(settings.PRESENCE_TTL_SECONDS)


def heartbeat_seconds() -> float:
    return ttl_seconds() / 3


def _users_key(lobby_id: int) -> str:
    return f"{PREFIX}{int(lobby_id)}:u"


def _conns_prefix(lobby_id: int) -> str:
    return f"{PREFIX}{int(lobby_id)}:c:"


class RedisPresence:
    def __init__(self) -> None:
        client = get_redis()
        self.open_script = client.register_script(_OPEN)
        self.close_script = client.register_script(_CLOSE)
        self.sweep_script = client.register_script(_SWEEP)
        self.online_script = client.register_script(_ONLINE)

    def open(self, lobby_id: int, user_id: int, conn_id: str, ttl: float) -> bool:
        keys = [_users_key(lobby_id), f"{_conns_prefix(lobby_id)}{int(user_id)}"]
        return bool(self.open_script(keys=keys, args=[int(user_id), conn_id, max(int(ttl * 1000), 1)]))

    def close(self, lobby_id: int, user_id: int, conn_id: str) -> bool:
        keys = [_users_key(lobby_id), f"{_conns_prefix(lobby_id)}{int(user_id)}"]
        return bool(self.close_script(keys=keys, args=[int(user_id), conn_id]))

    def sweep(self, lobby_id: int) -> list[int]:
        return sorted(int(u) for u in self.sweep_script(keys=[_users_key(lobby_id)], args=[_conns_prefix(lobby_id)]))

    def online(self, lobby_id: int) -> list[int]:
        return sorted(int(u) for u in self.online_script(keys=[_users_key(lobby_id)]))


class LocalPresence:
    """The embedded default: one process is the whole service, so nothing needs to expire."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.conns: dict[int, dict[int, set[str]]] = defaultdict(dict)

    def open(self, lobby_id: int, user_id: int, conn_id: str, ttl: float) -> bool:
        with self.lock:
            conns = self.conns[lobby_id].setdefault(user_id, set())
            first = not conns
            conns.add(conn_id)
            return first

    def close(self, lobby_id: int, user_id: int, conn_id: str) -> bool:
        with self.lock:
            users = self.conns.get(lobby_id, {})
            conns = users.get(user_id)
            if not conns or conn_id not in conns:
                return False
            conns.discard(conn_id)
            if conns:
                return False
            del users[user_id]
            if not users:
                self.conns.pop(lobby_id, None)
            return True

    def sweep(self, lobby_id: int) -> list[int]:
        return []

    def online(self, lobby_id: int) -> list[int]:
        with self.lock:
            return sorted(self.conns.get(lobby_id, {}))

    def reset(self) -> None:
        with self.lock:
            self.conns.clear()


_local = LocalPresence()
_redis: RedisPresence | None = None


def _store():
    global _redis
    if not redis_enabled():
        return _local
    if _redis is None:
        _redis = RedisPresence()
    return _redis


def presence_open(*, lobby_id: int, user_id: int, conn_id: str, ttl: float | None = None) -> bool:
    """Count a socket in (or refresh it); True when the user just came online in the lobby."""
    return _store().open(lobby_id, user_id, conn_id, ttl_seconds() if ttl is None else ttl)


def presence_close(*, lobby_id: int, user_id: int, conn_id: str) -> bool:
    """Count a socket out; True when it was the user's last one in the lobby."""
    return _store().close(lobby_id, user_id, conn_id)


def presence_sweep(*, lobby_id: int) -> list[int]:
    """Drop connections left by crashed processes; the users who went offline, each reported once."""
    return _store().sweep(lobby_id)


def online_user_ids(*, lobby_id: int) -> list[int]:
    return _store().online(lobby_id)


apresence_open = sync_to_async(presence_open, thread_sensitive=False)
apresence_close = sync_to_async(presence_close, thread_sensitive=False)
apresence_sweep = sync_to_async(presence_sweep, thread_sensitive=False)
aonline_user_ids = sync_to_async(online_user_ids, thread_sensitive=False)
