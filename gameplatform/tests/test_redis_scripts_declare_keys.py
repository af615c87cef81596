"""Every Lua script of the platform is given the keys it touches (KEYS), none built inside it.

Redis requires it of scripts: what routes or checks keys (a proxy, a cluster, ACL key
patterns) only sees what a call declares. The test watches a Redis server of its own with
MONITOR, which shows each EVALSHA with its keys and then each command the script ran.
"""

import re
import socket
import uuid

import pytest
import redis
import redis.asyncio

from gameplatform.data.ratelimit import RedisWindow
from gameplatform.operations.timers import TimerLease
from gameplatform.rooms import room_store
from gameplatform.sockets import presence
from gameplatform.tests.redis_servers import redis_servers  # noqa: F401
from gameplatform.tests.test_faults import requires_redis_server

pytestmark = requires_redis_server

KEYLESS = {"TIME"}  # the only script commands here that take no key
CHANNELS = {"PUBLISH"}  # script commands whose first argument is a pub/sub channel, not a key


ARGUMENT = re.compile(r'"((?:[^"\\]|\\.)*)"')


class Watch:
    """The commands a Redis server runs, as MONITOR prints them, until ``stop``: for each, who
    ran it (``lua`` for a script) and its arguments."""

    def __init__(self, server) -> None:
        self.server = server
        self.sock = socket.create_connection(server.address, timeout=5)
        self.sock.sendall(b"MONITOR\r\n")
        assert self.sock.recv(5) == b"+OK\r\n"

    def stop(self) -> list[tuple[str, list[str]]]:
        self.server.client().echo("watch-end")
        text = b""
        while b'"watch-end"' not in text:
            text += self.sock.recv(65536)
        self.sock.close()
        commands = []
        for line in text.decode().splitlines():
            origin = line.split("[", 1)[1].split("]", 1)[0]  # "0 127.0.0.1:5000" or "0 lua"
            commands.append((origin.split(" ")[1], ARGUMENT.findall(line)))
        return commands


def undeclared(commands: list[tuple[str, list[str]]]) -> list[list[str]]:
    """Commands run inside a script on a key its EVAL/EVALSHA did not declare."""
    found, declared, scripts = [], set(), 0
    for origin, words in commands:
        if words[0].upper() in ("EVAL", "EVALSHA"):
            scripts += 1
            declared = set(words[3 : 3 + int(words[2])])
        elif origin == "lua" and words[0].upper() not in KEYLESS | CHANNELS and words[1] not in declared:
            found.append(words)
    assert scripts, "no script ran"
    return found


@pytest.fixture
def server(redis_servers):  # noqa: F811
    return redis_servers.redis()


def test_presence_scripts_declare_every_key_they_touch(server, settings):
    settings.PRESENCE_TTL_SECONDS = 4  # sockets expire in 3 s: the sweep has work
    store = presence.RedisStore(client=server.client())
    alice, bob = 1, 2
    watch = Watch(server)
    opened = store.open([(alice, "a1", ("lobby:7", "dm:2")), (bob, "b1", ()), (alice, "a2", ("lobby:7",))])
    closed = store.close([(alice, "a1", ("lobby:7", "dm:2"))])
    server.client().zadd(presence.CONNS, {f"{bob}|b1|": 0})  # bob's process stopped beating long ago
    server.client().zadd(presence.user_key("", bob), {"b1": 0})
    swept = store.sweep()
    lines = watch.stop()

    assert {(c.user_id, c.place) for c in opened} == {(1, ""), (1, "lobby:7"), (1, "dm:2"), (2, "")}
    assert {(c.user_id, c.place) for c in closed} == {(1, "dm:2")}  # alice's other socket stays in lobby 7
    assert [(c.user_id, c.place, c.status) for c in swept] == [(2, "", "offline")]
    assert store.present_at("lobby:7") == [alice]
    assert {uid: online for uid, (online, _) in store.states([alice, bob]).items()} == {alice: True, bob: False}
    assert undeclared(lines) == []


def test_rate_limit_and_lease_scripts_declare_every_key_they_touch(server, settings):
    client = server.client()
    watch = Watch(server)
    window = RedisWindow(client=client)
    assert window.hit("declared", 1, 60).allowed and not window.hit("declared", 1, 60).allowed
    assert TimerLease(client=client).held()
    lines = watch.stop()
    assert undeclared(lines) == []


async def test_a_chat_budget_spent_with_its_broadcast_is_one_command_that_declares_its_key(server, settings):
    from gameplatform.data.ratelimit import Publish, ahit
    from gameplatform.data.redis import reset_redis

    settings.REDIS_URL = f"redis://127.0.0.1:{server.port}/0"
    reset_redis()
    try:
        await ahit("warm", limit=1, window=60)  # the script loaded once (NOSCRIPT, SCRIPT LOAD) before watching
        watch = Watch(server)
        message = Publish("gp0:__group__lobby_1", b"frame")
        assert (await ahit("declared", limit=1, window=60, age=0.5, publish=message)).allowed
        assert not (await ahit("declared", limit=1, window=60, publish=message)).allowed
        lines = watch.stop()
    finally:
        reset_redis()
    assert undeclared(lines) == []
    sent = [w[0].upper() for origin, w in lines if origin != "lua" and w[0].upper() not in ("HELLO", "ECHO")]
    assert sent.count("EVALSHA") == 2 and "PUBLISH" not in sent  # each spend and its broadcast: one command
    published = [w for origin, w in lines if origin == "lua" and w[0].upper() == "PUBLISH"]
    assert published == [["PUBLISH", "gp0:__group__lobby_1", "frame"]]  # the allowed one only


async def test_room_lease_and_seat_scripts_declare_every_key_they_touch(server):
    client = redis.asyncio.Redis(host="127.0.0.1", port=server.port)
    store, owner = room_store(client=client, namespace="declared"), uuid.uuid4().hex
    watch = Watch(server)
    assert await store.claim(1, owner) and await store.claim(2, owner)
    assert await store.renew([1, 2, 3], owner) == {1, 2}
    await store.release(1, owner)
    await client.set(store.snapshot_key(4), "saved")
    assert await store.claim_and_load(4, owner) == (True, "saved")
    assert await store.claim_and_load(4, "another") == (False, None)
    assert await store.claim_and_load(5, owner) == (True, None)
    assert [await store.next_seat_number(4, 7) for _ in range(2)] == [1, 2]
    lines = watch.stop()
    await client.aclose()
    assert undeclared(lines) == []


async def test_a_room_store_write_declares_every_key_and_lands_each_part(server):
    from gameplatform.rooms.store import JournalBatch, Listings

    client = redis.asyncio.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
    store = room_store(client=client, namespace="declared")
    await store.write({3: "gone"}, logs={3: [["old"]]}, listings=Listings("o", {3: '{"id":3}'}))
    await client.hset(store.seats_key(3), "30", 1)
    watch = Watch(server)
    await store.write(
        {1: '{"snap":1}', 2: '{"snap":2}', 3: None},
        JournalBatch("o", 7, {1: [["move", 1]]}, keep_from=7, refresh=True),
        Listings("o", {1: '{"id":1}', 3: None}),
        {1: [["move", 1]], 2: [["move", 2]]},
    )
    lines = watch.stop()

    assert undeclared(lines) == []
    sent = [w[0].upper() for origin, w in lines if origin != "lua" and w[0].upper() not in ("HELLO", "ECHO")]
    assert sent == ["EVALSHA"]  # the whole write: one command
    assert await store.load(1) == '{"snap":1}' and await store.load(3) is None
    assert await store.read_log(2) == [["move", 2]] and await store.read_log(3) == []
    assert not await client.exists(store.seats_key(3))
    assert 0 < await client.ttl(store.snapshot_key(1)) <= 24 * 3600 and 0 < await client.ttl(store.log_key(1))
    assert await store.journal("o") == [(7, {1: [["move", 1]]})]
    assert await client.zrange(store.listed_key(), 0, -1) == ["1"]
    assert await client.hgetall(store.listing_key(1)) == {"o": "o", "s": '{"id":1}'}
    await client.aclose()


async def test_a_room_store_write_with_a_failing_part_still_lands_the_others_and_says_it_failed(server):
    from gameplatform.rooms.store import JournalBatch

    client = redis.asyncio.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
    store = room_store(client=client, namespace="failing")
    await store.write({}, JournalBatch("o", 5, {1: [["a"]]}))
    with pytest.raises(redis.exceptions.ResponseError):  # batch 4 after batch 5: the stream refuses it
        await store.write({1: '{"snap":1}'}, JournalBatch("o", 4, {2: [["b"]]}), logs={1: [["a"]]})
    assert await store.load(1) == '{"snap":1}' and await store.read_log(1) == [["a"]]
    assert await store.journal("o") == [(5, {1: [["a"]]})]
    await client.aclose()


async def test_a_room_store_write_made_again_after_it_landed_lands_once(server):
    """The outbox writes a batch again, the same, when its write raised; it may have landed all
    the same (its reply lost with the connection): the journal batch and the log segment stay one."""
    from gameplatform.rooms.store import JournalBatch

    client = redis.asyncio.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
    store = room_store(client=client, namespace="again")
    assert await store.claim(1, "o")
    write = ({1: '{"snap":1}'}, JournalBatch("o", 3, {2: [["b"]]}), None, {1: [["a"]]})
    for _ in range(2):
        assert await store.write(*write, fence="o") == set()
    assert await store.journal("o") == [(3, {2: [["b"]]})]
    assert await store.read_log(1) == [["a"]]
    await store.write({1: '{"snap":2}'}, JournalBatch("o", 4, {2: [["c"]]}), None, {1: [["c"]]}, fence="o")
    assert await store.read_log(1) == [["a"], ["c"]]
    assert [number for number, _ in await store.journal("o")] == [3, 4]
    await client.aclose()
