"""A room survives the kill of its owner: two live server processes on one PostgreSQL and one Redis.

Player 1's game socket opens on server A first, so A owns the room; player 2's is on server B.
A is killed with SIGKILL mid-game. B holds a socket of the game, sees the room's lease run out
(``ROOM_LEASE_SECONDS``, 3 s), takes the room over from its last snapshot in Redis and asks the
game's sockets to take their seats again: player 2, who only stayed connected, gets a fresh
``game_state`` as the game was. Player 1 reconnects to B, and they play to the end there.

B survives both tests (the module's server); each test starts an A of its own and kills it. The
servers get a redis-server of their own: the game group names carry ids, and another live server
of the session on the shared Redis (other database, same ids) would hear these games.
"""

import asyncio
import json
import os
import signal
import time
import uuid

import httpx
import pytest
from websockets.asyncio.client import connect

from conftest import requires_postgres, requires_redis
from gameplatform.modes.patch import apply as apply_patch
from gameplatform.tests.live import LiveServer, Pair, bearer, receive_type
from gameplatform.tests.test_faults import requires_redis_server

# Each test starts live servers: run again under daphne by `make test` (conftest.py).
pytestmark = [pytest.mark.live, requires_postgres, requires_redis, requires_redis_server]

TAKEOVER_LIMIT = 6.0  # seconds from the kill to the survivor's fresh game_state (the lease is 3 s)
SNAPSHOT_TICKS = 10  # the mode API's default: a real-time room is saved every 10 ticks
_run = uuid.uuid4().hex[:6]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    # A new room opens where its first socket is (``local``): these tests make A own it. Where a
    # new room runs by load is tested in test_room_placement.py.
    with Pair(tmp_path_factory.mktemp("b"), "takeover", env={"ROOM_PLACEMENT": "local"}) as servers:
        yield servers


@pytest.fixture(scope="module")
def cluster(pair):
    """The module's database and Redis, and server B on them (the survivor of every test)."""
    return pair.survivor


@pytest.fixture
def owner(pair, tmp_path):
    """Server A of one test, on B's database and Redis: it owns the room until the test kills it."""
    a = pair.second(tmp_path)
    yield a
    a.stop()


async def open_game(server: LiveServer, game_id: int, access: str):
    return await connect(
        f"{server.ws}/ws/game/{game_id}/",
        additional_headers=bearer(access),
        compression=None,
        ping_interval=None,
        open_timeout=10,
    )


async def send(ws, frame: dict) -> None:
    await ws.send(json.dumps(frame))


async def matched_game(server: LiveServer, mode: str, tag: str = "") -> tuple[dict, dict, int]:
    """Two new users, queued for ``mode`` through the REST API: the second join matches them."""
    one = await asyncio.to_thread(server.register, f"p1{tag}_{mode}_{_run}")
    two = await asyncio.to_thread(server.register, f"p2{tag}_{mode}_{_run}")
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        first = await http.post("/api/matchmaking/join/", json={"mode": mode}, headers=bearer(one["access"]))
        assert first.status_code == 200 and first.json()["status"] == "queued", first.text
        second = await http.post("/api/matchmaking/join/", json={"mode": mode}, headers=bearer(two["access"]))
        assert second.status_code == 200 and second.json()["status"] == "matched", second.text
    return one, two, second.json()["game_id"]


async def start_on_two_servers(a: LiveServer, b: LiveServer, mode: str, tag: str = ""):
    """A game of ``mode`` running on A: player 1's socket on A (first: A owns the room), player 2's on B."""
    one, two, game_id = await matched_game(b, mode, tag)
    ws1 = await open_game(a, game_id, one["access"])
    await receive_type(ws1, "game_state", id=game_id)
    ws2 = await open_game(b, game_id, two["access"])
    await receive_type(ws2, "game_state", id=game_id)
    for ws in (ws1, ws2):
        await send(ws, {"type": "player_ready"})
    active = [await receive_type(ws, "game_state", state="active") for ws in (ws1, ws2)]
    return one, two, game_id, ws1, ws2, active[1]


async def kill(server: LiveServer) -> float:
    await asyncio.to_thread(server.kill)
    return time.monotonic()


async def finished_record(server: LiveServer, game_id: int, access: str) -> dict:
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        answer = await http.get(f"/api/games/{game_id}/", headers=bearer(access))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def standings(server: LiveServer, mode: str, access: str) -> dict[int, dict]:
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        answer = await http.get("/api/leaderboard/", params={"mode": mode}, headers=bearer(access))
    assert answer.status_code == 200, answer.text
    return {row["user"]["id"]: row for row in answer.json()["results"]}


async def test_killed_owner_tictactoe_room_is_taken_over_with_its_board_and_played_to_the_end(cluster, owner):
    a, b = owner, cluster
    offset = b.log_size()
    one, two, game_id, ws1, ws2, active = await start_on_two_servers(a, b, "tictactoe")
    state = None
    players = {one["id"]: ws1, two["id"]: ws2}
    # Whoever has the first turn plays X: 0, then O: 3.
    x_id = active["turn"]
    o_id = two["id"] if x_id == one["id"] else one["id"]
    for mover, cell in ((x_id, 0), (o_id, 3)):
        await send(players[mover], {"type": "player_move", "movement": {"cell": cell}})
        for ws in (ws1, ws2):
            state = await _board_with(ws, cell)
    board = state["board"]
    assert board[0] == "X" and board[3] == "O"

    killed = await kill(a)
    fresh = await receive_type(ws2, "game_state", timeout=TAKEOVER_LIMIT + 4, id=game_id)
    took = time.monotonic() - killed
    print(f"\ntakeover (tictactoe): {took:.2f} s from the kill to player 2's fresh game_state")
    assert fresh["state"] == "active" and fresh["board"] == board and fresh["turn"] == x_id
    assert took < TAKEOVER_LIMIT, took

    ws1.transport.abort()  # the dead server's socket, on the client's side
    ws1 = players[one["id"]] = await open_game(b, game_id, one["access"])
    again = await receive_type(ws1, "game_state", id=game_id)
    assert again["state"] == "active" and again["board"] == board and again["turn"] == x_id

    for mover, cell in ((x_id, 1), (o_id, 4), (x_id, 2)):
        await send(players[mover], {"type": "player_move", "movement": {"cell": cell}})
        if cell != 2:
            for ws in (ws1, ws2):
                await _board_with(ws, cell)
    for ws in (ws1, ws2):
        over = await receive_type(ws, "game_over")
        assert over == {"type": "game_over", "winner_id": x_id, "reason": "win"}

    record = await finished_record(b, game_id, one["access"])
    assert record["state"] == "finished" and record["winner_id"] == x_id and record["reason"] == "win"
    assert record["board"] == ["X", "X", "X", "O", "O", None, None, None, None]
    changes = {p["id"]: p["rating_change"] for p in record["players"]}
    assert changes[x_id] > 0 and changes[o_id] == -changes[x_id]
    table = await standings(b, "tictactoe", one["access"])  # rated once: one win, one loss
    assert (table[x_id]["wins"], table[x_id]["losses"], table[x_id]["draws"]) == (1, 0, 0)
    assert (table[o_id]["wins"], table[o_id]["losses"], table[o_id]["draws"]) == (0, 1, 0)
    start = table[x_id]["rating"] - changes[x_id]
    assert table[o_id]["rating"] == start + changes[o_id]
    for ws in (ws1, ws2):
        await ws.close()
    b.assert_alive()
    errors = b.errors_since(offset)
    assert not errors, "the surviving server logged errors:\n" + "\n".join(errors)


async def _board_with(ws, cell: int) -> dict:
    """The next game_state whose board has ``cell`` taken."""
    async with asyncio.timeout(10):
        while True:
            state = await receive_type(ws, "game_state")
            if state["board"][cell] is not None:
                return state


async def test_killed_owner_arena_room_ticks_on_from_its_snapshot_on_the_other_server(cluster, owner):
    a, b = owner, cluster
    offset = b.log_size()
    one, two, game_id, ws1, ws2, active = await start_on_two_servers(a, b, "arena")
    me = str(two["id"])
    start = active["view"]["players"][me]
    # Both move; player 2's inputs cross from B to the owner A through the channel layer.
    await send(ws1, {"type": "input", "data": {"dx": -1, "dy": 0}})
    await send(ws2, {"type": "input", "data": {"dx": 0, "dy": 1}})
    view = active["view"]
    last_tick = active["tick"]
    async with asyncio.timeout(10):
        while last_tick < active["tick"] + 15:  # three quarters of a second of play on A
            patch = await receive_type(ws2, "state_patch")
            assert patch["tick"] > last_tick
            last_tick = patch["tick"]
            view = apply_patch(view, patch["ops"])
    assert view["players"][me]["y"] > start["y"]  # player 2's input moved them on A

    killed = await kill(a)
    # Frames A sent before it died may still be on the way: the last tick player 2 saw, then the fresh state.
    async with asyncio.timeout(TAKEOVER_LIMIT + 4):
        while (frame := json.loads(await ws2.recv()))["type"] != "game_state":
            if frame["type"] == "state_patch":
                last_tick = frame["tick"]
                view = apply_patch(view, frame["ops"])
    took = time.monotonic() - killed
    print(f"\ntakeover (arena): {took:.2f} s from the kill to player 2's fresh game_state")
    assert frame["state"] == "active" and took < TAKEOVER_LIMIT, (frame["state"], took)
    assert frame["tick"] >= last_tick - SNAPSHOT_TICKS, (frame["tick"], last_tick)
    resumed = frame["view"]
    assert resumed["players"][me]["y"] > start["y"]  # what A did before the snapshot is kept

    # B runs the room now: it ticks on, and player 2's new input (local now) turns them around.
    await send(ws2, {"type": "input", "data": {"dx": 0, "dy": -1}})
    tick, view = frame["tick"], resumed
    async with asyncio.timeout(10):
        while tick < frame["tick"] + 10:
            patch = await receive_type(ws2, "state_patch")
            assert patch["tick"] > tick
            tick = patch["tick"]
            view = apply_patch(view, patch["ops"])
    assert view["players"][me]["y"] < resumed["players"][me]["y"]

    ws1.transport.abort()  # the dead server's socket, on the client's side
    ws1 = await open_game(b, game_id, one["access"])
    again = await receive_type(ws1, "game_state", id=game_id)
    assert again["state"] == "active" and again["tick"] >= tick
    await send(ws1, {"type": "forfeit"})
    for ws in (ws1, ws2):
        over = await receive_type(ws, "game_over")
        assert over == {"type": "game_over", "winner_id": two["id"], "reason": "forfeit"}
    record = await finished_record(b, game_id, two["access"])
    assert record["state"] == "finished" and record["winner_id"] == two["id"] and record["reason"] == "forfeit"
    for ws in (ws1, ws2):
        await ws.close()
    b.assert_alive()
    errors = b.errors_since(offset)
    assert not errors, "the surviving server logged errors:\n" + "\n".join(errors)


async def _outcome(ws) -> dict:
    """What the survivor's socket hears after the owner died: the game's end (its last
    ``game_state``, then ``game_over``), or its fresh state as the game goes on."""
    while True:
        frame = json.loads(await ws.recv())
        if frame["type"] == "game_over" or (frame["type"] == "game_state" and frame["state"] == "active"):
            return frame


async def test_a_forfeit_whose_owner_died_milliseconds_later_reaches_the_player_on_the_other_server(
    pair, cluster, tmp_path
):
    """Arena: player 1, on the room's process A, forfeits, and A is killed 2 ms later. Player 2,
    on B, hears how the game stands within the takeover time, every round: ``game_over`` when the
    forfeit was taken (and the record says so), or the game going on when A died before it took
    it (and nothing is recorded). Before the room engine kept its steps, player 2 heard nothing
    for 15 s, though the result was recorded.
    It takes tens of seconds: three rounds, each starting a server A of its own, killing it, and waiting
    up to the takeover time (the room's lease is 3 s) for player 2 to hear."""
    b = cluster
    for round_ in range(3):
        workdir = tmp_path / str(round_)
        workdir.mkdir()
        a = pair.second(workdir)
        try:
            one, two, game_id, ws1, ws2, _ = await start_on_two_servers(a, b, "arena", tag=f"f{round_}")
            await send(ws1, {"type": "forfeit"})
            await asyncio.sleep(0.002)
            killed = await kill(a)
            async with asyncio.timeout(TAKEOVER_LIMIT + 4):
                frame = await _outcome(ws2)
            took = time.monotonic() - killed
            record = await finished_record(b, game_id, two["access"])
            print(f"\nround {round_}: {frame['type']} {took:.2f} s after the kill")
            assert took < TAKEOVER_LIMIT, took
            if frame["type"] == "game_over":
                assert frame == {"type": "game_over", "winner_id": two["id"], "reason": "forfeit"}
                assert record["state"] == "finished" and record["winner_id"] == two["id"], record
            else:
                assert record["state"] != "finished", record
            ws1.transport.abort()
            await ws2.close()
        finally:
            a.stop()
    b.assert_alive()


async def _replaced(ws) -> int:
    """The ``replaced`` error an older socket hears, then its close code."""
    error = await receive_type(ws, "error")
    assert error["code"] == "replaced", error
    await asyncio.wait_for(ws.wait_closed(), 10)
    return ws.close_code


async def test_a_players_newer_socket_on_the_other_server_replaces_the_older_one_either_way(cluster, owner):
    """One socket per seat across processes: the room (on A) orders the connects and tells the
    replaced socket, wherever it is, to close 4409; the newer one plays on."""
    a, b = owner, cluster
    one, two, game_id, ws1, ws2, active = await start_on_two_servers(a, b, "tictactoe", tag="r")
    # Player 1's socket is on A, the room's process; the newer one on B.
    ws1_b = await open_game(b, game_id, one["access"])
    assert (await receive_type(ws1_b, "game_state", id=game_id))["state"] == "active"
    assert await _replaced(ws1) == 4409
    # Player 2's socket is on B; the newer one on A.
    ws2_a = await open_game(a, game_id, two["access"])
    assert (await receive_type(ws2_a, "game_state", id=game_id))["state"] == "active"
    assert await _replaced(ws2) == 4409
    # The newer sockets hold the seats: a move reaches both, and nobody was counted away.
    players = {one["id"]: ws1_b, two["id"]: ws2_a}
    await send(players[active["turn"]], {"type": "player_move", "movement": {"cell": 4}})
    for ws in (ws1_b, ws2_a):
        state = await _board_with(ws, 4)
        assert [p["connected"] for p in state["players"]] == [True, True]
    for ws in (ws1_b, ws2_a):
        await ws.close()


async def _keeps_its_seat(ws, seconds: float) -> None:
    """Nothing in ``seconds`` tells ``ws`` it was replaced, and it stays open."""
    try:
        async with asyncio.timeout(seconds):
            while True:
                frame = json.loads(await ws.recv())
                assert not (frame["type"] == "error" and frame["code"] == "replaced"), frame
    except TimeoutError:
        pass
    assert ws.close_code is None


async def test_after_a_reconnect_storm_across_both_servers_the_players_newest_socket_keeps_the_seat(cluster, owner):
    """A flaky network's storm: a dozen sockets of one player opened at once on both servers and
    closed as soon as they open, then one fresh socket. However late the storm's sockets finish
    setting up, the fresh one keeps the seat, and the opponent sees the player connected."""
    a, b = owner, cluster
    one, two, game_id, ws1, ws2, active = await start_on_two_servers(a, b, "tictactoe", tag="st")
    for storm in range(10):

        async def flash(server: LiveServer) -> None:
            ws = await open_game(server, game_id, one["access"])
            await ws.close()

        await asyncio.gather(*(flash(a if i % 2 else b) for i in range(12)))
        fresh = await open_game(b if storm % 2 else a, game_id, one["access"])
        assert (await receive_type(fresh, "game_state", id=game_id))["state"] == "active"
        await _keeps_its_seat(fresh, 1.0)
        if storm < 9:
            await fresh.close()
    # The last fresh socket plays: its move reaches the opponent, who sees both players connected.
    if active["turn"] == one["id"]:
        await send(fresh, {"type": "player_move", "movement": {"cell": 4}})
    else:
        await send(ws2, {"type": "player_move", "movement": {"cell": 4}})
    state = await _board_with(ws2, 4)
    assert [p["connected"] for p in state["players"]] == [True, True]
    for ws in (fresh, ws2):
        await ws.close()


async def test_a_result_whose_database_worker_was_killed_is_recorded_once_by_a_new_one(cluster):
    """The rooms' database work runs in worker processes: one killed (out of memory, say) costs
    the result nothing. The room tries again, new workers record it, once."""
    b = cluster
    one, two, game_id = await matched_game(b, "tictactoe", "w")
    ws1, ws2 = await open_game(b, game_id, one["access"]), await open_game(b, game_id, two["access"])
    for ws in (ws1, ws2):
        await receive_type(ws, "game_state", id=game_id)
        await send(ws, {"type": "player_ready"})
    active = [await receive_type(ws, "game_state", state="active") for ws in (ws1, ws2)][0]
    x_id = active["turn"]
    o_id = two["id"] if x_id == one["id"] else one["id"]
    players = {one["id"]: ws1, two["id"]: ws2}
    for mover, cell in ((x_id, 0), (o_id, 3), (x_id, 1), (o_id, 4)):
        await send(players[mover], {"type": "player_move", "movement": {"cell": cell}})
        for ws in (ws1, ws2):
            await _board_with(ws, cell)

    workers = await asyncio.to_thread(b.database_workers)
    assert workers, "the server runs no database worker process"
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    await send(players[x_id], {"type": "player_move", "movement": {"cell": 2}})  # X wins
    for ws in (ws1, ws2):
        over = await receive_type(ws, "game_over", timeout=15)
        assert over == {"type": "game_over", "winner_id": x_id, "reason": "win"}

    record = await finished_record(b, game_id, one["access"])
    assert record["state"] == "finished" and record["winner_id"] == x_id
    table = await standings(b, "tictactoe", one["access"])  # rated once
    assert (table[x_id]["wins"], table[o_id]["losses"]) == (1, 1)
    assert not workers & await asyncio.to_thread(b.database_workers)  # new workers recorded it
    for ws in (ws1, ws2):
        await ws.close()
    b.assert_alive()


async def test_a_move_sent_while_the_owner_is_dead_is_answered_after_the_takeover_and_played_once(cluster, owner):
    """Issue #55: what a player sends in a takeover's gap (the owner killed, its lease not yet run
    out) got neither an ``ack`` nor an ``error``. Now the socket's server keeps the move and sends
    it again until a process runs the room: here the survivor takes it over and plays it once."""
    a, b = owner, cluster
    offset = b.log_size()
    one, two, game_id, ws1, ws2, active = await start_on_two_servers(a, b, "tictactoe", tag="gap")
    if active["turn"] == one["id"]:  # player 1 (on A) opens, so that player 2 (on B) moves in the gap
        await send(ws1, {"type": "player_move", "movement": {"cell": 0}, "ref": "first"})
        await _board_with(ws2, 0)
    await kill(a)
    sent = time.monotonic()
    await send(ws2, {"type": "player_move", "movement": {"cell": 4}, "ref": "in-the-gap"})
    answer = await receive_type(ws2, "ack", timeout=TAKEOVER_LIMIT + 4, ref="in-the-gap")
    waited = time.monotonic() - sent
    print(f"\na move sent in the takeover's gap answered after {waited:.2f} s")
    assert answer == {"type": "ack", "ref": "in-the-gap"} and waited < 6.0 + 1  # the bound: twice the lease
    ws1.transport.abort()
    ws1 = await open_game(b, game_id, one["access"])
    state = await receive_type(ws1, "game_state", id=game_id)
    assert state["board"][4] is not None
    record_marks = [cell for cell in state["board"] if cell is not None]
    assert len(record_marks) == (2 if active["turn"] == one["id"] else 1)  # the gap's move once, no more
    for ws in (ws1, ws2):
        await ws.close()
    errors = b.errors_since(offset)
    assert not errors, "the surviving server logged errors:\n" + "\n".join(errors)
