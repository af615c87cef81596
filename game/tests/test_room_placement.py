"""New rooms placed by load (``gameplatform.rooms.placement``): on the least-loaded live process
when another runs clearly fewer rooms, never on one that is leaving, and opened where the first
socket is when the process asked does not answer.

The rule itself (``choose``) is tested on made-up reports; the reports on real Redis; placement
with several ``RoomHost`` objects in one process (each a server process: its own name, its own
group on the hub) over real Redis; and end to end on two live server processes.
"""

import json
import time
import uuid
from urllib.parse import urlparse

import pytest
import redis.asyncio

from conftest import requires_postgres, requires_redis
from game.modes.builtin.tictactoe import TicTacToe
from game.tests.test_room_host import Records
from gameplatform.broadcast.groups import host_group
from gameplatform.broadcast.hub import get_hub
from gameplatform.data.redis import get_redis
from gameplatform.rooms import RedisRoomStore, RoomHost
from gameplatform.rooms.placement import PLACE_SECONDS, Load, choose
from gameplatform.testhelpers import eventually
from gameplatform.tests.live import LiveServer, Pair, receive_type
from gameplatform.tests.test_faults import requires_redis_server


def load(owner: str, rooms: int, *, leaving: bool = False, cpu: float = 0.1) -> Load:
    return Load(owner=owner, number=1, rooms=rooms, sockets=2 * rooms, cpu=cpu, leaving=leaving, at=0.0)


# --- the rule ---------------------------------------------------------------------------


def test_a_new_room_stays_where_its_socket_is_while_no_process_runs_clearly_fewer():
    assert choose([load("a", 0), load("b", 0)], "a", {}) is None
    assert choose([load("a", 1), load("b", 0)], "a", {}) is None  # one fewer: not worth a hop
    assert choose([load("a", 9), load("b", 8)], "a", {}) is None
    assert choose([load("a", 20), load("b", 17)], "a", {}) is None  # three fewer, not a fifth
    assert choose([load("a", 2)], "a", {}) is None  # nobody else


def test_a_new_room_goes_to_the_least_loaded_process_when_it_runs_a_fifth_fewer_and_two_fewer():
    loads = [load("a", 10), load("b", 8), load("c", 5)]
    assert choose(loads, "a", {}).owner == "c"
    assert choose([load("a", 2), load("b", 0)], "a", {}).owner == "b"
    # Equal rooms: the one with less CPU.
    assert choose([load("a", 9), load("b", 3, cpu=0.8), load("c", 3, cpu=0.2)], "a", {}).owner == "c"


def test_the_rooms_placed_on_a_process_since_its_report_count_against_it():
    loads = [load("a", 10), load("b", 4), load("c", 5)]
    assert choose(loads, "a", {"b": 2}).owner == "c"
    assert choose(loads, "a", {"b": 5, "c": 4}) is None  # 9 and 9 against 10


def test_a_leaving_process_gets_no_new_room_and_places_its_own_elsewhere():
    assert choose([load("a", 10), load("b", 0, leaving=True)], "a", {}) is None
    assert choose([load("a", 10), load("b", 0, leaving=True), load("c", 9)], "a", {}) is None
    assert choose([load("a", 0, leaving=True), load("b", 5)], "a", {}).owner == "b"
    assert choose([load("a", 0, leaving=True), load("b", 5, leaving=True)], "a", {}) is None


def test_a_report_of_another_version_is_not_read():
    assert Load.from_json('{"owner": "a", "rooms": 1}') is None
    assert Load.from_json("not json") is None
    assert Load.from_json(load("a", 3).as_json()) == load("a", 3)


# --- the reports, on Redis ------------------------------------------------------------


@requires_redis
@pytest.mark.django_db
async def test_a_process_that_stops_reporting_drops_out_within_its_report_time():
    store = RedisRoomStore()
    await store.report_load("alive", load("alive", 1).as_json(), 30)
    await store.report_load("dead", load("dead", 0).as_json(), 0.2)
    assert sorted(json.loads(t)["owner"] for t in await store.loads(30)) == ["alive", "dead"]

    async def only_the_live_one():
        return [json.loads(t)["owner"] for t in await store.loads(30)] == ["alive"]

    await eventually(only_the_live_one, timeout=5, what="the dead process's report gone")
    # The index holds the live ones only: it does not grow with every process that ever ran.
    assert get_redis().smembers(store.loads_key()) == {b"alive"}
    await store.forget_load("alive")
    assert await store.loads(30) == []


@requires_redis
@pytest.mark.django_db
async def test_a_room_with_an_owner_or_a_snapshot_is_not_new():
    store = RedisRoomStore()
    assert await store.new_room(1)
    assert await store.claim(1, "a")
    assert not await store.new_room(1)
    await store.save(2, json.dumps({"tick": 0}))
    assert not await store.new_room(2)


# --- placement between hosts of one process -------------------------------------------


@pytest.fixture
def placing(settings):
    settings.ROOM_PLACEMENT = "load"


async def serving_hosts(records: Records, count: int) -> list[RoomHost]:
    hosts = [
        RoomHost(records.hooks(), wire=records.wire(), owner=f"host{i}-{uuid.uuid4().hex[:6]}") for i in range(count)
    ]
    for host in hosts:
        await host.placement.serve()
    return hosts


async def stop_all(hosts: list[RoomHost]) -> None:
    for host in hosts:
        await host.stop()


def runs(hosts: list[RoomHost], game_id: int) -> list[str]:
    return [host.owner for host in hosts if game_id in host.running]


async def report_interval(hosts: list[RoomHost]) -> None:
    """A report interval passes (a third of a lease): every host reports, and each reads the reports again."""
    for host in hosts:
        await host.placement.report_once()
    for host in hosts:
        host.placement.forget_loads()


@requires_redis
@pytest.mark.django_db
async def test_rooms_whose_first_sockets_all_reach_one_process_spread_over_three(placing):
    hosts = await serving_hosts(Records(TicTacToe()), 3)
    first = hosts[0]
    try:
        for game_id in range(1, 31):
            here = await first.place(game_id, player_id=1)
            assert here == (game_id in first.running)
            assert len(runs(hosts, game_id)) == 1, f"game {game_id} runs on {runs(hosts, game_id)}"
            await report_interval(hosts)
        counts = sorted(len(host.running) for host in hosts)
        assert sum(counts) == 30
        assert counts[-1] - counts[0] <= 3, counts  # 30/0/0 without placement
        assert len(first.running) > counts[0]  # the socket's process keeps the most: the margin
        assert [host.placement.on_the_way() for host in hosts] == [0, 0, 0]  # nothing kept per placed room
    finally:
        await stop_all(hosts)


@requires_redis
@pytest.mark.django_db
async def test_rooms_whose_sockets_arrive_evenly_stay_where_their_sockets_are(placing):
    hosts = await serving_hosts(Records(TicTacToe()), 3)
    try:
        for game_id in range(1, 31):
            arrived = hosts[game_id % 3]
            assert await arrived.place(game_id, player_id=1), f"game {game_id} placed elsewhere"
            if game_id % 5 == 0:
                await report_interval(hosts)
        assert [len(host.running) for host in hosts] == [10, 10, 10]
    finally:
        await stop_all(hosts)


@requires_redis
@pytest.mark.django_db
async def test_a_draining_process_gets_no_new_room(placing):
    hosts = await serving_hosts(Records(TicTacToe()), 3)
    first, draining, third = hosts
    try:
        assert await draining.drain() == 0
        for game_id in range(1, 21):
            await first.place(game_id, player_id=1)
            await report_interval([first, third])
        assert not draining.running
        assert len(first.running) + len(third.running) == 20 and third.running
    finally:
        await stop_all(hosts)


@requires_redis
@pytest.mark.django_db
async def test_a_new_room_is_opened_here_when_the_process_asked_does_not_answer(placing):
    (host,) = await serving_hosts(Records(TicTacToe()), 1)
    try:
        for game_id in (1, 2):
            assert await host.place(game_id, player_id=1)
        # A process that died a moment ago: its report is still there, nobody hears its group.
        await host.store.report_load("ghost", Load("ghost", 12345, 0, 0, 0.0, False, time.time()).as_json(), 30)
        await report_interval([host])
        asked = time.monotonic()
        assert await host.place(3, player_id=1)
        assert PLACE_SECONDS <= time.monotonic() - asked < PLACE_SECONDS + 2
        assert 3 in host.running
    finally:
        await host.stop()


@requires_redis
@pytest.mark.django_db
async def test_a_stopped_host_withdraws_its_report_and_leaves_its_group(placing):
    hosts = await serving_hosts(Records(TicTacToe()), 2)
    store = hosts[0].store
    numbers = [host.placement.number for host in hosts]
    assert len(await store.loads(30)) == 2
    await stop_all(hosts)
    assert await store.loads(30) == []
    assert not any(host_group(n) in get_hub().members for n in numbers)


@requires_redis
@pytest.mark.django_db
async def test_rooms_stay_where_their_socket_is_under_local_placement(settings):
    settings.ROOM_PLACEMENT = "local"
    hosts = await serving_hosts(Records(TicTacToe()), 2)
    try:
        for game_id in range(1, 11):
            assert await hosts[0].place(game_id, player_id=1)
        assert len(hosts[0].running) == 10 and not hosts[1].running
    finally:
        await stop_all(hosts)


# --- two live server processes ---------------------------------------------------------


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    with Pair(tmp_path_factory.mktemp("placement"), "placement", env={"ROOM_PLACEMENT": "load"}) as servers:
        yield servers


async def reported(pair: Pair) -> list[Load]:
    """The live processes' last reports, as the servers read them."""
    client = redis.asyncio.from_url(pair.redis.url)
    try:
        store = RedisRoomStore(client, namespace=urlparse(pair.database_url).path.lstrip("/"))
        return [Load.from_json(text) for text in await store.loads(30)]
    finally:
        await client.aclose()


@pytest.mark.live
@requires_postgres
@requires_redis
@requires_redis_server
async def test_new_games_whose_sockets_all_reach_one_server_run_on_both_and_none_on_a_leaving_one(pair, tmp_path):
    from game.tests.test_room_takeover_live import matched_game, open_game, send

    b = pair.survivor
    leaving = tmp_path / "leaving"  # A's preStop file (the Kubernetes package writes it)
    env = {"REDIS_URL": pair.redis.url, "ROOM_PLACEMENT": "load", "ROOM_LEAVING_FILE": str(leaving)}
    a = LiveServer(tmp_path, database_url=pair.database_url, prepare=False, env=env).start()
    sockets = []

    async def games_on_b(count: int, tag: str) -> None:
        for n in range(count):
            one, two, game_id = await matched_game(b, "tictactoe", f"{tag}{n}")
            for player in (one, two):
                ws = await open_game(b, game_id, player["access"])
                sockets.append(ws)
                await receive_type(ws, "game_state", id=game_id)

    try:
        await reports_when(pair, lambda loads: len(loads) == 2, "both servers' reports", timeout=30)
        await games_on_b(8, "s")
        loads = await reports_when(pair, lambda loads: total_rooms(loads) == 8, "8 rooms")
        assert min(x.rooms for x in loads) >= 2, loads  # 8 and 0 without placement
        # A game placed on A plays: its sockets' frames on B go there.
        for ws in sockets[-2:]:
            await send(ws, {"type": "player_ready"})
        for ws in sockets[-2:]:
            await receive_type(ws, "game_state", state="active")

        leaving.touch()  # A is on its way out: it takes no new room from its next report on
        loads = await reports_when(pair, lambda loads: any(x.leaving for x in loads), "A leaving")
        (on_a,) = [x.rooms for x in loads if x.leaving]
        await games_on_b(6, "l")
        loads = await reports_when(pair, lambda loads: total_rooms(loads) == 14, "14 rooms")
        assert [x.rooms for x in loads if x.leaving] == [on_a], loads
    finally:
        for ws in sockets:
            await ws.close()
        a.stop()


async def reports_when(pair: Pair, done, what: str, timeout: float = 15) -> list[Load]:
    """The servers' reports once ``done(reports)``: another process's state, read until it is so."""

    async def check():
        loads = await reported(pair)
        return loads if done(loads) else None

    return await eventually(check, timeout=timeout, what=what)


def total_rooms(loads: list[Load]) -> int:
    return sum(x.rooms for x in loads)
