"""A hub that lost its subscriptions in an outage starts afresh once, however many sockets rejoin at once."""

import asyncio

from conftest import requires_redis
from gameplatform.hub import GroupHub
from gameplatform.realtime import agroup_send
from gameplatform.tests.test_broadcast import Counter, new_process_layer, wait_for

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
