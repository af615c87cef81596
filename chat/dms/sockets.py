"""Who has a DM socket open on which conversation, across server processes.

A recipient who is not looking at the conversation gets ``dm_received`` and a
badge on the notification socket instead. With Redis, each open socket is a
member of the sorted set ``dm:sockets:<user>:<peer>`` scored by the time it
stops counting; the consumer refreshes its score every ``REFRESH_SECONDS``, so
a process that dies without closing its sockets stops counting after
``TTL_SECONDS`` at most. Without Redis (one embedded process), a local set.
"""

import threading
import time
from collections import defaultdict

from gameplatform.redis import get_redis, redis_enabled

TTL_SECONDS = 60
REFRESH_SECONDS = 20

_local: dict[tuple[int, int], set[str]] = defaultdict(set)
_lock = threading.Lock()


def _key(user_id: int, peer_id: int) -> str:
    return f"dm:sockets:{int(user_id)}:{int(peer_id)}"


def dm_socket_open(*, user_id: int, peer_id: int, socket_id: str) -> None:
    """Register (or refresh) one socket of ``user_id`` on the conversation with ``peer_id``."""
    if not redis_enabled():
        with _lock:
            _local[(user_id, peer_id)].add(socket_id)
        return
    key = _key(user_id, peer_id)
    pipe = get_redis().pipeline()
    pipe.zadd(key, {socket_id: time.time() + TTL_SECONDS})
    pipe.expire(key, TTL_SECONDS * 2)
    pipe.execute()


def dm_socket_close(*, user_id: int, peer_id: int, socket_id: str) -> None:
    if not redis_enabled():
        with _lock:
            sockets = _local.get((user_id, peer_id))
            if sockets is not None:
                sockets.discard(socket_id)
                if not sockets:
                    del _local[(user_id, peer_id)]
        return
    get_redis().zrem(_key(user_id, peer_id), socket_id)


def dm_socket_is_open(*, user_id: int, peer_id: int) -> bool:
    """True when ``user_id`` has at least one live DM socket on the conversation with ``peer_id``."""
    if not redis_enabled():
        with _lock:
            return bool(_local.get((user_id, peer_id)))
    key = _key(user_id, peer_id)
    pipe = get_redis().pipeline()
    pipe.zremrangebyscore(key, "-inf", time.time())
    pipe.zcard(key)
    _, count = pipe.execute()
    return count > 0
