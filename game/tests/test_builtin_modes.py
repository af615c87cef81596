"""Tic-tac-toe and relay on the public mode API, driven by the test kit (no server)."""

import random

import pytest

from game.modes.builtin.arena import Arena
from game.modes.builtin.relay import Relay
from game.modes.builtin.tictactoe import TicTacToe
from gameplatform.modes.testing import ModeTester


@pytest.fixture
def ttt():
    game = ModeTester(TicTacToe())
    game.start()
    return game


def test_tictactoe_x_moves_first_and_three_in_a_row_wins(ttt):
    for pid, cell in [(1, 0), (2, 3), (1, 1), (2, 4), (1, 2)]:
        ttt.move(pid, {"cell": cell})
    assert (ttt.result.winner, ttt.result.reason) == (1, "win")
    final = ttt.frames(2, "game_state")[-1]
    assert final["state"] == "finished" and final["winner_id"] == 1
    assert final["board"] == ["X", "X", "X", "O", "O", None, None, None, None]
    assert ttt.frames(2)[-1] == {"type": "game_over", "winner_id": 1, "reason": "win"}


def test_tictactoe_refuses_out_of_turn_taken_and_out_of_range_cells(ttt):
    ttt.refused(2, "not_your_turn", move={"cell": 0})
    ttt.move(1, {"cell": 0})
    ttt.refused(2, "illegal_move", move={"cell": 0})
    ttt.refused(2, "illegal_move", move={"cell": 9})
    ttt.refused(2, "illegal_move", move={"cell": "4"})
    ttt.refused(1, "illegal_action", action=("report_score", {"scores": {"1": 3}}))


def test_tictactoe_relays_each_move_and_sends_the_state_after_it(ttt):
    ttt.move(1, {"cell": 4})
    types = [f["type"] for f in ttt.frames(2)]
    assert types[-3:] == ["player_move", "state_patch", "game_state"]
    assert ttt.frames(2, "player_move") == [{"type": "player_move", "user_id": 1, "movement": {"cell": 4}}]
    assert ttt.frames(2, "state_patch")[-1]["ops"] == [{"op": "replace", "path": "/board/4", "value": "X"}]
    assert ttt.frames(2, "game_state")[-1]["turn"] == 2


def test_tictactoe_full_board_without_a_line_is_a_draw(ttt):
    for pid, cell in [(1, 0), (2, 1), (1, 2), (2, 4), (1, 3), (2, 5), (1, 7), (2, 6), (1, 8)]:
        ttt.move(pid, {"cell": cell})
    assert (ttt.result.winner, ttt.result.reason) == (None, "draw")


def test_random_tictactoe_games_keep_patched_views_exact_to_the_end():
    rng = random.Random(1)
    for seed in range(30):
        game = ModeTester(TicTacToe(), seed=seed)
        game.start()
        while game.result is None:
            turn = game.room.ctx.turn
            free = [i for i, c in enumerate(game.state["board"]) if c is None]
            if rng.random() < 0.2:
                game.refused(3 - turn, "not_your_turn", move={"cell": free[0]})
            game.move(turn, {"cell": rng.choice(free)})
        assert game.phase == "finished"


def test_relay_ends_when_every_player_reports_the_same_scores():
    game = ModeTester(Relay(), players=3)
    game.start()
    game.move(1, {"x": 1, "y": 2})
    assert game.frames(3, "player_move")[-1] == {"type": "player_move", "user_id": 1, "movement": {"x": 1, "y": 2}}
    report = {"scores": {"1": 5, "2": 9, "3": 1}}
    game.action(1, "report_score", report)
    game.action(2, "report_score", {"scores": {"1": 5, "2": 8, "3": 1}})  # disagrees: nothing ends
    game.action(3, "report_score", report)
    assert game.result is None
    game.action(2, "report_score", report)
    assert (game.result.winner, game.result.scores) == (2, {1: 5, 2: 9, 3: 1})
    assert [p["score"] for p in game.frames(1, "game_state")[-1]["players"]] == [5, 9, 1]


def test_relay_refuses_reports_that_miss_a_player_or_are_out_of_range():
    game = ModeTester(Relay())
    game.start()
    game.refused(1, "illegal_action", action=("report_score", {"scores": {"1": 1}}))
    game.refused(1, "illegal_action", action=("report_score", {"scores": {"1": -1, "2": 0}}))
    game.refused(1, "invalid", move=["not", "an", "object"])


def test_relay_a_forfeit_settles_when_the_rest_already_agree():
    game = ModeTester(Relay(), players=3)
    game.start()
    report = {"scores": {"1": 1, "2": 2, "3": 3}}
    game.action(1, "report_score", report)
    game.action(2, "report_score", report)
    game.forfeit(3)
    assert game.result is None  # the reports named player 3: they must report again without them
    game.action(1, "report_score", {"scores": {"1": 4, "2": 2}})
    game.action(2, "report_score", {"scores": {"1": 4, "2": 2}})
    assert game.result.winner == 1


# --- the registry and GET /api/game/modes/ ------------------------------------------------


@pytest.mark.django_db
def test_the_modes_route_lists_every_configured_mode_without_auth(client):
    response = client.get("/api/game/modes/")
    assert response.status_code == 200
    names = [m["name"] for m in response.json()["results"]]
    assert names == ["tictactoe", "relay", "battleship", "arena"]
    assert response.json()["results"][0] == {
        "name": "tictactoe",
        "title": "Tic-tac-toe",
        "description": TicTacToe.description,
        "min_players": 2,
        "max_players": 2,
        "tick_rate": 0,
        "turn_seconds": None,
        "messages": {
            "player_move": {"type": "object", "description": "any JSON object, at most 256 bytes"},
            "game_action": {"*": {"type": "object", "description": "any JSON object, at most 4096 bytes"}},
            "input": None,
        },
        "input_rate": 30.0,
        "join_in_progress": False,
        "spectators": "everyone",
        "spectator_delay": 0.0,
    }
    arena = next(m for m in response.json()["results"] if m["name"] == "arena")
    assert arena["join_in_progress"] is True


@pytest.mark.django_db
def test_the_modes_route_gives_a_real_time_modes_input_schema_and_rate(client):
    arena = next(m for m in client.get("/api/game/modes/").json()["results"] if m["name"] == "arena")
    assert arena["messages"] == {
        "player_move": None,
        "game_action": {},
        "input": {
            "type": "object",
            "properties": {
                "dx": {"type": "number", "minimum": -1, "maximum": 1},
                "dy": {"type": "number", "minimum": -1, "maximum": 1},
            },
            "required": ["dx", "dy"],
            "additionalProperties": False,
        },
    }
    assert arena["input_rate"] == Arena.input_rate


def test_a_mode_path_that_does_not_import_stops_start_up_with_its_name(settings):
    from django.core.exceptions import ImproperlyConfigured

    from game import registry

    settings.GAME_MODES = ["nowhere.modes.Missing"]
    registry.modes.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match="nowhere.modes.Missing"):
            registry.modes()
    finally:
        registry.modes.cache_clear()


def test_a_class_with_impossible_facts_is_refused_with_every_problem(settings):
    from django.core.exceptions import ImproperlyConfigured

    from game import registry

    settings.GAME_MODES = ["game.tests.test_builtin_modes.Broken"]
    registry.modes.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match="name must be.*players must"):
            registry.modes()
    finally:
        registry.modes.cache_clear()


class Broken(TicTacToe):
    name = "Bad Name"
    min_players = 1


def test_a_wrong_mode_path_stops_manage_py_at_start_up_with_its_name():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "GAME_MODES": "nowhere.modes.Missing", "DJANGO_SETTINGS_MODULE": "gameplatform.test_settings"}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "GAME_MODES: 'nowhere.modes.Missing' does not import" in done.stderr
