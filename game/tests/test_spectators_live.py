"""Spectators across processes: a game run on server A, watched from server B, live and through
A's death (B takes the room over and its spectators' stream starts again there)."""

import asyncio

import pytest
from websockets.asyncio.client import connect

from conftest import requires_postgres, requires_redis
from game.tests.test_room_takeover_live import (  # noqa: F401
    TAKEOVER_LIMIT,
    _run,
    cluster,
    kill,
    open_game,
    owner,
    pair,
    send,
    start_on_two_servers,
)
from gameplatform.modes.patch import apply as apply_patch
from gameplatform.tests.live import LiveServer, bearer, receive_type
from gameplatform.tests.test_faults import requires_redis_server

# Holds a route or frame family of the contract to the server: `make test` runs it under daphne too.
pytestmark = [pytest.mark.contract, pytest.mark.live, requires_postgres, requires_redis, requires_redis_server]


async def watch_game(server: LiveServer, game_id: int, access: str):
    return await connect(
        f"{server.ws}/ws/game/{game_id}/?watch=1",
        additional_headers=bearer(access),
        compression=None,
        ping_interval=None,
        open_timeout=10,
    )


def shots(view: dict, player_id: int) -> list[tuple[int, int]]:
    return [(shot["x"], shot["y"]) for shot in view["players"][str(player_id)]["shots"]]


async def test_a_spectator_on_another_process_watches_a_battleship_game_live_and_through_its_owners_death(
    cluster,  # noqa: F811
    owner,  # noqa: F811
):
    a, b = owner, cluster
    one, two, game_id, ws1, ws2, active = await start_on_two_servers(a, b, "battleship", tag="w")
    fan = await asyncio.to_thread(b.register, f"fan_{_run}")
    watcher = await watch_game(b, game_id, fan["access"])
    state = await receive_type(watcher, "game_state", id=game_id)
    view = state["view"]
    assert state["state"] == "active" and set(view["players"]) == {str(one["id"]), str(two["id"])}
    assert "mine" not in view and "ships" not in str(view)  # no fleet, ever

    players = {one["id"]: ws1, two["id"]: ws2}
    first = active["turn"]
    second = two["id"] if first == one["id"] else one["id"]
    await send(players[first], {"type": "player_move", "movement": {"x": 0, "y": 0}})
    view = apply_patch(view, (await receive_type(watcher, "state_patch"))["ops"])
    assert shots(view, first) == [(0, 0)]
    await send(watcher, {"type": "player_move", "movement": {"x": 1, "y": 1}, "ref": "w1"})
    refused = await receive_type(watcher, "error")
    assert refused["code"] == "not_a_player" and refused["ref"] == "w1"

    await kill(a)  # B takes the room over (player 2's socket is there): its spectators ask it again
    fresh = await receive_type(watcher, "game_state", timeout=TAKEOVER_LIMIT + 4, id=game_id)
    assert fresh["state"] == "active" and shots(fresh["view"], first) == [(0, 0)]
    ws1.transport.abort()
    players[one["id"]] = await open_game(b, game_id, one["access"])
    await receive_type(players[one["id"]], "game_state", id=game_id)
    await send(players[second], {"type": "player_move", "movement": {"x": 5, "y": 5}})
    view = apply_patch(fresh["view"], (await receive_type(watcher, "state_patch"))["ops"])
    assert shots(view, second) == [(5, 5)] and shots(view, first) == [(0, 0)]
    for ws in (watcher, *players.values()):
        await ws.close()
    b.assert_alive()
