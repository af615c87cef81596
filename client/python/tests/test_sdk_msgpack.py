"""``GameClient(encoding="msgpack")`` on a real server: the sockets negotiate the MessagePack
subprotocol and a game plays the same as over JSON, beside a player who uses JSON."""

import asyncio
import time

import pytest

from .test_sdk_game_room import matched, reopened
from .test_sdk_live import X_WINS

# Holds a route or frame family of the contract to the server: `make test` runs it under daphne too.
pytestmark = pytest.mark.contract


async def test_a_msgpack_client_and_a_json_client_play_tictactoe_to_the_end(server, make_client):
    alice, bob = await make_client("alice", encoding="msgpack"), await make_client("bob")
    game_id = await matched("tictactoe", alice, bob)
    assert alice.notifications.binary and not bob.notifications.binary
    async with alice.game(game_id) as a, bob.game(game_id) as b:
        assert a.binary and not b.binary  # the server named the subprotocol in its answer
        await asyncio.gather(a.ready(), b.ready())
        await a.until(lambda s: s["state"] == "active")
        x, o = (a, b) if a.players[0]["id"] == alice.user_id else (b, a)
        for n, cell in enumerate(X_WINS):
            state = await (x, o)[n % 2].move(cell=cell)
            assert state["board"][cell] is not None
        over_a, over_b = await a.until_over(), await b.until_over()
        assert over_a == over_b and over_a["reason"] == "win"
        assert a.view == b.view


async def test_arena_patches_over_msgpack_keep_the_same_view_as_over_json_and_survive_a_reconnect(server, make_client):
    alice, bob = await make_client("alice", encoding="msgpack"), await make_client("bob")
    game_id = await matched("arena", alice, bob)
    async with alice.game(game_id) as a, bob.game(game_id) as b:
        await asyncio.gather(a.ready(), b.ready())
        await a.until(lambda s: s["state"] == "active")
        me = str(alice.user_id)
        start = dict(a.view["players"][me])
        dx = -1.0 if start["x"] > 50 else 1.0
        await a.send_input({"dx": dx, "dy": 0.0})
        began = time.monotonic()
        while abs(a.view["players"][me]["x"] - start["x"]) < 5:
            assert time.monotonic() - began < 10, "the position did not change"
            await a.changed()
        await a.send_input({"dx": 0.0, "dy": 0.0})
        await reopened(a)  # a reconnect asks for MessagePack again
        assert a.binary
        # Standing still, both views settle on the same positions, patched over each encoding.
        began = time.monotonic()
        while a.view["players"] != b.view["players"] or a.tick != b.tick:
            assert time.monotonic() - began < 10, (a.view["players"], b.view["players"])
            await asyncio.sleep(0.1)
        await a.forfeit()
        assert (await b.until_over())["winner_id"] == bob.user_id


async def test_a_compact_client_follows_an_arena_beside_a_json_client_and_reconnects_compact(server, make_client):
    alice, bob = await make_client("alice", encoding="compact"), await make_client("bob")
    game_id = await matched("arena", alice, bob)
    async with alice.game(game_id) as a, bob.game(game_id) as b:
        assert a.protocol == "gameplatform.compact" and b.protocol is None
        await asyncio.gather(a.ready(), b.ready())
        await a.until(lambda s: s["state"] == "active")
        me = str(alice.user_id)
        start = dict(a.view["players"][me])
        await a.send_input({"dx": -1.0 if start["x"] > 50 else 1.0, "dy": 0.5})
        began = time.monotonic()
        while abs(a.view["players"][me]["x"] - start["x"]) < 5:
            assert time.monotonic() - began < 10, "the position did not change"
            await a.changed()
        await a.send_input({"dx": 0.0, "dy": 0.0})
        await reopened(a)
        assert a.protocol == "gameplatform.compact"
        began = time.monotonic()
        while a.view != b.view or a.tick != b.tick:  # the decoded patches add up to the JSON player's view
            assert time.monotonic() - began < 10, (a.view["players"], b.view["players"])
            await asyncio.sleep(0.1)
        assert isinstance(a.view["players"][me]["x"], float)
        await a.forfeit()
        assert (await b.until_over())["winner_id"] == bob.user_id
