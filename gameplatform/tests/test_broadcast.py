"""Group broadcasts across processes: nothing lost in a burst, nothing stale after a mass close."""

import asyncio

import pytest
import redis
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings

from conftest import access_token_for, requires_redis
from gameplatform.broadcast.hub import MESSAGE_TYPE, GroupHub, get_hub
from gameplatform.broadcast.realtime import agroup_send, agroup_send_spending, agroup_signal
from gameplatform.core.errors import RateLimited
from gameplatform.data.ratelimit import Budget

pytestmark = requires_redis


class Counter:
    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.texts: list[str] = []
        self.signals: list[tuple] = []

    async def hub_deliver(self, message: dict) -> None:
        if "text" in message:
            self.texts.append(message["text"])
        else:
            self.signals.append((message["signal"], message["data"]))


def new_process_layer() -> RedisPubSubChannelLayer:
    """A channel layer as a second server process would hold it."""
    return RedisPubSubChannelLayer(**settings.CHANNEL_LAYERS["default"]["CONFIG"])


async def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_two_layer_instances_deliver_group_messages_to_each_other():
    layer_a, layer_b = new_process_layer(), new_process_layer()
    hub_a, hub_b = GroupHub(layer_a), GroupHub(layer_b)
    on_a, on_b = Counter(1), Counter(2)
    await hub_a.join("lobby_5", on_a)
    await hub_b.join("lobby_5", on_b)

    await agroup_send("lobby_5", {"type": "chat", "from": "a"}, layer=layer_a)
    await agroup_send("lobby_5", {"type": "chat", "from": "b"}, layer=layer_b)
    await agroup_signal("lobby_5", "kick", layer=layer_b, target_id=1)

    await wait_for(lambda: len(on_a.texts) == 2 and len(on_b.texts) == 2 and on_a.signals)
    assert sorted(on_a.texts) == sorted(on_b.texts) == ['{"type":"chat","from":"a"}', '{"type":"chat","from":"b"}']
    assert on_a.signals == on_b.signals == [("kick", {"target_id": 1})]
    for hub in (hub_a, hub_b):
        await hub.close()
    await layer_a.flush()
    await layer_b.flush()


async def test_a_message_published_by_the_budget_reaches_every_process_hub():
    """The budget's script publishes the frame itself on the layer's channel for the group:
    another process's hub hears it, this process's members get it at once, each once; a
    frame the budget refuses is heard nowhere."""
    budget = Budget("test:spend-and-send", limit=1, window=60.0, what="messages")
    budget.reset("u1")
    hub, other = get_hub(), GroupHub(new_process_layer())
    here, there = Counter(1), Counter(2)
    await hub.join("lobby_6", here)
    await other.join("lobby_6", there)
    assert hub.layer_publish("lobby_6", {"type": MESSAGE_TYPE}) is not None  # the one-round-trip way

    await agroup_send_spending("lobby_6", {"type": "chat", "n": 1}, budget, "u1")
    with pytest.raises(RateLimited):
        await agroup_send_spending("lobby_6", {"type": "chat", "n": 2}, budget, "u1")
    await agroup_send("lobby_6", {"type": "end"})  # after it, nothing more can arrive

    expected = ['{"type":"chat","n":1}', '{"type":"end"}']
    await wait_for(lambda: len(there.texts) == 2)
    await wait_for(lambda: len(here.texts) == 2)
    assert here.texts == there.texts == expected
    await hub.leave("lobby_6", here)
    await other.close()
    await other.layer.flush()


async def test_burst_to_a_large_group_across_two_processes_loses_nothing():
    events, members_per_process = 3000, 100
    layer_a, layer_b = new_process_layer(), new_process_layer()
    hub_a, hub_b = GroupHub(layer_a), GroupHub(layer_b)
    members = [Counter(n) for n in range(2 * members_per_process)]
    for n, member in enumerate(members):
        await (hub_a if n % 2 else hub_b).join("game_77", member)

    senders = [
        agroup_send("game_77", {"type": "tick", "n": n}, layer=layer_a if n % 2 else layer_b) for n in range(events)
    ]
    await asyncio.gather(*senders)
    await wait_for(lambda: all(len(m.texts) == events for m in members), timeout=60)

    expected = {f'{{"type":"tick","n":{n}}}' for n in range(events)}
    assert all(set(m.texts) == expected for m in members)
    assert sum(len(m.texts) for m in members) == events * len(members)
    for hub in (hub_a, hub_b):
        await hub.close()
    await layer_a.flush()
    await layer_b.flush()


@pytest.mark.django_db(transaction=True)
async def test_many_sockets_closing_at_once_leave_no_group_member_behind(ws_connect, make_user):
    from asgiref.sync import sync_to_async

    users = [await sync_to_async(make_user)() for _ in range(60)]
    sockets = []
    for user in users:
        ws, connected, _ = await ws_connect("/ws/notifications/", user)
        assert connected
        sockets.append(ws)
    hub = get_hub()
    assert sum(1 for group in hub.members if group.startswith("user_")) == 60

    await asyncio.gather(*(ws.disconnect() for ws in sockets))

    assert not any(group.startswith("user_") for group in hub.members)
    client = redis.Redis.from_url(settings.REDIS_URL)
    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    counts = client.pubsub_numsub(*[f"{prefix}__group__user_{u.pk}" for u in users])
    assert all(count == 0 for _, count in counts)
    client.close()


@pytest.mark.django_db(transaction=True)
async def test_rest_style_sync_broadcast_reaches_socket_on_commit(ws_connect, alice):
    from asgiref.sync import sync_to_async
    from django.db import transaction

    from gameplatform.broadcast.realtime import send_to_user

    ws, _, _ = await ws_connect("/ws/notifications/", alice)
    assert (await ws.receive_json_from(timeout=3))["type"] == "badge"  # sent on connect

    def commit_and_rollback():
        with transaction.atomic():
            send_to_user(alice.pk, {"type": "kept"})
        try:
            with transaction.atomic():
                send_to_user(alice.pk, {"type": "rolled_back"})
                raise RuntimeError
        except RuntimeError:
            pass

    await sync_to_async(commit_and_rollback, thread_sensitive=False)()
    assert await ws.receive_json_from(timeout=3) == {"type": "kept"}
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()
    assert access_token_for  # imported for the fixture module


async def test_joining_while_the_last_member_leaves_keeps_the_group_subscribed():
    layer = new_process_layer()
    hub = GroupHub(layer)
    leaving, joining = Counter(1), Counter(2)
    for n in range(15):
        await hub.join("lobby_9", leaving)
        # A join racing the last member's leave must end up subscribed, not unsubscribed by it.
        await asyncio.gather(hub.leave("lobby_9", leaving), hub.join("lobby_9", joining))
        await agroup_send("lobby_9", {"type": "round", "n": n}, layer=layer)
        await wait_for(lambda: len(joining.texts) == 1, timeout=3)
        joining.texts.clear()
        await hub.leave("lobby_9", joining)
    assert hub.members == {}
    await hub.close()
    await layer.flush()
