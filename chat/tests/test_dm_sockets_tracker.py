"""Who is on which DM socket: several tabs, closing, and a process that vanished (Redis expiry)."""

import time

from chat.dms import sockets
from conftest import requires_redis


def test_a_conversation_counts_while_any_of_its_sockets_is_open():
    sockets.dm_socket_open(user_id=1, peer_id=2, socket_id="tab-a")
    sockets.dm_socket_open(user_id=1, peer_id=2, socket_id="tab-b")
    sockets.dm_socket_close(user_id=1, peer_id=2, socket_id="tab-a")
    assert sockets.dm_socket_is_open(user_id=1, peer_id=2)
    assert not sockets.dm_socket_is_open(user_id=2, peer_id=1)
    assert not sockets.dm_socket_is_open(user_id=1, peer_id=3)
    sockets.dm_socket_close(user_id=1, peer_id=2, socket_id="tab-b")
    assert not sockets.dm_socket_is_open(user_id=1, peer_id=2)


@requires_redis
def test_sockets_of_a_vanished_process_stop_counting_after_the_ttl(monkeypatch):
    sockets.dm_socket_open(user_id=1, peer_id=2, socket_id="never-closed")
    assert sockets.dm_socket_is_open(user_id=1, peer_id=2)
    later = time.time() + sockets.TTL_SECONDS + 1
    monkeypatch.setattr(sockets.time, "time", lambda: later)
    assert not sockets.dm_socket_is_open(user_id=1, peer_id=2)


@requires_redis
def test_a_refreshed_socket_keeps_counting(monkeypatch):
    start = time.time()
    sockets.dm_socket_open(user_id=1, peer_id=2, socket_id="alive")
    monkeypatch.setattr(sockets.time, "time", lambda: start + sockets.REFRESH_SECONDS)
    sockets.dm_socket_open(user_id=1, peer_id=2, socket_id="alive")
    monkeypatch.setattr(sockets.time, "time", lambda: start + sockets.TTL_SECONDS + 1)
    assert sockets.dm_socket_is_open(user_id=1, peer_id=2)
