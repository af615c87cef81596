"""The match list and a join on two live server processes sharing one PostgreSQL and one Redis.

Both players' sockets open on server A, so A runs the game's room. Server B, which runs nothing
of it, lists it (what A's room published), seats a third player through its REST API, and holds
that player's socket: the room on A hears of the seat and of the player's frames through the
game's group. The game ends on A and leaves B's list.

Uses the ``cluster`` (server B, its own redis-server) and ``owner`` (server A) of
``test_room_takeover_live``.
"""

import asyncio
import json
import uuid

import httpx
import pytest

from conftest import requires_postgres, requires_redis
from game.tests.test_room_takeover_live import cluster, matched_game, open_game, owner, pair, send  # noqa: F401
from gameplatform.tests.live import LiveServer, bearer, receive_type
from gameplatform.tests.test_faults import requires_redis_server

pytestmark = [pytest.mark.live, requires_postgres, requires_redis, requires_redis_server]

LISTED_WITHIN = 5.0  # seconds: a room publishes its summary at most once a second
_run = uuid.uuid4().hex[:6]


async def rooms(server: LiveServer, access: str, **params) -> list[dict]:
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        answer = await http.get("/api/game/rooms/", params=params, headers=bearer(access))
    assert answer.status_code == 200, answer.text
    return answer.json()["results"]


async def listed_as(server: LiveServer, access: str, game_id: int, test, **params) -> dict | None:
    """The game's entry in ``server``'s list once ``test`` holds of it (None: it left the list)."""
    async with asyncio.timeout(LISTED_WITHIN):
        while True:
            found = {room["id"]: room for room in await rooms(server, access, **params)}
            if test(found.get(game_id)):
                return found.get(game_id)
            await asyncio.sleep(0.2)


async def test_a_game_running_on_one_server_is_listed_by_the_other_and_joined_through_it(cluster, owner):  # noqa: F811
    """A game running on one server is listed by the other and joined through it. It takes tens of
    seconds: it starts the module's server B with its redis-server and then server A, and waits for the
    list to show each change (a room publishes its summary at most once a second)."""
    a, b = owner, cluster
    offset = b.log_size()
    one, two, game_id = await matched_game(b, "arena", tag="list")
    ws1 = await open_game(a, game_id, one["access"])  # first: A runs the room
    await receive_type(ws1, "game_state", id=game_id)
    ws2 = await open_game(a, game_id, two["access"])
    await receive_type(ws2, "game_state", id=game_id)
    for ws in (ws1, ws2):
        await send(ws, {"type": "player_ready"})
    for ws in (ws1, ws2):
        await receive_type(ws, "game_state", state="active")

    room = await listed_as(b, one["access"], game_id, lambda r: r and r["phase"] == "active", mode="arena", open="1")
    assert [p["id"] for p in room["players"]] == [one["id"], two["id"]]
    assert room["label"] == {"map": "square", "players": 2} and room["open"] and room["started_at"]

    three = await asyncio.to_thread(b.register, f"p3list_{_run}")
    async with httpx.AsyncClient(base_url=b.http, timeout=10) as http:
        joined = await http.post(f"/api/game/rooms/{game_id}/join/", headers=bearer(three["access"]))
    assert joined.status_code == 200 and joined.json() == {"game_id": game_id}, joined.text

    ws3 = await open_game(b, game_id, three["access"])  # on B: its frames cross to A
    state = await receive_type(ws3, "game_state", id=game_id)
    me = str(three["id"])
    assert state["state"] == "active" and [p["id"] for p in state["players"]] == [one["id"], two["id"], three["id"]]
    assert me in state["view"]["players"]
    seen = await _frame_where(ws1, lambda f: f["type"] == "game_state" and me in f["view"]["players"])
    assert seen["view"]["players"][me] == state["view"]["players"][me]
    await send(ws3, {"type": "input", "data": {"dx": 1, "dy": 1}})
    await _frame_where(
        ws3, lambda f: f["type"] == "state_patch" and any(o["path"].startswith(f"/players/{me}/") for o in f["ops"])
    )

    room = await listed_as(b, one["access"], game_id, lambda r: r and r["label"]["players"] == 3)
    assert [p["id"] for p in room["players"]] == [one["id"], two["id"], three["id"]]

    for ws in (ws1, ws2):  # the first two give up: the third wins
        await send(ws, {"type": "forfeit"})
    over = await receive_type(ws3, "game_over")
    assert over["winner_id"] == three["id"] and over["reason"] == "forfeit"
    assert await listed_as(b, one["access"], game_id, lambda r: r is None) is None
    for ws in (ws1, ws2, ws3):
        await ws.close()
    for server in (a, b):
        server.assert_alive()
    errors = b.errors_since(offset)
    assert not errors, "server B logged errors:\n" + "\n".join(errors)


async def _frame_where(ws, test, timeout: float = 10) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if test(frame):
                return frame
