"""A mode's flags on two live processes: the game's own values (a running live event's override, an
experiment hashed by the game's id) and each player's (their audience) reach the rules of a game
whose room runs on server A; staff then change every one of them, A is killed, and server B, which
takes the room over, plays on with the values the game started with.

The servers run ``game.tests.flag_modes.FlagShow`` (``GAME_MODES``), whose view is the flags it
read. They get a redis-server of their own (``Pair``), as the takeover tests do.
"""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from conftest import requires_postgres, requires_redis
from game.tests.test_room_takeover_live import TAKEOVER_LIMIT, kill, open_game, send
from gameplatform.tests.live import Pair, bearer, receive_type
from gameplatform.tests.test_faults import requires_redis_server

pytestmark = [pytest.mark.live, requires_postgres, requires_redis, requires_redis_server, pytest.mark.timeout(300)]

MODES = "game.modes.builtin.tictactoe.TicTacToe,game.tests.flag_modes.FlagShow"
_run = uuid.uuid4().hex[:6]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    env = {"GAME_MODES": MODES, "ROOM_PLACEMENT": "local"}  # the room runs on A, where its first socket is
    with Pair(tmp_path_factory.mktemp("flags_b"), "flags", env=env) as servers:
        yield servers


async def call(server, method: str, path: str, access: str, body: dict | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        return await http.request(method, path, json=body, headers=bearer(access))


async def flags_read(server, access: str, want: dict) -> None:
    """Wait until ``server`` gives this player ``want`` (its copy of the flags is at most a second old)."""
    async with asyncio.timeout(10):
        while True:
            flags = (await call(server, "GET", "/api/liveops/", access)).json()["flags"]
            if all(flags.get(name) == value for name, value in want.items()):
                return
            await asyncio.sleep(0.2)  # another process's copy: nothing to wait on but its next look


async def test_a_rooms_flags_come_from_the_live_ops_and_survive_its_owners_death_unchanged(pair, tmp_path):
    a, b = pair.second(tmp_path), pair.survivor
    try:
        staff = (await asyncio.to_thread(b.liveops_staff))["access"]
        experiment = {"key": f"round-{_run}", "hashAttribute": "game_id", "coverage": 1}
        for name, default, rules in (
            ("round-seconds", 60, [{**experiment, "variations": [60, 90], "weights": [0.5, 0.5]}]),
            ("target", 3, []),
            ("bonus", 1, [{"condition": {"platform": "ios"}, "force": 5}]),
        ):
            made = await call(
                b, "POST", "/api/liveops/admin/flags/", staff, {"name": name, "defaultValue": default, "rules": rules}
            )
            assert made.status_code == 201, made.text
        now = datetime.now(UTC)
        event = await call(
            b,
            "POST",
            "/api/liveops/admin/live-events/",
            staff,
            {
                "name": f"Target week {_run}",
                "starts_at": (now - timedelta(minutes=1)).isoformat(),
                "ends_at": (now + timedelta(hours=1)).isoformat(),
                "overrides": {"target": 7},
            },
        )
        assert event.status_code == 201, event.text

        one = await asyncio.to_thread(b.register, f"f1_{_run}")
        two = await asyncio.to_thread(b.register, f"f2_{_run}")
        said = await call(b, "PUT", "/api/liveops/attributes/", one["access"], {"platform": "ios"})
        assert said.status_code == 200, said.text
        await flags_read(a, one["access"], {"target": 7, "bonus": 5})  # A, the owner-to-be, sees them
        for player in (one, two):
            queued = await call(b, "POST", "/api/matchmaking/join/", player["access"], {"mode": "flagshow"})
            assert queued.status_code == 200, queued.text
        game_id = queued.json()["game_id"]

        ws1 = await open_game(a, game_id, one["access"])  # first: A owns the room
        started = (await receive_type(ws1, "game_state", id=game_id))["view"]
        ws2 = await open_game(b, game_id, two["access"])
        await receive_type(ws2, "game_state", id=game_id)
        assert started["target"] == 7  # the live event's override of the game's value
        assert started["bonus"] == {str(one["id"]): 5, str(two["id"]): 1}  # each player's own
        assert started["round"] in (60, 90)  # the game's variation

        # Staff change everything; the running game keeps what it started with, a takeover included.
        await call(b, "DELETE", f"/api/liveops/admin/live-events/{event.json()['id']}/", staff)
        for name, body in (
            ("target", {"defaultValue": 4, "rules": []}),
            ("bonus", {"defaultValue": 2, "rules": []}),
            ("round-seconds", {"defaultValue": 30, "rules": []}),
        ):
            changed = await call(b, "PUT", f"/api/liveops/admin/flags/{name}/", staff, body)
            assert changed.status_code == 200, changed.text
        await flags_read(b, one["access"], {"target": 4, "bonus": 2, "round-seconds": 30})

        await kill(a)
        fresh = await receive_type(ws2, "game_state", timeout=TAKEOVER_LIMIT + 4, id=game_id)
        assert {k: fresh["view"][k] for k in ("round", "target", "bonus")} == {
            k: started[k] for k in ("round", "target", "bonus")
        }
        ws1.transport.abort()
        ws1 = await open_game(b, game_id, one["access"])
        await receive_type(ws1, "game_state", id=game_id)
        await send(ws1, {"type": "player_ready"})
        await send(ws2, {"type": "player_ready"})
        active = await receive_type(ws2, "game_state", state="active")
        assert active["view"]["target"] == 7 and active["view"]["bonus"][str(one["id"])] == 5
        for ws in (ws1, ws2):
            await ws.close()
        b.assert_alive()
    finally:
        a.stop()
