"""Tic-tac-toe over the real ASGI application: access, ready/start, full games, every refused move."""

import pytest

from conftest import receive_type
from game.models import Rating
from game.rooms import get_room_host
from game.tests.conftest import closed_with, db, play

pytestmark = pytest.mark.django_db(transaction=True)

WIN_FOR_X = [0, 3, 1, 4, 2]  # X takes the top row
DRAW = [0, 1, 2, 4, 3, 5, 7, 6, 8]


async def test_non_player_is_refused_4403_and_opens_no_room(make_game, alice, bob, carol, ws_connect):
    """A game's first socket opens its room for its player only: a stranger's leaves none running."""
    game = await db(make_game)(alice, bob)
    ws, connected, _ = await ws_connect(f"/ws/game/{game.pk}/", carol)
    assert connected  # accepted, then closed, so browsers can read the code
    assert await closed_with(ws) == 4403
    assert game.pk not in get_room_host().rooms


async def test_non_player_is_refused_4403_while_the_game_runs_here(make_game, alice, bob, carol, open_game, ws_connect):
    """The second socket's seat check asks the room running here, not the database: a stranger still gets 4403."""
    game = await db(make_game)(alice, bob)
    ws_a, _ = await open_game(game.pk, alice)
    ws_b, state = await open_game(game.pk, bob)  # seated by the room alice's socket opened
    assert [p["id"] for p in state["players"]] == [alice.pk, bob.pk]
    ws, connected, _ = await ws_connect(f"/ws/game/{game.pk}/", carol)
    assert connected and await closed_with(ws) == 4403
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_unknown_game_is_4404(alice, ws_connect):
    ws, connected, _ = await ws_connect("/ws/game/999999/", alice)
    assert await closed_with(ws) == 4404


async def test_anonymous_socket_is_4401(make_game, alice, bob, ws_connect):
    game = await db(make_game)(alice, bob)
    ws, _, _ = await ws_connect(f"/ws/game/{game.pk}/")
    assert await closed_with(ws) == 4401


async def test_game_state_on_connect_then_waiting_for_ready_once_both_are_here(make_game, alice, bob, open_game):
    game = await db(make_game)(alice, bob)
    ws_a, state = await open_game(game.pk, alice)
    assert state["state"] == "waiting_for_players" and state["mode"] == "tictactoe"
    assert [(p["id"], p["side"], p["connected"]) for p in state["players"]] == [
        (alice.pk, "left", True),
        (bob.pk, "right", False),
    ]
    ws_b, state_b = await open_game(game.pk, bob)
    assert state_b["state"] == "waiting_for_ready"
    seen_by_a = await receive_type(ws_a, "game_state")
    assert seen_by_a["state"] == "waiting_for_ready" and all(p["connected"] for p in seen_by_a["players"])
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_game_starts_only_after_everyone_is_ready(make_game, alice, bob, open_game):
    game = await db(make_game)(alice, bob)
    ws_a, _ = await open_game(game.pk, alice)
    ws_b, _ = await open_game(game.pk, bob)
    await receive_type(ws_a, "game_state")
    await ws_a.send_json_to({"type": "player_ready"})
    for ws in (ws_a, ws_b):
        assert await ws.receive_json_from() == {"type": "player_ready", "user_id": alice.pk}
        state = await ws.receive_json_from()
        assert state["type"] == "game_state" and state["state"] == "waiting_for_ready"
    await ws_a.send_json_to({"type": "player_ready"})  # twice: nothing new
    await ws_a.send_json_to({"type": "player_move", "movement": {"cell": 0}})
    error = await ws_a.receive_json_from()
    assert error["type"] == "error" and error["code"] == "game_not_active"
    assert await ws_b.receive_nothing(0.2)
    await ws_b.send_json_to({"type": "player_ready"})
    for ws in (ws_a, ws_b):
        assert await ws.receive_json_from() == {"type": "player_ready", "user_id": bob.pk}
        assert await ws.receive_json_from() == {"type": "game_start"}
        state = await ws.receive_json_from()
        assert state["state"] == "active" and state["turn"] == alice.pk and state["board"] == [None] * 9
    await ws_a.send_json_to({"type": "player_ready"})
    assert (await ws_a.receive_json_from())["code"] == "game_started"
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_full_game_to_a_win_updates_ratings(make_game, alice, bob, start_game):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    movers = [(ws_a, ws_b), (ws_b, ws_a)]
    for i, cell in enumerate(WIN_FOR_X[:-1]):
        state = await play(*movers[i % 2], cell)
        assert state["state"] == "active"
    await ws_a.send_json_to({"type": "player_move", "movement": {"cell": WIN_FOR_X[-1]}})
    for ws in (ws_a, ws_b):
        await receive_type(ws, "player_move")
        state = await receive_type(ws, "game_state")
        assert state["state"] == "finished" and state["winner_id"] == alice.pk and state["turn"] is None
        assert state["board"][:3] == ["X", "X", "X"]
        assert await ws.receive_json_from() == {"type": "game_over", "winner_id": alice.pk, "reason": "win"}
    ratings = await db(lambda: dict(Rating.objects.filter(mode="tictactoe").values_list("user_id", "rating")))()
    assert ratings == {alice.pk: 1016, bob.pk: 984}
    await ws_b.send_json_to({"type": "player_move", "movement": {"cell": 8}})
    assert (await ws_b.receive_json_from())["code"] == "game_over"
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_full_game_to_a_draw(make_game, alice, bob, start_game):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    movers = [(ws_a, ws_b), (ws_b, ws_a)]
    for i, cell in enumerate(DRAW[:-1]):
        await play(*movers[i % 2], cell)
    await ws_a.send_json_to({"type": "player_move", "movement": {"cell": DRAW[-1]}})
    for ws in (ws_a, ws_b):
        state = await receive_type(ws, "game_state")
        assert state["state"] == "finished" and state["winner_id"] is None and None not in state["board"]
        assert await ws.receive_json_from() == {"type": "game_over", "winner_id": None, "reason": "draw"}
    draws = await db(lambda: list(Rating.objects.values_list("draws", "rating")))()
    assert draws == [(1, 1000), (1, 1000)]
    # Sockets that stay open on the finished game keep no watch on it: nobody reopens its room.
    assert game.pk not in get_room_host().watched
    await ws_a.disconnect()
    await ws_b.disconnect()


@pytest.mark.parametrize(
    "movement, code",
    [
        ({"cell": 9}, "illegal_move"),
        ({"cell": -1}, "illegal_move"),
        ({"cell": "4"}, "illegal_move"),
        ({"cell": None}, "illegal_move"),
        ({}, "illegal_move"),
        ("4", "invalid"),
    ],
)
async def test_bad_cells_are_refused_and_change_nothing(make_game, alice, bob, start_game, movement, code):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await ws_a.send_json_to({"type": "player_move", "movement": movement, "ref": 7})
    error = await ws_a.receive_json_from()
    assert error["type"] == "error" and error["code"] == code and error["ref"] == 7
    assert await ws_b.receive_nothing(0.2)
    state = await play(ws_a, ws_b, 0)  # nothing changed: the legal move is the first one
    assert state["board"] == ["X"] + [None] * 8 and state["turn"] == bob.pk
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_occupied_cell_and_out_of_turn_moves_are_refused(make_game, alice, bob, start_game):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await ws_b.send_json_to({"type": "player_move", "movement": {"cell": 0}})
    assert (await ws_b.receive_json_from())["code"] == "not_your_turn"
    await play(ws_a, ws_b, 4)
    await ws_a.send_json_to({"type": "player_move", "movement": {"cell": 0}})
    assert (await ws_a.receive_json_from())["code"] == "not_your_turn"
    await ws_b.send_json_to({"type": "player_move", "movement": {"cell": 4}})
    assert (await ws_b.receive_json_from())["code"] == "illegal_move"
    assert await ws_a.receive_nothing(0.2)
    state = await play(ws_b, ws_a, 0)
    assert state["board"] == ["O", None, None, None, "X", None, None, None, None] and state["turn"] == alice.pk
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_forfeit_frame_ends_the_game_for_the_other_player(make_game, alice, bob, start_game):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await ws_b.send_json_to({"type": "forfeit"})
    for ws in (ws_a, ws_b):
        assert await receive_type(ws, "forfeit") == {"type": "forfeit", "user_id": bob.pk}
        over = await receive_type(ws, "game_over")
        assert over == {"type": "game_over", "winner_id": alice.pk, "reason": "forfeit"}
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_a_second_socket_replaces_the_first_which_hears_replaced_then_4409(make_game, alice, bob, open_game):
    game = await db(make_game)(alice, bob)
    first, _ = await open_game(game.pk, alice)
    second, state = await open_game(game.pk, alice)
    error = await receive_type(first, "error")
    assert error["code"] == "replaced"
    assert await closed_with(first) == 4409
    await first.disconnect()
    assert state["players"][0]["connected"] is True
    bob_ws, bob_state = await open_game(game.pk, bob)
    # the replaced socket closing did not mark alice away
    assert [p["connected"] for p in bob_state["players"]] == [True, True]
    assert bob_state["state"] == "waiting_for_ready"
    await bob_ws.disconnect()
    await second.disconnect()


async def test_game_action_is_relayed_to_the_room(make_game, alice, bob, start_game):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await ws_a.send_json_to({"type": "game_action", "action": "emote", "data": {"name": "wave"}})
    expected = {"type": "game_action", "user_id": alice.pk, "action": "emote", "data": {"name": "wave"}}
    assert await ws_b.receive_json_from() == expected
    assert await ws_a.receive_json_from() == expected
    await ws_a.send_json_to({"type": "game_action", "action": "Bad Name!"})
    error = await ws_a.receive_json_from()
    assert error["code"] == "invalid" and "action" in error["fields"]
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_a_move_sent_with_a_ref_is_acked_after_the_frames_it_made_and_only_to_its_sender(
    make_game, alice, bob, start_game
):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await ws_a.send_json_to({"type": "player_move", "movement": {"cell": 4}, "ref": "m1"})
    seen = []
    while not seen or seen[-1]["type"] != "ack":
        seen.append(await ws_a.receive_json_from())
    types = [frame["type"] for frame in seen]
    assert types[0] == "player_move" and "game_state" in types  # the move and its state came first
    assert seen[-1] == {"type": "ack", "ref": "m1"}
    for_bob = [await ws_b.receive_json_from() for _ in types[:-1]]
    assert [frame["type"] for frame in for_bob] == types[:-1]  # the same frames, without my ack
    assert await ws_b.receive_nothing(0.2)
    await ws_a.send_json_to({"type": "player_move", "movement": {"cell": 0}})  # without a ref: no ack
    assert (await ws_a.receive_json_from())["type"] == "error"
    await ws_a.disconnect()
    await ws_b.disconnect()
