"""A deploy ends no game: a server stopped with SIGTERM hands its games to the other one.

Two live server processes on one PostgreSQL and one Redis (the fixtures of
``test_room_takeover_live``). A game of every built-in mode runs on server A (player 1's socket
there, so A owns the room), player 2's socket on server B. Each game takes one frame just before
A is stopped with SIGTERM, as a rolling restart stops it. A closes its sockets (1012, "service
restart"), hands its rooms over as it shuts down, and B's sockets claim them at once: player 2
gets a fresh ``game_state`` that still has that last frame, player 1 reconnects to B, and every
game goes on there. None ends, none is abandoned.
"""

import asyncio
import json
import signal
import time
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from conftest import requires_postgres, requires_redis
from game.tests.test_room_takeover_live import (  # noqa: F401
    cluster,
    matched_game,
    open_game,
    owner,
    pair,
    send,
    start_on_two_servers,
)
from gameplatform.testhelpers import eventually
from gameplatform.tests.live import LiveServer, bearer, live_server_name, receive_type
from gameplatform.tests.test_faults import requires_redis_server

pytestmark = [pytest.mark.live, requires_postgres, requires_redis, requires_redis_server]

# uvicorn hands the rooms over in its lifespan shutdown; daphne sends no lifespan events, so there
# the rooms wait for their lease (3 s) after the process is gone, and no game ends either.
UVICORN = live_server_name() == "uvicorn"
HANDOVER_LIMIT = 2.5 if UVICORN else 10.0


async def acked(ws, frame: dict, ref: str) -> None:
    """Send ``frame`` with ``ref`` and wait for the room's ``ack``: the room took it."""
    await send(ws, {**frame, "ref": ref})
    await receive_type(ws, "ack", ref=ref)


async def last_frame_in(mode: str, ws, active: dict, mover_id: int, other_id: int) -> None:
    """One frame of ``mode`` that the room takes just before the stop (the player on A sends it)."""
    if mode == "tictactoe":
        await acked(ws, {"type": "player_move", "movement": {"cell": 4}}, "t1")
    elif mode == "battleship":
        await acked(ws, {"type": "player_move", "movement": {"x": 0, "y": 0}}, "b1")
    elif mode == "relay":
        scores = {str(mover_id): 3, str(other_id): 1}
        await acked(ws, {"type": "game_action", "action": "report_score", "data": {"scores": scores}}, "r1")
    else:
        await acked(ws, {"type": "input", "data": {"dx": 1, "dy": 0}}, "a1")


def still_has_it(mode: str, state: dict, mover_id: int, before: dict, viewer_id: int) -> bool:
    """The fresh ``game_state`` after the handover still shows the last frame taken before it."""
    view = state["view"]
    if mode == "tictactoe":
        return state["board"][4] is not None
    if mode == "battleship":  # the shot at (0, 0): in the shooter's view, or at the other's fleet
        shots = view["theirs"]["shots"] if viewer_id == mover_id else view["mine"]["shots"]
        return [(shot["x"], shot["y"]) for shot in shots][:1] == [(0, 0)]
    if mode == "relay":
        return str(mover_id) in view["reports"]
    me = str(mover_id)
    return state["tick"] >= before["tick"] and view["players"][me]["x"] >= before["view"]["players"][me]["x"]


async def test_a_server_stopped_for_a_deploy_hands_every_game_over_and_none_ends(cluster, owner):  # noqa: F811
    a, b = owner, cluster
    games = {}
    for mode in ("tictactoe", "battleship", "relay", "arena"):
        one, two, game_id, ws1, ws2, active = await start_on_two_servers(a, b, mode, tag="ho")
        # The player whose turn it is sends the last frame (turn-based); in the arena, player 1.
        mover = active["turn"] or one["id"]
        movers_ws = ws1 if mover == one["id"] else ws2
        other = two["id"] if mover == one["id"] else one["id"]
        await last_frame_in(mode, movers_ws, active, mover, other)
        games[mode] = (one, two, game_id, ws1, ws2, mover, active)

    workers = await asyncio.to_thread(a.database_workers)  # its database worker processes (DB_PROCESSES)
    assert workers
    stopping = time.monotonic()
    stop = asyncio.ensure_future(asyncio.to_thread(a.stop))  # SIGTERM, and wait for the process to end
    took = {}
    for mode, (one, two, game_id, ws1, ws2, mover, active) in games.items():
        with pytest.raises(ConnectionClosed) as closed:  # A's socket: closed by the server, 1012
            async with asyncio.timeout(HANDOVER_LIMIT + 5):
                while True:
                    await ws1.recv()
        if UVICORN:  # daphne drops its sockets without a close frame
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012, mode
        # Under uvicorn player 2 hears that player 1's socket went (from A, which still runs the
        # game), then the game from B, which took it over; under daphne, A tells nothing first.
        async with asyncio.timeout(HANDOVER_LIMIT + 5):
            for _ in range(2 if UVICORN else 1):
                fresh = await receive_type(ws2, "game_state", id=game_id)
                while [p["connected"] for p in fresh["players"] if p["id"] == one["id"]] != [False]:
                    fresh = await receive_type(ws2, "game_state", id=game_id)
        took[mode] = time.monotonic() - stopping
        assert fresh["state"] == "active", (mode, fresh)
        assert still_has_it(mode, fresh, mover, active, two["id"]), (mode, fresh)
    await stop
    stopped = time.monotonic()
    while any(_alive(pid) for pid in workers):  # they end with their server, not a second later
        assert time.monotonic() - stopped < 0.5, f"database workers {workers} outlived their server"
        await asyncio.sleep(0.02)
    shown = json.dumps({mode: round(seconds, 2) for mode, seconds in took.items()})
    print(f"\nhandover, from SIGTERM to each game's game_state from B: {shown}")
    assert max(took.values()) < HANDOVER_LIMIT, took

    for mode, (one, _, game_id, ws1, ws2, mover, active) in games.items():
        ws1 = await open_game(b, game_id, one["access"])  # player 1 reconnects: the balancer sends it to B
        again = await receive_type(ws1, "game_state", id=game_id)
        assert again["state"] == "active" and still_has_it(mode, again, mover, active, one["id"]), (mode, again)
        async with httpx.AsyncClient(base_url=b.http, timeout=10) as http:
            record = (await http.get(f"/api/games/{game_id}/", headers=bearer(one["access"]))).json()
        assert record["state"] == "active", (mode, record)
        if mode == "tictactoe":  # the game goes on on B: the other player's move is taken
            other_ws = ws2 if mover == one["id"] else ws1
            await acked(other_ws, {"type": "player_move", "movement": {"cell": 0}}, "t2")
        await ws1.close()
        await ws2.close()
    b.assert_alive()


def _alive(pid: int) -> bool:
    """The process runs (not gone, not a zombie waiting for its parent to read its exit)."""
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def _read_to_the_end(ws, served: set) -> None:
    """Every frame of ``ws`` until it closes; ``ws`` is in ``served`` from its first frame on."""
    try:
        async for _ in ws:
            served.add(ws)
    except ConnectionClosed:
        pass
    finally:
        served.discard(ws)


async def keep_a_socket(
    server: LiveServer, game_id: int, access: str, done: asyncio.Event, closes: list, served: set
) -> None:
    """A player's client through a restart: whenever the server closes its socket, it opens a
    new one at once (wherever the port sends it), until ``done``; each close code is kept. The
    socket is in ``served`` while it is open and a process has answered it."""
    while True:
        ws = await open_game(server, game_id, access)

        reading, finished = asyncio.ensure_future(_read_to_the_end(ws, served)), asyncio.ensure_future(done.wait())
        await asyncio.wait({reading, finished}, return_when=asyncio.FIRST_COMPLETED)
        if finished.done():
            reading.cancel()
            await ws.close()
            return
        finished.cancel()
        closes.append(ws.close_code)


@pytest.mark.skipif(not UVICORN, reason="make serve's processes are uvicorn's workers; daphne has no --workers")
async def test_make_serve_restarting_its_processes_one_by_one_ends_no_game_and_loses_no_input(tmp_path):
    """``make serve``'s two processes replaced one by one (uvicorn's SIGHUP: each new process
    ready before the old one stops), with a game of every built-in mode in progress and each
    player's client reconnecting as soon as its socket closes. Every game is still running
    afterwards with the last frame it took before the restart, and plays on.
    It takes tens of seconds (about a minute on a loaded machine): it starts a server of its own, and uvicorn
    replaces each worker only once its successor has started and is ready, one after the other;
    that wait is the behaviour under test."""
    server = LiveServer(tmp_path, env={"WEB_CONCURRENCY": "2"}).start()
    try:
        games = {}
        for mode in ("tictactoe", "battleship", "relay", "arena"):
            one, two, game_id = await matched_game(server, mode, tag="hup")
            ws1, ws2 = await open_game(server, game_id, one["access"]), await open_game(server, game_id, two["access"])
            for ws in (ws1, ws2):
                await receive_type(ws, "game_state", id=game_id)
                await send(ws, {"type": "player_ready"})
            active = [await receive_type(ws, "game_state", state="active") for ws in (ws1, ws2)][1]
            mover = active["turn"] or one["id"]
            other = two["id"] if mover == one["id"] else one["id"]
            await last_frame_in(mode, ws1 if mover == one["id"] else ws2, active, mover, other)
            await ws1.close()
            await ws2.close()
            games[mode] = (one, two, game_id, mover, active)

        old = await asyncio.to_thread(server.database_workers)  # uvicorn's worker processes (spawned)
        assert len(old) == 2
        done, closes, served = asyncio.Event(), [], set()
        clients = [
            asyncio.ensure_future(keep_a_socket(server, game_id, player["access"], done, closes, served))
            for one, two, game_id, _, _ in games.values()
            for player in (one, two)
        ]
        server.process.send_signal(signal.SIGHUP)
        async with asyncio.timeout(90):  # each replacement waits for its new process to be ready
            while any(_alive(pid) for pid in old) or len(await asyncio.to_thread(server.database_workers)) < 2:  # noqa: ASYNC110 - another process's state
                await asyncio.sleep(0.1)
        # The last reconnects have landed on the new processes: every client has an open socket
        # that one of them answered (the old processes are gone, so none of theirs is left open).
        # A few seconds on a quiet machine; the new processes' first handshakes (cold) took over
        # 30 s beside two other workers and another suite's at a load of 10: a bound for failure.
        await eventually(
            lambda: len(served) == len(clients) and all(ws.state is State.OPEN for ws in served),
            timeout=60,
            what="every client reconnected and answered",
        )
        done.set()
        await asyncio.gather(*clients)
        assert closes and set(closes) <= {1012}, closes  # "service restart": the clients came back

        for mode, (one, two, game_id, mover, active) in games.items():
            sockets = {p["id"]: await open_game(server, game_id, p["access"]) for p in (one, two)}
            for viewer, ws in sockets.items():
                again = await receive_type(ws, "game_state", id=game_id)
                assert again["state"] == "active", (mode, again)
                assert still_has_it(mode, again, mover, active, viewer), (mode, viewer, again)
            async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
                record = (await http.get(f"/api/games/{game_id}/", headers=bearer(one["access"]))).json()
            assert record["state"] == "active", (mode, record)
            if mode == "tictactoe":  # the game goes on: the other player's move is taken
                other = two["id"] if mover == one["id"] else one["id"]
                await acked(sockets[other], {"type": "player_move", "movement": {"cell": 0}}, "t2")
            for ws in sockets.values():
                await ws.close()
        server.assert_alive()
    finally:
        server.stop()
