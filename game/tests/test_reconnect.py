"""Reconnection within the grace, forfeit after it, over the real ASGI application.

The room keeps the clocks (``gameplatform.rooms.server_room``; its own tests run them on a fake clock):
these tests check that the sockets and the records follow them.
"""

import asyncio

import pytest

from conftest import receive_type
from game.models import Game, Rating
from game.tests.conftest import db, play

pytestmark = pytest.mark.django_db(transaction=True)


async def test_reconnect_within_grace_restores_the_full_game_state(make_game, alice, bob, start_game, open_game):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await play(ws_a, ws_b, 4)
    await ws_b.disconnect()
    assert await receive_type(ws_a, "player_disconnected") == {"type": "player_disconnected", "user_id": bob.pk}
    ws_b, state = await open_game(game.pk, bob)
    assert state["state"] == "active" and state["board"][4] == "X" and state["turn"] == bob.pk
    assert state["view"] == {"board": state["board"], "marks": {str(alice.pk): "X", str(bob.pk): "O"}}
    assert await receive_type(ws_a, "player_reconnected") == {"type": "player_reconnected", "user_id": bob.pk}
    await play(ws_b, ws_a, 0)
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_staying_away_past_the_grace_forfeits_once_and_rates_once(make_game, alice, bob, start_game, settings):
    settings.RECONNECT_GRACE_SECONDS = 1
    settings.FIRST_CONNECT_GRACE_SECONDS = 1
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await ws_b.disconnect()
    assert await receive_type(ws_a, "forfeit", timeout=15) == {"type": "forfeit", "user_id": bob.pk}
    over = await receive_type(ws_a, "game_over")
    assert over == {"type": "game_over", "winner_id": alice.pk, "reason": "forfeit"}
    record = await db(Game.objects.get)(pk=game.pk)
    assert (record.state, record.winner_id, record.reason) == ("finished", alice.pk, "forfeit")
    ratings = await db(lambda: dict(Rating.objects.values_list("user_id", "rating")))()
    assert ratings == {alice.pk: 1016, bob.pk: 984}
    await ws_a.disconnect()


async def test_leaving_before_the_start_abandons_without_ratings(make_game, alice, bob, open_game):
    game = await db(make_game)(alice, bob)
    ws_a, _ = await open_game(game.pk, alice)
    ws_b, _ = await open_game(game.pk, bob)
    await ws_b.send_json_to({"type": "forfeit"})
    for ws in (ws_a, ws_b):
        assert await receive_type(ws, "game_over") == {"type": "game_over", "winner_id": None, "reason": "abandoned"}
    record = await db(Game.objects.get)(pk=game.pk)
    assert record.state == "abandoned" and not record.rated
    assert not await db(Rating.objects.exists)()
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_a_finished_game_answers_its_final_state_and_refuses_moves(make_game, alice, bob, start_game, open_game):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await ws_a.send_json_to({"type": "forfeit"})
    await receive_type(ws_b, "game_over")
    await ws_a.disconnect()
    await ws_b.disconnect()
    await asyncio.sleep(0.05)
    ws, state = await open_game(game.pk, alice)
    assert (state["state"], state["winner_id"], state["reason"]) == ("finished", bob.pk, "forfeit")
    await ws.send_json_to({"type": "player_move", "movement": {"cell": 0}, "ref": 3})
    error = await receive_type(ws, "error")
    assert (error["code"], error["ref"]) == ("game_over", 3)
    await ws.disconnect()


async def test_one_game_is_written_three_times_however_many_moves_it_has(make_game, alice, bob, start_game):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    movers = [(ws_a, ws_b), (ws_b, ws_a)]
    for i, cell in enumerate([0, 1, 2, 4, 3, 5, 7, 6]):
        await play(*movers[i % 2], cell)
    record = await db(Game.objects.get)(pk=game.pk)
    assert (record.state, record.version, record.board) == ("active", 1, None)  # created, then started: no move
    final = await play(ws_a, ws_b, 8)
    record = await db(Game.objects.get)(pk=game.pk)
    # the result, written once, with the room's last version: a reconnect's state is never "older"
    assert (record.state, record.version, record.reason) == ("finished", final["version"], "draw")
    assert record.board == ["X", "O", "X", "X", "O", "O", "O", "X", "X"]
    await ws_a.disconnect()
    await ws_b.disconnect()
