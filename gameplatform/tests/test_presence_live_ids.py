"""``presence.live_ids``: who has a socket on a server process that is still running.

Presence itself keeps a killed process's users online until their sockets' deadlines pass (45 s
with the default TTL). ``live_ids`` asks the processes' beacons instead, so a reader that cannot
wait that long (the matchmaking queue) sees them go within ``PROCESS_SECONDS``.
"""

import asyncio

from conftest import requires_redis
from gameplatform.sockets import presence
from gameplatform.sockets.presence import PROCESS_SECONDS, LocalStore, PresenceTracker, RedisStore


@requires_redis
async def test_users_of_a_process_killed_without_closing_stop_being_live_within_the_beacon_while_still_online(bob):
    process = PresenceTracker(store=RedisStore())
    await process.open(bob.pk)
    assert presence.live_ids([bob.pk]) == {bob.pk}

    process.vanish()  # killed: no close, no heartbeat, no beacon
    await asyncio.sleep(PROCESS_SECONDS + 0.5)

    assert presence.live_ids([bob.pk]) == set()
    assert presence.online_ids([bob.pk]) == {bob.pk}  # its sockets' deadlines have not passed yet


@requires_redis
async def test_a_user_with_a_socket_on_a_running_process_stays_live_while_another_process_of_theirs_died(alice, bob):
    running, killed = PresenceTracker(store=RedisStore()), PresenceTracker(store=RedisStore())
    conn = await running.open(alice.pk)
    await killed.open(alice.pk)
    await killed.open(bob.pk)
    killed.vanish()
    await asyncio.sleep(PROCESS_SECONDS + 0.5)  # the running process renews its beacon every second

    assert presence.live_ids([alice.pk, bob.pk]) == {alice.pk}
    await running.close(conn)
    assert presence.live_ids([alice.pk]) == set()


@requires_redis
def test_a_socket_id_without_a_process_counts_as_live():
    """Written by a server of a version before the beacons (a rolling deploy): nothing says its process died."""
    store = RedisStore()
    store.open([(1, "0123456789abcdef", ())])
    store.keep_alive("p1")
    store.open([(2, "p1.0123", ()), (3, "p2.4567", ())])  # p2 renews no beacon
    assert store.live([1, 2, 3, 4]) == {1, 2}


def test_in_one_process_every_user_with_a_socket_is_live():
    local = LocalStore()
    local.open([(1, "a", ()), (2, "b", ("lobby:1",))])
    local.close([(2, "b", ("lobby:1",))])
    assert local.live([1, 2, 3]) == {1}
