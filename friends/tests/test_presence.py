"""Presence a player can trust: any socket counts, tabs are one presence, dead processes expire."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings as django_settings

from conftest import requires_redis
from friends.models import LastSeen
from gameplatform.broadcast.groups import user_group
from gameplatform.broadcast.realtime import agroup_signal
from gameplatform.data import db
from gameplatform.sockets import presence
from gameplatform.sockets.presence import PresenceTracker, RedisStore

pytestmark = pytest.mark.django_db(transaction=True)

ONLINE = "online"
OFFLINE = "offline"


def presence_of(user, status: str) -> dict:
    return {"type": "presence", "user_id": user.pk, "status": status}


@pytest.fixture
async def friends_ab(alice, bob, befriend):
    await sync_to_async(befriend)(alice, bob)


async def status_socket(ws_connect, user):
    ws, connected, _ = await ws_connect("/ws/friends/status/", user)
    assert connected
    snapshot = await ws.receive_json_from(timeout=3)
    assert snapshot["type"] == "presence_snapshot"
    return ws, snapshot


async def open_socket(ws_connect, user, path="/ws/notifications/"):
    ws, connected, _ = await ws_connect(path, user)
    assert connected
    return ws


def new_process_layer() -> RedisPubSubChannelLayer:
    """A channel layer as a second server process would hold it."""
    return RedisPubSubChannelLayer(**django_settings.CHANNEL_LAYERS["default"]["CONFIG"])


async def run_sweep() -> int:
    return await db.run_always(presence.sweep_and_announce)  # as the timer runs it


async def test_snapshot_lists_friends_with_their_presence(ws_connect, friends_ab, alice, bob, carol):
    bob_tab = await open_socket(ws_connect, bob)
    watcher, snapshot = await status_socket(ws_connect, alice)
    assert snapshot == {
        "type": "presence_snapshot",
        "friends": [{"user_id": bob.pk, "online": True, "last_seen": None}],
    }
    await watcher.disconnect()
    await bob_tab.disconnect()


async def test_two_tabs_are_one_presence_announced_once_each_way(ws_connect, friends_ab, alice, bob):
    watcher, snapshot = await status_socket(ws_connect, alice)
    assert snapshot["friends"] == [{"user_id": bob.pk, "online": False, "last_seen": None}]

    tab1 = await open_socket(ws_connect, bob, "/ws/notifications/")
    assert await watcher.receive_json_from(timeout=3) == presence_of(bob, ONLINE)
    tab2 = await open_socket(ws_connect, bob, "/ws/friends/status/")
    assert await watcher.receive_nothing(timeout=0.3)

    await tab1.disconnect()
    assert await watcher.receive_nothing(timeout=0.3)
    await tab2.disconnect()
    assert await watcher.receive_json_from(timeout=3) == presence_of(bob, OFFLINE)
    assert await watcher.receive_nothing(timeout=0.3)
    await watcher.disconnect()


async def test_notification_socket_hears_friends_presence(ws_connect, friends_ab, alice, bob):
    notifications = await open_socket(ws_connect, alice)
    assert (await notifications.receive_json_from(timeout=3))["type"] == "badge"
    tab = await open_socket(ws_connect, bob, "/ws/friends/status/")
    assert await notifications.receive_json_from(timeout=3) == presence_of(bob, ONLINE)
    await tab.disconnect()
    assert await notifications.receive_json_from(timeout=3) == presence_of(bob, OFFLINE)
    await notifications.disconnect()


async def test_people_who_are_not_friends_hear_nothing(ws_connect, friends_ab, bob, carol):
    watcher, snapshot = await status_socket(ws_connect, carol)
    assert snapshot["friends"] == []
    tab = await open_socket(ws_connect, bob)
    await tab.disconnect()
    assert await watcher.receive_nothing(timeout=0.3)
    await watcher.disconnect()


async def test_status_socket_carries_presence_only(ws_connect, friends_ab, alice):
    from gameplatform.broadcast.realtime import asend_to_user

    watcher, _ = await status_socket(ws_connect, alice)
    await asend_to_user(alice.pk, {"type": "match_found", "game_id": 3})
    assert await watcher.receive_nothing(timeout=0.3)
    await watcher.disconnect()


async def test_an_older_presence_event_arriving_late_is_dropped(ws_connect, friends_ab, alice, bob):
    watcher, _ = await status_socket(ws_connect, alice)
    await agroup_signal(user_group(alice.pk), "presence", user_id=bob.pk, status=OFFLINE, version=4)
    await agroup_signal(user_group(alice.pk), "presence", user_id=bob.pk, status=ONLINE, version=3)
    assert await watcher.receive_json_from(timeout=3) == presence_of(bob, OFFLINE)
    assert await watcher.receive_nothing(timeout=0.3)
    await watcher.disconnect()


async def test_last_seen_and_friend_list_follow_presence(ws_connect, client_for, friends_ab, alice, bob):
    client = await sync_to_async(client_for)(alice)
    tab = await open_socket(ws_connect, bob)
    rows = (await sync_to_async(client.get)("/api/friends/")).json()["results"]
    assert rows[0]["online"] is True and rows[0]["last_seen"] is None
    await tab.disconnect()
    rows = (await sync_to_async(client.get)("/api/friends/")).json()["results"]
    assert rows[0]["online"] is False and rows[0]["last_seen"] is not None
    assert await sync_to_async(LastSeen.objects.filter(user=bob).exists)()


async def test_status_counts_online_users_not_sockets(ws_connect, api_client, alice, bob):
    sockets = [await open_socket(ws_connect, alice), await open_socket(ws_connect, alice)]
    sockets.append(await open_socket(ws_connect, bob, "/ws/friends/status/"))
    body = (await sync_to_async(api_client.get)("/api/status/")).json()
    assert body["online_users"] == 2
    for ws in sockets:
        await ws.disconnect()
    assert presence.online_count() == 0


async def test_a_refused_socket_opens_no_presence(ws_connect, alice):
    ws, connected, _ = await ws_connect("/ws/nowhere/", alice)
    assert connected
    assert (await ws.receive_output(timeout=3))["type"] == "websocket.close"
    assert presence.online_count() == 0


@requires_redis
async def test_tabs_on_two_server_processes_are_one_presence(ws_connect, friends_ab, alice, bob):
    layer_b = new_process_layer()
    process_b = PresenceTracker(store=RedisStore(), layer=layer_b)
    watcher, _ = await status_socket(ws_connect, alice)

    conn_b = await process_b.open(bob.pk)
    assert await watcher.receive_json_from(timeout=3) == presence_of(bob, ONLINE)
    tab_a = await open_socket(ws_connect, bob)
    assert await watcher.receive_nothing(timeout=0.3)
    await process_b.close(conn_b)
    assert await watcher.receive_nothing(timeout=0.3)
    await tab_a.disconnect()
    assert await watcher.receive_json_from(timeout=3) == presence_of(bob, OFFLINE)
    assert await watcher.receive_nothing(timeout=0.3)
    await watcher.disconnect()
    await layer_b.flush()


@requires_redis
async def test_a_vanished_process_lets_its_users_go_offline_once(ws_connect, settings, friends_ab, alice, bob):
    settings.PRESENCE_TTL_SECONDS = 2  # sockets live 1 s past their last heartbeat
    layer_b = new_process_layer()
    process_b = PresenceTracker(store=RedisStore(), layer=layer_b)
    watcher, _ = await status_socket(ws_connect, alice)
    await process_b.open(bob.pk)
    assert await watcher.receive_json_from(timeout=3) == presence_of(bob, ONLINE)

    process_b.vanish()
    assert await run_sweep() == 0  # not expired yet
    await asyncio.sleep(1.3)
    # Two timer runners sweeping at once: one of them takes bob offline.
    assert sorted(await asyncio.gather(run_sweep(), run_sweep())) == [0, 1]

    assert await watcher.receive_json_from(timeout=3) == presence_of(bob, OFFLINE)
    assert await watcher.receive_nothing(timeout=0.5)
    assert await run_sweep() == 0
    # alice's own socket lives on a healthy process: its heartbeat kept her online.
    assert presence.online_ids([alice.pk, bob.pk]) == {alice.pk}
    assert await sync_to_async(LastSeen.objects.filter(user=bob).exists)()
    await watcher.disconnect()
    await layer_b.flush()


@requires_redis
async def test_a_vanished_process_does_not_take_offline_a_user_with_a_live_tab(
    ws_connect, settings, friends_ab, alice, bob
):
    settings.PRESENCE_TTL_SECONDS = 2
    layer_b = new_process_layer()
    process_b = PresenceTracker(store=RedisStore(), layer=layer_b)
    watcher, _ = await status_socket(ws_connect, alice)
    tab_a = await open_socket(ws_connect, bob)
    assert await watcher.receive_json_from(timeout=3) == presence_of(bob, ONLINE)
    await process_b.open(bob.pk)
    process_b.vanish()

    await asyncio.sleep(1.3)
    assert await run_sweep() == 0
    assert await watcher.receive_nothing(timeout=0.3)
    assert presence.online_ids([bob.pk]) == {bob.pk}
    await tab_a.disconnect()
    assert await watcher.receive_json_from(timeout=3) == presence_of(bob, OFFLINE)
    await watcher.disconnect()
    await layer_b.flush()


@requires_redis
async def test_a_socket_swept_while_its_process_lived_comes_back_with_the_next_heartbeat(friends_ab, settings, bob):
    settings.PRESENCE_TTL_SECONDS = 2
    process = PresenceTracker(store=RedisStore())
    conn = await process.open(bob.pk)
    process._heartbeat.cancel()  # a long pause: no heartbeat for a while
    await asyncio.sleep(1.3)
    assert await run_sweep() == 1
    await process.beat()
    assert presence.online_ids([bob.pk]) == {bob.pk}
    await process.close(conn)
    assert presence.online_ids([bob.pk]) == set()


@requires_redis
def test_one_heartbeat_refreshes_thousands_of_sockets_in_chunks():
    store = RedisStore()
    sockets = [(n % 1200 + 1, f"conn{n}", ()) for n in range(2500)]
    assert len(store.open(sockets)) == 1200  # each user comes online once
    assert store.open(sockets) == []
    assert store.count() == 1200


def test_sweep_is_a_registered_timer():
    from gameplatform.operations.timers import discover

    assert discover()["presence.sweep"].func is presence.sweep_and_announce


async def test_a_failing_presence_store_does_not_break_sockets(ws_connect, monkeypatch, alice):
    async def broken(*args, **kwargs):
        raise ConnectionError("store down")

    monkeypatch.setattr(presence, "aopen", broken)
    ws = await open_socket(ws_connect, alice)
    assert (await ws.receive_json_from(timeout=3))["type"] == "badge"
    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from(timeout=3) == {"type": "pong"}
    await ws.disconnect()
    assert presence.online_count() == 0
