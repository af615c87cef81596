"""The channel layer sharded over three Redis servers started here (``CHANNEL_REDIS_URLS``).

Three server processes (a layer and a hub each, as each process holds them) share the shards:
a broadcast to each of many groups reaches every member on every process, and the groups'
subscriptions are spread over all three servers, each group on exactly one.
"""

import asyncio
import json

import pytest
from django.conf import settings

from gameplatform.broadcast.hub import IDLE_GROUP_PREFIX, GroupHub
from gameplatform.broadcast.realtime import agroup_send
from gameplatform.data import redisconf
from gameplatform.tests.redis_servers import redis_servers  # noqa: F401
from gameplatform.tests.test_broadcast import Counter, new_process_layer, wait_for
from gameplatform.tests.test_faults import requires_redis_server

pytestmark = [requires_redis_server, pytest.mark.timeout(60)]

GROUPS = 120


@pytest.fixture
def shards(redis_servers, settings):  # noqa: F811
    servers = [redis_servers.redis() for _ in range(3)]
    settings.CHANNEL_REDIS_URLS = [f"redis://127.0.0.1:{server.port}/0" for server in servers]
    settings.CHANNEL_LAYERS = {
        "default": redisconf.channel_layer(
            redis_url=settings.REDIS_URL or "redis://127.0.0.1:6379/0",
            sentinels=[],
            master="",
            sentinel_password="",
            shard_urls=settings.CHANNEL_REDIS_URLS,
            connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
            socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
            retry=settings.REDIS_ASYNC_RETRY,
        )
    }
    return servers


def group_channels(server) -> set[str]:
    """The groups subscribed on ``server``, but the hubs' idle ones (they keep every shard read)."""
    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    names = {name.decode() for name in server.client().pubsub_channels(f"{prefix}__group__*")}
    return {name for name in names if not name.startswith(f"{prefix}__group__{IDLE_GROUP_PREFIX}")}


async def test_broadcasts_to_many_groups_reach_every_member_on_every_process_over_three_shards(shards, capsys):
    layers = [new_process_layer() for _ in range(3)]
    hubs = [GroupHub(layer) for layer in layers]
    groups = [f"lobby_{n}" for n in range(GROUPS)]
    # Each group has a member on two of the three processes.
    members: dict[str, list[Counter]] = {group: [Counter(n), Counter(n + 1000)] for n, group in enumerate(groups)}
    for n, group in enumerate(groups):
        for k, member in enumerate(members[group]):
            await hubs[(n + k) % 3].join(group, member)

    for n, group in enumerate(groups):
        await agroup_send(group, {"type": "chat_message", "n": n}, layer=layers[n % 3])
    everyone = [member for pair in members.values() for member in pair]
    await wait_for(lambda: all(member.texts for member in everyone), timeout=15)

    for n, group in enumerate(groups):
        for member in members[group]:
            assert [json.loads(text)["n"] for text in member.texts] == [n]  # its group's frame, once
    per_shard = [group_channels(server) for server in shards]
    # channels-redis picks a shard by 12 bits of the name's CRC32: every shard carries groups, not
    # evenly (names that differ in a number at their end bunch up: 58/44/18 of 120 here).
    assert all(per_shard), [len(channels) for channels in per_shard]
    assert sum(len(channels) for channels in per_shard) == GROUPS  # each group on exactly one shard
    assert set().union(*per_shard) == {f"{layers[0].prefix}__group__{group}" for group in groups}

    with capsys.disabled():
        print(f"\n{GROUPS} groups over three layer shards: " + "/".join(str(len(c)) for c in per_shard))
    await asyncio.gather(*(hub.close() for hub in hubs))
    await asyncio.gather(*(layer.flush() for layer in layers))
