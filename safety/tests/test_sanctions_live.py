"""Sanctions hold on every process: two live servers on one PostgreSQL and one Redis.

The moderator acts on server B; the player is on both. A suspension closes the player's sockets
4403 on A and B and refuses their token on A within 2 s; they appeal on A with the appeal token
(no login), and when the moderator reverses it on B they log in again on A. A mute on B refuses
the player's lobby messages on A within 2 s (each process reads the running mutes once a second);
a lift on B lets the player speak on A at once (A checks a "muted" answer with the database).
"""

import asyncio
import json
import time
import uuid

import httpx
import pytest
from websockets.asyncio.client import connect

from conftest import requires_postgres, requires_redis
from gameplatform.tests.live import Pair, bearer, receive_type
from gameplatform.tests.test_faults import requires_redis_server

# Holds a route or frame family of the contract to the server: `make test` runs it under daphne too.
pytestmark = [pytest.mark.contract, pytest.mark.live, requires_postgres, requires_redis, requires_redis_server]

WITHIN = 2.0  # seconds: the contract's bound for a sanction to hold everywhere
_run = uuid.uuid4().hex[:6]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    with Pair(tmp_path_factory.mktemp("b"), "sanctions") as pair:
        a = pair.second(tmp_path_factory.mktemp("a"))
        try:
            yield a, pair.survivor
        finally:
            a.stop()


async def post(server, path: str, access: str | None, **body) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        return await http.post(path, json=body, headers=bearer(access) if access else {})


async def get(server, path: str, access: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        return await http.get(path, headers=bearer(access))


async def notification_socket(server, access: str):
    ws = await connect(f"{server.ws}/ws/notifications/", additional_headers=bearer(access), open_timeout=10)
    await receive_type(ws, "badge")
    return ws


async def answer_to(ws, ref, timeout: float = 10) -> dict:
    """The ``ack`` or ``error`` frame answering the frame sent with ``ref``."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") in ("ack", "error") and frame.get("ref") == ref:
                return frame


async def closed_code(ws, timeout: float) -> tuple[int, dict | None]:
    """The close code, and the error frame sent before it."""
    error = None
    async with asyncio.timeout(timeout):
        try:
            while True:
                frame = json.loads(await ws.recv())
                if frame.get("type") == "error":
                    error = frame
        except Exception:
            pass
    return ws.close_code, error


async def test_a_suspension_on_one_process_locks_the_player_out_of_both_and_a_reversed_appeal_lets_them_back(
    servers,
):
    """A suspension on one process locks the player out of both, and a reversed appeal lets them
    back. Its own steps take seconds (closes within 2 s, an appeal, two logins); as the module's
    first test it also starts the two servers and their redis-server."""
    a, b = servers
    moderator = await asyncio.to_thread(b.moderator)
    player = await asyncio.to_thread(a.register, f"suspended_{_run}")
    on_a, on_b = await notification_socket(a, player["access"]), await notification_socket(b, player["access"])

    started = time.monotonic()
    made = await post(
        b, "/api/moderation/sanctions/", moderator["access"],
        user_id=player["id"], action="suspend", duration_hours=24, statement="Cheating in ranked games.",
    )  # fmt: skip
    assert made.status_code == 201, made.text
    for ws in (on_a, on_b):
        code, error = await closed_code(ws, WITHIN)
        assert code == 4403 and error["code"] == "account_suspended"
    refused = await get(a, "/api/me/", player["access"])
    assert time.monotonic() - started < WITHIN
    assert refused.status_code == 403 and refused.json()["code"] == "account_suspended"

    login = await post(a, "/api/auth/login/", None, username=player["username"], password="pass-w0rd-long-enough")
    assert login.status_code == 403
    token = login.json()["appeal_token"]
    appeal = await post(a, f"/api/sanctions/{made.json()['id']}/appeal/", None, text="Not me.", appeal_token=token)
    assert appeal.status_code == 201, appeal.text

    reviewer = await asyncio.to_thread(a.moderator)  # another moderator than the one who imposed it
    appeals = (await get(b, "/api/moderation/appeals/", reviewer["access"])).json()["results"]
    mine = next(x for x in appeals if x["sanction"]["id"] == made.json()["id"])
    decided = await post(
        b, f"/api/moderation/appeals/{mine['id']}/decide/", reviewer["access"],
        decision="reversed", statement="We could not confirm it.",
    )  # fmt: skip
    assert decided.status_code == 200, decided.text
    login = await post(a, "/api/auth/login/", None, username=player["username"], password="pass-w0rd-long-enough")
    assert login.status_code == 200, login.text


async def test_a_mute_on_one_process_refuses_the_players_lobby_messages_on_the_other_within_two_seconds(servers):
    a, b = servers
    moderator = await asyncio.to_thread(b.moderator)
    owner = await asyncio.to_thread(a.register, f"owner_{_run}")
    player = await asyncio.to_thread(a.register, f"muted_{_run}")
    # Only premium players make lobbies: the owner's lobby is made through the demo's shell.
    code = (
        "from accounts.models import User; from chat.lobbies.services import lobby_create, lobby_join; "
        f"o = User.objects.get(pk={owner['id']}); o.is_premium = True; o.save(update_fields=['is_premium']); "
        f"lobby = lobby_create(owner=o, name='live {_run}'); "
        f"lobby_join(lobby_id=lobby.pk, user=User.objects.get(pk={player['id']})); "
        "print(lobby.pk)"
    )  # fmt: skip
    lobby_id = int((await asyncio.to_thread(a.shell, code)).strip().splitlines()[-1])

    started = time.monotonic()
    made = await post(
        b, "/api/moderation/sanctions/", moderator["access"],
        user_id=player["id"], action="mute", duration_hours=1, statement="Spam.",
    )  # fmt: skip
    assert made.status_code == 201, made.text
    while True:  # at most 3 messages in 2 s: the chat's own rate limit
        said = await post(a, f"/api/lobbies/{lobby_id}/messages/", player["access"], content="after")
        if said.status_code == 403:
            break
        assert said.status_code == 201, said.text
        assert time.monotonic() - started < WITHIN, "the mute did not hold on the other process"
        await asyncio.sleep(0.6)
    assert said.json()["code"] == "muted" and said.json()["until"]


async def test_a_mute_lifted_on_one_process_lets_the_player_speak_on_the_other_at_once(servers):
    a, b = servers
    moderator = await asyncio.to_thread(b.moderator)
    friend = await asyncio.to_thread(a.register, f"friend_{_run}")
    player = await asyncio.to_thread(a.register, f"lifted_{_run}")
    code = (
        "from accounts.models import User; from chat.lobbies.services import lobby_create, lobby_join; "
        "from friends.services import friendship_create; "
        f"o = User.objects.get(pk={friend['id']}); p = User.objects.get(pk={player['id']}); "
        "o.is_premium = True; o.save(update_fields=['is_premium']); friendship_create(user_a=o, user_b=p); "
        f"lobby = lobby_create(owner=o, name='lift {_run}'); lobby_join(lobby_id=lobby.pk, user=p); print(lobby.pk)"
    )  # fmt: skip
    lobby_id = int((await asyncio.to_thread(a.shell, code)).strip().splitlines()[-1])
    made = await post(
        b, "/api/moderation/sanctions/", moderator["access"],
        user_id=player["id"], action="mute", duration_hours=1, statement="Spam.",
    )  # fmt: skip
    assert made.status_code == 201, made.text
    started = time.monotonic()
    while (await post(a, f"/api/lobbies/{lobby_id}/messages/", player["access"], content="x")).status_code != 403:
        assert time.monotonic() - started < WITHIN, "the mute did not hold on the other process"
        await asyncio.sleep(0.6)  # at most 3 lobby messages in 2 s: the chat's own rate limit
    # A's copy of the running mutes was read just now and holds the mute for up to a second more.

    lifted = await post(
        b, f"/api/moderation/sanctions/{made.json()['id']}/lift/", moderator["access"], statement="Not spam after all."
    )
    assert lifted.status_code == 200, lifted.text
    # The direct messages' own rate limit: nothing of it spent by the lobby messages above.
    spoken = await post(a, f"/api/dm/{friend['id']}/messages/", player["access"], content="thanks")
    assert spoken.status_code == 201, spoken.text


async def test_a_mute_on_one_process_refuses_the_players_game_text_on_the_other_and_their_moves_still_play(servers):
    """Game frames hold the filter and the mute as chat does: a listed word added on B is masked in
    a tic-tac-toe emote relayed on A; a mute on B refuses the player's emote text on A within 2 s,
    while their move is taken."""
    a, b = servers
    moderator = await asyncio.to_thread(b.moderator)
    one = await asyncio.to_thread(a.register, f"tx1_{_run}")
    two = await asyncio.to_thread(a.register, f"tx2_{_run}")
    word = "zorb" + "".join(chr(ord("a") + int(c, 16)) for c in _run[:4])  # letters only: a word of its own
    added = await post(b, "/api/moderation/words/", moderator["access"], word=word)
    assert added.status_code == 201, added.text
    for player in (one, two):
        joined = await post(a, "/api/matchmaking/join/", player["access"], mode="tictactoe")
        assert joined.status_code == 200, joined.text
    game_id = joined.json()["game_id"]
    sockets = []
    for player in (one, two):
        ws = await connect(f"{a.ws}/ws/game/{game_id}/", additional_headers=bearer(player["access"]), open_timeout=10)
        await receive_type(ws, "game_state")
        sockets.append(ws)
    for ws in sockets:
        await ws.send(json.dumps({"type": "player_ready"}))
    for ws in sockets:
        await receive_type(ws, "game_state", state="active")
    mover, other = sockets

    started = time.monotonic()
    while True:  # the new word reaches A within a second
        await mover.send(json.dumps({"type": "game_action", "action": "emote", "data": {"say": f"hi {word}"}}))
        heard = await receive_type(other, "game_action")
        if heard["data"]["say"] == "hi " + "*" * len(word):
            break
        assert time.monotonic() - started < WITHIN, "the word did not reach the other process"
        await asyncio.sleep(0.3)

    made = await post(
        b, "/api/moderation/sanctions/", moderator["access"],
        user_id=one["id"], action="mute", duration_hours=1, statement="Spam.",
    )  # fmt: skip
    assert made.status_code == 201, made.text
    started = time.monotonic()
    while True:
        await mover.send(json.dumps({"type": "game_action", "action": "emote", "data": {"say": "buy gold"}, "ref": 1}))
        answer = await answer_to(mover, 1)
        if answer["type"] == "error":
            break
        assert time.monotonic() - started < WITHIN, "the mute did not hold on the other process"
        await asyncio.sleep(0.3)
    assert (answer["code"], answer["ref"]) == ("muted", 1) and answer["until"]
    await mover.send(json.dumps({"type": "player_move", "movement": {"cell": 4}, "ref": 2}))
    played = await answer_to(mover, 2)  # taken, or refused by the rules (the other's turn): not muted
    assert played["type"] == "ack" or played["code"] == "not_your_turn", played
    for ws in sockets:
        await ws.close()


def handshakes_from_cache(server) -> float:
    """How many socket handshakes ``server`` took their user from its copy of the row
    (``gameplatform_ws_user_rows_total{source="cache"}`` on its ``/metrics``)."""
    body = httpx.get(f"{server.http}/metrics", timeout=10).text
    for line in body.splitlines():
        if line.startswith('gameplatform_ws_user_rows_total{source="cache"}'):
            return float(line.split()[-1])
    return 0.0


async def test_a_ban_on_one_process_refuses_the_next_handshake_on_the_other_which_kept_the_players_row(servers):
    """A keeps the row of a user whose sockets it let in (``gameplatform.sockets.usercache``); a ban
    made on B reaches A through Redis before the player's next handshake there."""
    a, b = servers
    moderator = await asyncio.to_thread(b.moderator)
    player = await asyncio.to_thread(a.register, f"kept_{_run}")

    async def served_from_the_copy() -> bool:
        before = await asyncio.to_thread(handshakes_from_cache, a)
        ws = await notification_socket(a, player["access"])
        await ws.close()
        return await asyncio.to_thread(handshakes_from_cache, a) > before

    started = time.monotonic()
    while not await served_from_the_copy():  # the first handshake reads the row (and A keeps it)
        assert time.monotonic() - started < 10, "A never served the player's row from its copy"

    made = await post(
        b, "/api/moderation/sanctions/", moderator["access"],
        user_id=player["id"], action="ban", statement="Cheating in ranked games.",
    )  # fmt: skip
    assert made.status_code == 201, made.text
    ws = await connect(f"{a.ws}/ws/notifications/", additional_headers=bearer(player["access"]), open_timeout=10)
    code, error = await closed_code(ws, 5)
    assert (code, error["code"]) == (4403, "account_suspended")
