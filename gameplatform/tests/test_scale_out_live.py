"""A live server on the scale-out settings: Redis through Sentinel, the layer on three shards.

The server process reads them from its environment (``REDIS_SENTINELS``,
``REDIS_SENTINEL_MASTER``, ``CHANNEL_REDIS_URLS``) like a deployment. Players chat in lobbies
(broadcasts through the shards, tickets and rate limits through Sentinel); the Sentinel primary
is killed, the replica promoted, and the server serves again: 503 ``unavailable`` meanwhile,
never a 500, the sockets open before the failover still hearing their lobbies.
"""

import asyncio
import time
import uuid

import httpx
import pytest

from conftest import requires_postgres
from gameplatform.broadcast.groups import accounts_group, everyone_group
from gameplatform.broadcast.hub import IDLE_GROUP_PREFIX
from gameplatform.tests.live import LiveServer, bearer, receive_type
from gameplatform.tests.redis_servers import redis_servers, requires_sentinel  # noqa: F401
from gameplatform.tests.test_faults_live import open_socket, receive_chat, statuses_logged
from gameplatform.tests.test_redis_sentinel import MASTER, RECOVERY_LIMIT, sentinel_cluster

pytestmark = [requires_postgres, requires_sentinel, pytest.mark.live, pytest.mark.timeout(150)]

LOBBIES = 6


async def _chat(http: httpx.AsyncClient, auth: dict, lobby_id: int, content: str) -> httpx.Response:
    """Post a lobby message, waiting out the chat rate limit (kept in Redis, through Sentinel) when it says so."""
    for _ in range(10):
        posted = await http.post(f"/api/lobbies/{lobby_id}/messages/", json={"content": content}, headers=auth)
        if posted.status_code != 429:
            break
        await asyncio.sleep(float(posted.headers["Retry-After"]))
    return posted


def idle_groups(server) -> set[bytes]:
    """The hubs' idle groups on a layer server (they keep every shard read; nobody sends to them),
    and the process-wide groups a process joins once (the account gate's, everyone's, its room
    host's own: the rooms other processes place on it)."""
    client = server.client()
    wide = {
        name for group in (accounts_group(), everyone_group()) for name in client.pubsub_channels(f"*__group__{group}")
    }
    wide |= set(client.pubsub_channels("*__group__host_*"))
    return set(client.pubsub_channels(f"*__group__{IDLE_GROUP_PREFIX}*")) | wide


async def test_a_server_on_sentinel_and_a_sharded_layer_serves_chat_through_a_failover(
    redis_servers,  # noqa: F811
    tmp_path,
    capsys,
):
    """A server on Sentinel and a sharded layer serves chat through a failover. It takes tens of seconds:
    it starts a Redis primary, a replica, the Sentinels, three shards and a server on them, waits
    out the chat's rate limit while posting in six lobbies, and waits for Sentinel to promote the
    replica (down-after 1 s) and the server to serve again."""
    primary, replica, sentinels = await asyncio.to_thread(sentinel_cluster, redis_servers)
    shards = [redis_servers.redis() for _ in range(3)]
    env = {
        "REDIS_URL": f"redis://{MASTER}/0",
        "REDIS_SENTINELS": ",".join(f"127.0.0.1:{s.port}" for s in sentinels),
        "REDIS_SENTINEL_MASTER": MASTER,
        "CHANNEL_REDIS_URLS": ",".join(f"redis://127.0.0.1:{s.port}/0" for s in shards),
    }
    server = LiveServer(tmp_path, env=env)
    await asyncio.to_thread(server.start)
    run = uuid.uuid4().hex[:6]
    sockets = []
    try:
        owner = await asyncio.to_thread(server.login, "premium_user_1")
        auth = bearer(owner["access"])
        async with httpx.AsyncClient(base_url=server.http, timeout=20) as http:
            lobbies = []
            for n in range(LOBBIES):
                lobby = {"name": f"shard {run} {n}", "is_public": True, "max_participants": 8}
                created = await http.post("/api/lobbies/", json=lobby, headers=auth)
                assert created.status_code == 201, created.text
                lobbies.append(created.json()["id"])
                ws = await open_socket(server.http, f"/ws/lobbies/{lobbies[-1]}/", owner["access"])
                await receive_type(ws, "lobby_state")
                sockets.append(ws)
            for lobby_id, ws in zip(lobbies, sockets, strict=True):
                assert (await _chat(http, auth, lobby_id, f"before {lobby_id}")).status_code == 201
                await receive_chat(ws, f"before {lobby_id}")
            # The hubs' idle groups (they keep every shard read) aside.
            subscribed = [len(set(s.client().pubsub_channels("*__group__*")) - idle_groups(s)) for s in shards]
            # The lobbies' groups are on the shards (where channels-redis's hash puts them: consecutive
            # ids often all on one), none on the Sentinel primary.
            assert sum(subscribed) == LOBBIES and primary.client().pubsub_channels("*__group__*") == []
            assert primary.client().dbsize() > 0  # presence, tickets, rate limits: on the Sentinel primary

            primary.kill()
            killed = time.monotonic()
            while (ticket := await http.post("/api/auth/ws-ticket/", headers=auth)).status_code not in (200, 201):
                assert ticket.status_code == 503 and ticket.json()["code"] == "unavailable", ticket.text
                assert time.monotonic() - killed < RECOVERY_LIMIT, "not serving again after the failover"
                await asyncio.sleep(0.1)
            recovered = time.monotonic() - killed
            assert replica.client().info("replication")["role"] == "master"

            for lobby_id, ws in zip(lobbies, sockets, strict=True):
                assert (await _chat(http, auth, lobby_id, f"after {lobby_id}")).status_code == 201
                await receive_chat(ws, f"after {lobby_id}")
            again = await open_socket(server.http, f"/ws/lobbies/{lobbies[0]}/", owner["access"])
            await receive_type(again, "lobby_state")
            sockets.append(again)
        assert 500 not in statuses_logged(server)
        server.assert_alive()
        with capsys.disabled():
            print(
                f"\nlive server, Sentinel failover: serving again {recovered:.1f} s after the primary was killed;"
                f" {LOBBIES} lobbies over the layer's shards: {'/'.join(map(str, subscribed))}"
            )
    finally:
        for ws in sockets:
            await ws.close()
        await asyncio.to_thread(server.stop)
