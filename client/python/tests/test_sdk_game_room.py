"""The SDK's game room on a real server: the view kept by patches, change callbacks, inputs and errors."""

import asyncio
import time

import pytest
from gameplatform_client import BadRequest, GameClient, Reconnected, ValidationError

from gameplatform.testhelpers import eventually

from .test_sdk_live import X_WINS

# Holds a route or frame family of the contract to the server: `make test` runs it under daphne too.
pytestmark = pytest.mark.contract


async def matched(mode: str, *clients: GameClient) -> int:
    """Queue every client for ``mode``; the game id they were matched into."""
    for client in clients:
        await client.open_sockets(world=False)
    game_ids = set(await asyncio.gather(*(_match(client, mode) for client in clients)))
    assert len(game_ids) == 1
    return game_ids.pop()


async def _match(client: GameClient, mode: str) -> int:
    answer = await client.join_queue(mode)
    if answer.get("status") == "matched":
        return int(answer["game_id"])
    return await client.wait_for_match(timeout=30)


async def reopened(room) -> None:
    """Drop the room's socket and wait until it is back (with a fresh ``game_state``)."""
    back = asyncio.get_running_loop().create_future()
    stop = room.on("reconnected", lambda e: back.done() or back.set_result(e))
    room.drop()
    try:
        assert isinstance(await asyncio.wait_for(back, 10), Reconnected)
    finally:
        stop()


async def test_until_my_turn_waits_for_the_start_and_a_game_plays_to_its_end(server, make_client):
    alice, bob = await make_client("alice"), await make_client("bob")
    game_id = await matched("tictactoe", alice, bob)
    async with alice.game(game_id) as a, bob.game(game_id) as b:
        assert a.phase in ("waiting_for_players", "waiting_for_ready")
        x, o = (a, b) if a.players[0]["id"] == alice.user_id else (b, a)
        views = []
        x.on_change(views.append)
        with pytest.raises(BadRequest) as early:
            await x.move({"cell": 0})
        assert early.value.code == "game_not_active"
        await x.ready()
        waiting = asyncio.ensure_future(x.until_my_turn())
        await asyncio.sleep(0.3)
        assert not waiting.done()  # O is not ready: the game is not active yet
        await o.ready()
        assert (await waiting)["state"] == "active" and x.my_turn and x.turn == x.client.user_id

        with pytest.raises(BadRequest) as refused:
            await o.move(cell=4)  # X moves first
        assert refused.value.code == "not_your_turn"
        relayed = asyncio.ensure_future(x.wait_for("game_action"))
        await o.action("emote", {"name": "wave"})  # relayed to both; the view does not change
        assert (await relayed)["data"] == {"name": "wave"}
        with pytest.raises(BadRequest) as scored:
            await o.action("report_score", {"score": 3})
        assert scored.value.code == "illegal_action"
        for n, cell in enumerate(X_WINS):
            mover = (x, o)[n % 2]
            await mover.until_my_turn()
            state = await mover.move({"cell": cell})
            assert state["board"][cell] == "XO"[n % 2] and mover.view["board"][cell] == "XO"[n % 2]
        final = await o.until_over()
        assert (final["winner_id"], final["reason"], o.phase) == (x.client.user_id, "win", "finished")
        assert views[-1] == x.view and views[-1]["board"][:3] == ["X", "X", "X"]
    assert alice.socket(f"game:{game_id}") is None  # closed by leaving the block


async def test_battleship_view_kept_by_patches_equals_a_fresh_game_state(server, make_client):
    alice, bob = await make_client("alice"), await make_client("bob")
    game_id = await matched("battleship", alice, bob)
    a, b = await alice.join_game(game_id), await bob.join_game(game_id)
    patches = []
    a.on("state_patch", patches.append)
    b.on("state_patch", patches.append)
    await asyncio.gather(a.ready(), b.ready())
    await a.until(lambda s: s["state"] == "active")
    await b.until(lambda s: s["state"] == "active")
    first, second = (a, b) if a.turn == alice.user_id else (b, a)
    assert len(first.view["mine"]["ships"]) == 5 and "ships" not in first.view["theirs"]  # theirs are hidden

    with pytest.raises(ValidationError) as invalid:
        await first.move({"x": 10, "y": 0})
    assert invalid.value.code == "invalid" and invalid.value.fields
    with pytest.raises(BadRequest) as out_of_turn:
        await second.move({"x": 0, "y": 0})
    assert out_of_turn.value.code == "not_your_turn"

    shots = 0
    for round_ in range(3):
        for shooter in (first, second):
            await shooter.until_my_turn()
            await shooter.move({"x": round_, "y": 0})
            shots += 1
        for room in (first, second):
            # Both are patched up to the last shot before comparing with what a new socket is sent.
            await room.until(lambda s, room=room, n=round_ + 1: len(room.view["mine"]["shots"]) == n)
        if round_ == 1:
            with pytest.raises(BadRequest) as again:
                await first.move({"x": 0, "y": 0})
            assert again.value.code == "already_fired"
        for room in (first, second):
            kept, fresh_version = room.view, room.version
            assert len(kept["theirs"]["shots"]) == round_ + 1
            await reopened(room)
            assert room.version > fresh_version and room.view == kept
    assert len(patches) >= shots  # the shots came as patches, not as full states
    await first.forfeit()
    over = await second.until_over()
    assert (over["winner_id"], over["reason"]) == (second.client.user_id, "forfeit")


async def test_arena_inputs_move_my_player_in_the_view_through_patches(server, make_client):
    alice, bob = await make_client("alice"), await make_client("bob")
    game_id = await matched("arena", alice, bob)
    async with alice.game(game_id) as a, bob.game(game_id) as b:
        await asyncio.gather(a.ready(), b.ready())
        await a.until(lambda s: s["state"] == "active")
        me = str(alice.user_id)
        start = dict(a.view["players"][me])
        ticks = []
        a.on_change(lambda view: ticks.append(a.tick))
        dx = -1.0 if start["x"] > 50 else 1.0
        await a.send_input({"dx": dx, "dy": 0.0})
        began = time.monotonic()
        while abs(a.view["players"][me]["x"] - start["x"]) < 5:
            assert time.monotonic() - began < 10, "the position did not change"
            await a.changed()
        assert a.view["players"][me]["y"] == start["y"]
        assert (a.view["players"][me]["x"] - start["x"]) * dx > 0  # the way I asked
        assert a.state["view"] is not None and len(ticks) > 3 and ticks == sorted(ticks)
        # Bob's view, kept by the same kind of patches, shows my position too.
        await b.until(lambda s: abs(b.view["players"][me]["x"] - start["x"]) >= 5)
        errors = []
        a.on("error", errors.append)
        await a.send_input({"dx": 2, "dy": 0})  # out of range: refused, fire-and-forget
        await a.ping()
        await eventually(lambda: errors, timeout=5, what="the refusal of the input")
        assert [e.code for e in errors] == ["invalid"]
        await a.send_input({"dx": 0.0, "dy": 0.0})
        await a.forfeit()
        over = await b.until_over()
        assert (over["winner_id"], over["reason"]) == (bob.user_id, "forfeit")
