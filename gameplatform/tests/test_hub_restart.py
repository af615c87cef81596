"""After a Redis outage: a hub that lost its subscriptions starts afresh once, however many
sockets rejoin at once; the sockets that stayed open are present again without waiting for
the next heartbeat."""

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async

from conftest import receive_type, requires_redis
from gameplatform.broadcast.hub import GroupHub
from gameplatform.broadcast.realtime import agroup_send
from gameplatform.sockets import presence
from gameplatform.tests.test_broadcast import Counter, new_process_layer, wait_for
from gameplatform.tests.test_faults import own_redis, requires_redis_server  # noqa: F401 (a fixture)

pytestmark = requires_redis


async def test_sockets_rejoining_at_once_after_an_outage_restart_the_hub_once_and_all_hear():
    layer = new_process_layer()
    hub = GroupHub(layer)
    flushes = 0
    real_flush = layer.flush

    async def counted_flush():
        nonlocal flushes
        flushes += 1
        await real_flush()

    layer.flush = counted_flush
    staying = Counter(0)
    await hub.join("lobby_1", staying)
    hub.broken = True  # a subscription failed while Redis was away
    members = [Counter(n) for n in range(1, 9)]
    await asyncio.gather(*(hub.join(f"lobby_{n + 1}", member) for n, member in enumerate(members)))
    assert flushes == 1  # each restart drops the layer's connections under the others' joins
    for n in range(1, 10):
        await agroup_send(f"lobby_{n}", {"type": "hello", "n": n}, layer=layer)
    await wait_for(lambda: all(len(m.texts) == 1 for m in [staying, *members]), timeout=5)
    await hub.close()
    await real_flush()


# --- presence through a Redis restart ---------------------------------------------------


async def restart(server) -> None:
    """Stop the test's own redis-server and start it again on its port, empty."""
    await asyncio.to_thread(server.stop)
    await asyncio.to_thread(server.start)


async def snapshot_of(ws_connect, user) -> dict[int, bool]:
    """What ``user``'s friends status socket shows on connect: ``{friend id: online}``."""
    ws, connected, _ = await ws_connect("/ws/friends/status/", user)
    assert connected
    frame = await ws.receive_json_from(timeout=10)
    await ws.disconnect()
    assert frame["type"] == "presence_snapshot", frame
    return {friend["user_id"]: friend["online"] for friend in frame["friends"]}


@requires_redis_server
@pytest.mark.django_db(transaction=True)
async def test_a_socket_open_through_a_redis_restart_is_online_to_friends_again_within_a_second(
    own_redis,  # noqa: F811
    settings,
    ws_connect,
    alice,
    bob,
    befriend,
):
    settings.PRESENCE_TTL_SECONDS = 40  # a heartbeat every 10 s: the next one is far off
    await sync_to_async(befriend)(alice, bob)
    tab, connected, _ = await ws_connect("/ws/notifications/", alice)
    assert connected
    assert (await snapshot_of(ws_connect, bob))[alice.pk] is True

    await restart(own_redis)  # its data is gone: nobody is online in it
    back = time.monotonic()
    while not (await snapshot_of(ws_connect, bob))[alice.pk]:
        assert time.monotonic() - back < presence.heartbeat_seconds(), "still offline after a whole heartbeat"
        await asyncio.sleep(0.1)
    took = time.monotonic() - back
    # The store is checked every second; the rest is slack for a busy machine.
    assert took < presence.heartbeat_seconds() / 2, f"online again {took:.1f} s after Redis came back"
    await tab.disconnect()


@requires_redis_server
@pytest.mark.django_db(transaction=True)
async def test_a_friend_watching_through_a_redis_restart_hears_the_user_leave_afterwards(
    own_redis,  # noqa: F811
    settings,
    ws_connect,
    alice,
    bob,
    befriend,
):
    settings.PRESENCE_TTL_SECONDS = 4
    await sync_to_async(befriend)(alice, bob)
    for _ in range(2):  # alice came and went before: her presence changed three times
        tab, connected, _ = await ws_connect("/ws/notifications/", alice)
        assert connected
        await tab.disconnect()
    tab, connected, _ = await ws_connect("/ws/notifications/", alice)
    assert connected
    watcher, connected, _ = await ws_connect("/ws/friends/status/", bob)
    assert connected
    snapshot = await watcher.receive_json_from(timeout=3)
    assert snapshot["friends"] == [{"user_id": alice.pk, "online": True, "last_seen": None}]

    await restart(own_redis)
    await wait_for(lambda: presence.online_ids([alice.pk]) == {alice.pk}, timeout=10)  # her socket is back
    await tab.disconnect()
    heard = [await receive_type(watcher, "presence", timeout=5)]
    while heard[-1]["status"] == "online":  # her return after the restart, said again
        heard.append(await receive_type(watcher, "presence", timeout=5))
    assert heard[-1] == {"type": "presence", "user_id": alice.pk, "status": "offline"}
    assert len(heard) <= 2
    await watcher.disconnect()


@requires_redis_server
@pytest.mark.django_db(transaction=True)
async def test_a_socket_opened_and_closed_while_redis_was_down_leaves_no_presence_behind(
    own_redis,  # noqa: F811
    settings,
    ws_connect,
    alice,
):
    settings.PRESENCE_TTL_SECONDS = 2
    first, connected, _ = await ws_connect("/ws/notifications/", alice)
    assert connected
    await wait_for(lambda: presence.online_ids([alice.pk]) == {alice.pk})
    await asyncio.to_thread(own_redis.stop)
    second, connected, _ = await ws_connect("/ws/notifications/", alice)  # its presence cannot be stored
    assert connected
    await second.disconnect()
    await asyncio.to_thread(own_redis.start)
    await wait_for(lambda: presence.online_ids([alice.pk]) == {alice.pk}, timeout=10)  # the first is back
    await first.disconnect()
    await asyncio.sleep(3 * presence.heartbeat_seconds())
    assert presence.online_ids([alice.pk]) == set()


@requires_redis_server
@pytest.mark.django_db(transaction=True)
async def test_a_socket_moved_while_redis_was_down_leaves_no_presence_behind_when_it_closes(
    own_redis,  # noqa: F811
    settings,
    alice,
):
    settings.PRESENCE_TTL_SECONDS = 2
    tracker = presence.PresenceTracker()  # a server process's, on the test's own Redis
    conn = await tracker.open(alice.pk, ["area:1"])
    await asyncio.to_thread(own_redis.stop)
    conn = await tracker.move(conn, alice.pk, ["area:2"])  # a world character walks on meanwhile
    await asyncio.to_thread(own_redis.start)
    await wait_for(lambda: presence.present_at("area:2") == [alice.pk], timeout=10)
    await tracker.close(conn)
    await asyncio.sleep(3 * presence.heartbeat_seconds())
    assert presence.online_ids([alice.pk]) == set() and presence.present_at("area:2") == []


# --- a quiet process ----------------------------------------------------------------------


async def test_a_quiet_process_subscribes_a_new_group_without_waiting_for_an_idle_shard(settings):
    # The layer's server listed 8 times (CHANNEL_LAYER_CONNECTIONS): channels-redis reads an idle
    # shard's subscriptions only every 0.1 s, so a join on one took about 100 ms before the hub
    # kept every shard subscribed.
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    assert len(config["hosts"]) == 8
    layer = new_process_layer()
    hub = GroupHub(layer)
    await hub.join("quiet_0", Counter(0))  # the hub starts: its channel and its idle groups
    took = []
    for n in range(1, 41):
        member = Counter(n)
        started = time.perf_counter()
        await hub.join(f"quiet_{n}", member)  # returns once the layer delivers the group here
        took.append(time.perf_counter() - started)
        await hub.leave(f"quiet_{n}", member)
    mean = sum(took) / len(took)  # an idle shard's wait is 0-100 ms: about 37 ms on average over 8 shards
    assert mean < 0.015, f"mean join {mean * 1000:.1f} ms"
    await hub.close()
    await layer.flush()
