"""No ghosts in the queue, against real server processes on one PostgreSQL and one Redis.

A queued client that dies leaves the queue within seconds: when its socket drops without a close,
and when the server process holding its socket is killed with SIGKILL (presence keeps that
process's users online for 45 s; the queue reads the processes' beacons). A live player matched
with a player who never comes gets a new match (the Python SDK's ``play()`` follows the call-off)
instead of a game that never starts.

The servers run with a fill window for the arena (``QUEUE_FILL_SECONDS``), so two players queued
for it wait side by side and a watcher's place in the line shows when the other one leaves, and
with a short match window (``MATCH_CONNECT_SECONDS``). They get a redis-server of their own (as
``game/tests/test_room_takeover_live.py``): the kill test must not share presence with other
servers of the session.
"""

import asyncio
import time
import uuid

import httpx
import pytest
from gameplatform_client import GameClient
from websockets.asyncio.client import connect

from conftest import requires_postgres, requires_redis
from gameplatform.tests.live import LiveServer, Pair, bearer, receive_type
from gameplatform.tests.test_faults import requires_redis_server

# Each test starts live servers: run again under daphne by `make test` (conftest.py).
# Holds a route or frame family of the contract to the server: `make test` runs it under daphne too.
pytestmark = [pytest.mark.contract, pytest.mark.live, requires_postgres, requires_redis, requires_redis_server]

ALIVE_SECONDS = 5  # QUEUE_ALIVE_SECONDS's default
MATCH_WINDOW = 3  # MATCH_CONNECT_SECONDS of these servers
# From a client's death to its entry's end: the window after its last sign of life (or the
# killed process's 5 s beacon), the timer's second, and a busy machine's slack.
MISS_SECONDS = 3  # QUEUE_MISS_SECONDS's default: a second look without a socket, this much later, drops
GONE_WITHIN = ALIVE_SECONDS + MISS_SECONDS + 6.0
ENV = {"QUEUE_FILL_SECONDS": "600", "MATCH_CONNECT_SECONDS": str(MATCH_WINDOW)}
_run = uuid.uuid4().hex[:6]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    with Pair(tmp_path_factory.mktemp("b"), "queue_live", env=ENV) as servers:
        yield servers


@pytest.fixture(scope="module")
def cluster(pair):
    """The module's database and Redis, and server B on them (it survives every test)."""
    return pair.survivor


@pytest.fixture
def doomed(pair, tmp_path):
    """Server A of one test, on B's database and Redis: the test kills it."""
    a = pair.second(tmp_path)
    yield a
    a.stop()


async def user(server: LiveServer, tag: str) -> dict:
    return await asyncio.to_thread(server.register, f"{tag}_{_run}_{uuid.uuid4().hex[:4]}")


async def notifications(server: LiveServer, who: dict):
    ws = await connect(
        f"{server.ws}/ws/notifications/", additional_headers=bearer(who["access"]), ping_interval=None, open_timeout=10
    )
    await receive_type(ws, "badge")
    return ws


async def call(server: LiveServer, method: str, path: str, who: dict, **body) -> dict:
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        answer = await http.request(method, path, json=body or None, headers=bearer(who["access"]))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def place_once_gone(server: LiveServer, watcher: dict, since: float) -> float:
    """Seconds from ``since`` until ``watcher``, second in the arena's line, is first: the one ahead left."""
    while True:
        status = await call(server, "GET", "/api/matchmaking/status/", watcher)
        assert status["status"] == "queued", status
        if status["position"] == 1:
            return time.monotonic() - since
        assert time.monotonic() - since < GONE_WITHIN + 10, "the dead client is still queued"
        await asyncio.sleep(0.25)


async def queued_behind(server: LiveServer, ghost: dict) -> tuple[dict, object]:
    """A watcher with a socket (so always there), queued for the arena behind ``ghost``."""
    watcher = await user(server, "watcher")
    ws = await notifications(server, watcher)
    status = await call(server, "POST", "/api/matchmaking/join/", watcher, mode="arena")
    assert (status["status"], status["position"]) == ("queued", 2), status
    return watcher, ws


async def test_a_queued_client_whose_socket_drops_without_a_close_is_out_of_the_queue_within_seconds(cluster):
    """A queued client whose socket drops without a close is out of the queue within seconds. Slow
    by the rule it checks: the ghost must first outlive its join's window
    (``QUEUE_ALIVE_SECONDS``, 5 s) on its socket alone, then the queue has up to ``GONE_WITHIN``
    (14 s) to drop it; as the module's first test it also starts server B and its redis-server."""
    b = cluster
    offset = b.log_size()
    ghost = await user(b, "ghost")
    ghost_ws = await notifications(b, ghost)
    assert (await call(b, "POST", "/api/matchmaking/join/", ghost, mode="arena"))["position"] == 1
    watcher, watcher_ws = await queued_behind(b, ghost)
    await asyncio.sleep(ALIVE_SECONDS + 1)  # past the join's window: the ghost stays for its socket alone
    assert (await call(b, "GET", "/api/matchmaking/status/", watcher))["position"] == 2

    ghost_ws.transport.abort()  # the client dies: no close frame, the connection just ends
    took = await place_once_gone(b, watcher, time.monotonic())
    print(f"\na socket dropped without a close: out of the queue {took:.1f} s after")

    assert took < GONE_WITHIN, took
    await call(b, "POST", "/api/matchmaking/leave/", watcher)  # the next test's line starts empty
    await watcher_ws.close()
    assert not b.errors_since(offset)


async def test_a_queued_client_whose_server_is_killed_is_out_of_the_queue_within_seconds(cluster, doomed):
    """A queued client whose server process is killed is out of the queue within seconds. Slow by
    the rule it checks: the ghost first outlives its join's window (5 s), then the queue needs
    the killed process's beacon (5 s) and the timers' lease (3 s) to drop it; it also starts
    server A, the one it kills."""
    a, b = doomed, cluster
    offset = b.log_size()
    ghost = await user(a, "ghost")
    ghost_ws = await notifications(a, ghost)  # its only socket, on A
    assert (await call(a, "POST", "/api/matchmaking/join/", ghost, mode="arena"))["position"] == 1
    watcher, watcher_ws = await queued_behind(b, ghost)
    await asyncio.sleep(ALIVE_SECONDS + 1)
    assert (await call(b, "GET", "/api/matchmaking/status/", watcher))["position"] == 2

    await asyncio.to_thread(a.kill)  # SIGKILL: A closes nothing; the client is gone with it
    killed = time.monotonic()
    took = await place_once_gone(b, watcher, killed)
    print(f"\na client whose server was killed: out of the queue {took:.1f} s after the kill")

    # Measured 9-10 s: the killed process's beacon (5 s), and the timers' lease (3 s) when the
    # killed server was the one running the timers; presence alone would have kept it 45 s.
    assert took < GONE_WITHIN + 5, took
    ghost_ws.transport.abort()
    await call(b, "POST", "/api/matchmaking/leave/", watcher)
    await watcher_ws.close()
    assert not b.errors_since(offset)


async def test_a_live_player_matched_with_a_no_show_gets_a_new_match_instead_of_a_game_that_never_starts(cluster):
    """A live player matched with a no-show gets a new match instead of a game that never starts.
    Slow by the rules it checks: the match with the ghost must run out its window
    (``MATCH_CONNECT_SECONDS``, 3 s) before it is called off, and the queue's timers act once a
    second; the first test of the module on a worker also starts server B and its redis-server."""
    b = cluster
    offset = b.log_size()
    ghost = await user(b, "ghost")  # queues over REST, then its client dies before the game
    assert (await call(b, "POST", "/api/matchmaking/join/", ghost, mode="tictactoe"))["status"] == "queued"
    alice, bob = GameClient(b.http), GameClient(b.http)
    try:
        for client, name in ((alice, "alice"), (bob, "bob")):
            await client.register(f"{name}_{_run}_{uuid.uuid4().hex[:4]}", "pass-w0rd-long-enough")
            await client.me()
        started = time.monotonic()
        alice_plays = asyncio.create_task(alice.play("tictactoe", timeout=40))
        while (ghost_status := await call(b, "GET", "/api/matchmaking/status/", ghost))["status"] != "matched":
            assert time.monotonic() - started < 10, "alice was not matched with the ghost"
            await asyncio.sleep(0.1)
        no_show_game = ghost_status["game_id"]
        # play() joins the queue first and opens the notification socket next: on a busy machine
        # the match with the ghost can come in between.
        while alice.notifications is None:
            assert time.monotonic() - started < 10, "alice's notification socket did not open"
            await asyncio.sleep(0.05)
        cancelled = await alice.notifications.wait_for("match_cancelled", timeout=MATCH_WINDOW + 10)
        assert cancelled["game_id"] == no_show_game and cancelled["reason"] == "no_show"
        assert not alice_plays.done()  # still looking: no game that never starts is handed back
        assert (await alice.queue_status())["position"] == 1  # in front, with her wait

        bob_room = await bob.play("tictactoe", timeout=20)
        alice_room = await alice_plays
        assert alice_room.game_id == bob_room.game_id != no_show_game
        assert alice_room.phase == "waiting_for_ready"  # both came: the game can start
        assert {p["id"] for p in alice_room.players} == {alice.user_id, bob.user_id}
        record = await alice.get_game(no_show_game)
        assert (record["state"], record["reason"]) == ("abandoned", "abandoned")
        assert (await call(b, "GET", "/api/matchmaking/status/", ghost))["status"] == "idle"  # not queued again
    finally:
        await alice.disconnect()
        await bob.disconnect()
    assert not b.errors_since(offset)
