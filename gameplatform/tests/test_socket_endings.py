"""Every way a socket ends, against a real server process: the contract's close code, then offline.

The server is the Makefile's uvicorn command line (its daphne line with ``LIVE_SERVER=daphne``)
in a process of its own (``live`` fixture, the root conftest.py). After each ending the user must
be offline: ``GET /api/status/`` counts nobody online, and with Redis the test process reads the
same presence store.
"""

import asyncio
import itertools
import json
import time
import uuid

import httpx
import jwt
import pytest
import redis
from django.conf import settings
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gameplatform.sockets import presence
from gameplatform.tests.live import DAPHNE_DROPS_OVER_ITS_LIMIT, SECRET_KEY, LiveServer, bearer, session_redis_url

# Holds a route or frame family of the contract to the server: `make test` runs it under daphne too.
pytestmark = pytest.mark.contract

_names = itertools.count(1)
_run = uuid.uuid4().hex[:6]


def new_name(prefix: str) -> str:
    return f"{prefix}_{_run}_{next(_names)}"


async def open_socket(live, path: str, access: str, **options):
    return await connect(
        live.ws + path,
        additional_headers=bearer(access),
        compression=None,
        ping_interval=None,
        max_size=None,
        open_timeout=10,
        **options,
    )


async def wait_online(live, count: int = 1, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while (online := await asyncio.to_thread(live.online_users)) != count:
        assert time.monotonic() < deadline, f"{online} online, expected {count}"
        await asyncio.sleep(0.05)


async def wait_offline(live, *user_ids: int, timeout: float = 10) -> None:
    """Nobody online on the server (and, with Redis, none of ``user_ids`` in its presence store)."""
    await wait_online(live, 0, timeout)
    if settings.REDIS_URL:
        store = presence.RedisStore(redis.Redis.from_url(session_redis_url()))
        states = await asyncio.to_thread(store.states, list(user_ids))
        assert not any(online for online, _ in states.values())


async def close_code_of(ws, timeout: float = 10) -> int:
    """Read until the server closes; the code it sent (1006 when it dropped without a close)."""
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    return ws.close_code


def lobby_with_member(live) -> tuple[dict, dict, int]:
    owner = live.login("premium_user_1")
    member = live.register(new_name("member"))
    response = httpx.post(
        f"{live.http}/api/lobbies/",
        json={"name": new_name("lobby"), "is_public": True, "max_participants": 8},
        headers=bearer(owner["access"]),
        timeout=10,
    )
    assert response.status_code == 201, response.text
    lobby_id = response.json()["id"]
    joined = httpx.post(f"{live.http}/api/lobbies/{lobby_id}/join/", headers=bearer(member["access"]), timeout=10)
    assert joined.status_code == 200, joined.text
    return owner, member, lobby_id


async def test_client_closes_normally_1000_then_offline(live):
    user = live.register(new_name("closer"))
    ws = await open_socket(live, "/ws/notifications/", user["access"])
    await wait_online(live)
    await ws.close(code=1000)
    assert ws.close_code == 1000
    await wait_offline(live, user["id"])


async def test_kicked_from_a_lobby_closes_4403_then_offline(live):
    owner, member, lobby_id = await asyncio.to_thread(lobby_with_member, live)
    ws = await open_socket(live, f"/ws/lobbies/{lobby_id}/", member["access"])
    assert json.loads(await ws.recv())["type"] == "lobby_state"
    await wait_online(live)
    kicked = await asyncio.to_thread(
        httpx.post,
        f"{live.http}/api/lobbies/{lobby_id}/kick/",
        json={"user_id": member["id"], "reason": "test"},
        headers=bearer(owner["access"]),
        timeout=10,
    )
    assert kicked.status_code == 200, kicked.text
    assert await close_code_of(ws) == 4403
    await wait_offline(live, member["id"])


async def error_codes_then_close(ws, timeout: float = 10) -> tuple[list[str], int]:
    """Read until the server closes: the codes of the ``error`` frames it sent, and its close code."""
    codes = []
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await ws.recv())
                if frame["type"] == "error":
                    codes.append(frame["code"])
    return codes, ws.close_code


async def test_frame_over_the_platform_limit_closes_1009_then_offline(live):
    """1009, or 4009 under daphne (``WS_PRIVATE_CLOSE_CODES``), after ``error frame_too_large``."""
    user = live.register(new_name("big"))
    ws = await open_socket(live, "/ws/notifications/", user["access"])
    await wait_online(live)
    await ws.send(json.dumps({"type": "ping", "pad": "x" * settings.WS_MAX_FRAME_BYTES}))
    codes, code = await error_codes_then_close(ws)
    assert code == live.close_code(1009)
    assert codes[-1:] == ["frame_too_large"]
    await wait_offline(live, user["id"])


async def test_a_one_mebibyte_frame_closes_1009_then_offline(live):
    """Past daphne's default message size (1 MiB), under the servers' own limit (the Makefile's
    16 MiB, both servers): the frame reaches the kit, which closes 1009 (4009 under daphne)."""
    user = live.register(new_name("mebibyte"))
    ws = await open_socket(live, "/ws/notifications/", user["access"])
    await wait_online(live)
    await ws.send(json.dumps({"type": "ping", "pad": "x" * (1024 * 1024 + 1024)}))
    codes, code = await error_codes_then_close(ws)
    assert code == live.close_code(1009)
    assert codes[-1:] == ["frame_too_large"]
    await wait_offline(live, user["id"])


@pytest.mark.daphne_differs(DAPHNE_DROPS_OVER_ITS_LIMIT)
async def test_frame_over_the_servers_own_max_size_closes_1009_not_1006_then_offline(live):
    user = live.register(new_name("huge"))
    ws = await open_socket(live, "/ws/notifications/", user["access"])
    await wait_online(live)
    over = 16 * 1024 * 1024 + 1024  # the Makefile's --ws-max-size (and daphne's limits) is 16 MiB
    with pytest.raises(ConnectionClosed):
        await ws.send(json.dumps({"type": "ping", "pad": "x" * over}))
        await close_code_of(ws)
    assert ws.close_code == 1009
    await wait_offline(live, user["id"])


async def test_flooding_a_lobby_closes_1008_then_offline(live):
    """1008, or 4008 under daphne (``WS_PRIVATE_CLOSE_CODES``), after ``error flooding``."""
    _, member, lobby_id = await asyncio.to_thread(lobby_with_member, live)
    ws = await open_socket(live, f"/ws/lobbies/{lobby_id}/", member["access"])
    await wait_online(live)
    codes = []

    async def read() -> None:
        try:
            async for raw in ws:
                frame = json.loads(raw)
                if frame["type"] == "error":
                    codes.append(frame["code"])
        except ConnectionClosed:
            pass

    reading = asyncio.ensure_future(read())
    with pytest.raises(ConnectionClosed):
        for n in range(100):
            await ws.send(json.dumps({"type": "chat_message", "message": f"spam {n}"}))
            await asyncio.sleep(0.005)
    await asyncio.wait_for(reading, 10)
    assert ws.close_code == live.close_code(1008)
    assert codes[-1] == "flooding" and "rate_limited" in codes
    await wait_offline(live, member["id"])


def friends(live) -> tuple[dict, dict]:
    user, friend = live.register(new_name("dm")), live.register(new_name("dm"))
    asked = httpx.post(
        f"{live.http}/api/friends/requests/", json={"user_id": friend["id"]}, headers=bearer(user["access"]), timeout=10
    )
    assert asked.status_code == 201, asked.text
    accepted = httpx.post(
        f"{live.http}/api/friends/requests/{asked.json()['id']}/accept/", headers=bearer(friend["access"]), timeout=10
    )
    assert accepted.status_code == 200, accepted.text
    return user, friend


async def error_codes_until_closed(ws, frames: list[str]) -> list[str]:
    """Send ``frames`` while reading; the codes of the ``error`` frames the server answered."""
    codes = []

    async def read() -> None:
        try:
            async for raw in ws:
                frame = json.loads(raw)
                if frame["type"] == "error":
                    codes.append(frame["code"])
        except ConnectionClosed:
            pass

    reading = asyncio.ensure_future(read())
    with pytest.raises(ConnectionClosed):
        for frame in frames:
            await ws.send(frame)
        await asyncio.wait_for(reading, 10)
        await ws.recv()
    await asyncio.wait_for(reading, 10)
    return codes


async def test_flooding_a_dm_socket_closes_1008_then_offline(live):
    user, friend = await asyncio.to_thread(friends, live)
    ws = await open_socket(live, f"/ws/dm/{friend['id']}/", user["access"])
    await wait_online(live)
    spam = [json.dumps({"type": "dm_message", "content": f"spam {n}"}) for n in range(40)]
    codes = await error_codes_until_closed(ws, spam)
    assert ws.close_code == live.close_code(1008)
    assert codes[-1] == "flooding" and "rate_limited" in codes
    await wait_offline(live, user["id"])


async def test_a_flood_of_pings_on_the_notification_socket_closes_1008_then_offline(live):
    user = live.register(new_name("pinger"))
    ws = await open_socket(live, "/ws/notifications/", user["access"])
    await wait_online(live)
    codes = await error_codes_until_closed(ws, [json.dumps({"type": "ping"})] * 1000)
    assert ws.close_code == live.close_code(1008)
    assert codes == ["flooding"]
    await wait_offline(live, user["id"])


async def test_access_token_expiring_while_connected_closes_4401_then_offline(live):
    user = live.register(new_name("expiring"))
    now = int(time.time())
    claims = {"token_type": "access", "iat": now, "exp": now + 2, "jti": uuid.uuid4().hex, "user_id": user["id"]}
    short_lived = jwt.encode(claims, SECRET_KEY, algorithm="HS256")
    ws = await open_socket(live, "/ws/notifications/", short_lived)
    assert json.loads(await ws.recv())["type"] == "badge"  # accepted: the token was valid
    await wait_online(live)
    frames = []
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(10):
            while True:
                frames.append(json.loads(await ws.recv()))
    assert ws.close_code == 4401
    assert frames[-1]["code"] == "token_expired"
    await wait_offline(live, user["id"])


async def test_client_that_vanishes_without_a_close_goes_offline(live):
    user = live.register(new_name("vanish"))
    ws = await open_socket(live, "/ws/notifications/", user["access"])
    await wait_online(live)
    ws.transport.abort()  # TCP drop: no close frame, no closing handshake
    await wait_offline(live, user["id"], timeout=15)


async def test_a_client_that_leaves_while_its_frame_is_handled_costs_no_error(live):
    """The world socket's move answers with several frames; the client closes after the first.
    The sends that follow find the client gone: nothing to answer, nothing logged as an error
    (the ``live`` fixture fails the test on any ERROR line)."""
    user = live.register(new_name("leaver"))
    async with httpx.AsyncClient(base_url=live.http, headers=bearer(user["access"]), timeout=10) as http:
        character = await http.post("/api/characters/", json={"name": f"Leaver{next(_names)}", "faction": 1})
        assert character.status_code == 201, character.text
        here = character.json()["location_id"]
        locations = (await http.get("/api/world/locations/", params={"page_size": 100})).json()["results"]
    neighbour = next(loc for loc in locations if loc["id"] == here)["neighbours"][0]
    for _ in range(3):
        ws = await open_socket(live, "/ws/world/", user["access"])
        assert json.loads(await ws.recv())["type"] == "welcome"
        await ws.send(json.dumps({"type": "move", "to_location_id": neighbour}))
        while json.loads(await ws.recv())["type"] != "location_update":
            pass
        await ws.close()  # before `nearby` and `character_update`
        here, neighbour = neighbour, here
        await asyncio.sleep(1.1)  # one move per second
    await wait_offline(live, user["id"])


async def test_the_server_log_at_debug_has_one_json_line_per_socket_and_none_of_uvicorns_chatter(tmp_path):
    server = LiveServer(tmp_path, env={"LOG_LEVEL": "DEBUG"}).start()  # "socket open" is a DEBUG line
    try:
        user = server.register(new_name("logged"))
        offset = server.log_size()
        ws = await open_socket(server, "/ws/friends/status/", user["access"])
        assert json.loads(await ws.recv())["type"] == "presence_snapshot"
        await ws.close()
        await wait_online(server, 0)
        for _ in range(50):  # lines are written by the log thread, a moment later
            text = server.log_path.read_bytes()[offset:].decode()
            if '"socket open"' in text:
                break
            await asyncio.sleep(0.05)
        records = [json.loads(line) for line in text.splitlines()]  # every line is JSON
        opened = [r for r in records if r["message"] == "socket open" and r.get("user_id") == user["id"]]
        assert len(opened) == 1 and opened[0]["path"] == "/ws/friends/status/"
        assert not [r for r in records if "connection open" in r["message"] or "[accepted]" in r["message"]]
    finally:
        server.stop()


async def test_the_server_log_at_info_has_no_line_for_a_socket_or_an_answered_request(live):
    """Production's default level: a socket opened and closed, and a request answered 200, write
    nothing; a request answered 404 (written after them: the marker that the writer got that far) does."""
    user = live.register(new_name("quiet"))
    offset = live.log_size()
    ws = await open_socket(live, "/ws/friends/status/", user["access"])
    assert json.loads(await ws.recv())["type"] == "presence_snapshot"
    await ws.close()
    await wait_offline(live, user["id"])
    marker = f"/api/no-such-route-{uuid.uuid4().hex[:8]}/"
    async with httpx.AsyncClient(base_url=live.http, timeout=10) as http:
        assert (await http.get("/api/me/", headers=bearer(user["access"]))).status_code == 200
        assert (await http.get(marker)).status_code == 404
    for _ in range(100):  # lines are written by the log thread, a moment later
        text = live.log_path.read_bytes()[offset:].decode()
        if marker in text:
            break
        await asyncio.sleep(0.05)
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["path"] for r in records if r["logger"] == "gameplatform.access"] == [marker]
    assert not [r for r in records if r["message"] == "socket open"]
