"""The rule engines and Elo as pure functions."""

import pytest

from game.elo import rating_changes
from game.modes import MODES, get_engine, relay, tictactoe
from game.modes.base import Seat
from gameplatform.errors import ApplicationError


def seats(*ids, forfeited=(), reports=None):
    reports = reports or {}
    return [
        Seat(
            user_id=uid,
            seat=i,
            side="left" if i % 2 == 0 else "right",
            score=0,
            forfeited=uid in forfeited,
            reported_scores=reports.get(uid),
        )
        for i, uid in enumerate(ids)
    ]


def test_modes_lists_both_engines_and_unknown_mode_is_invalid_mode():
    assert set(MODES) == {"tictactoe", "relay"}
    with pytest.raises(ApplicationError) as err:
        get_engine("chess")
    assert err.value.code == "invalid_mode"


def test_tictactoe_left_plays_x_and_moves_first():
    board, turn = tictactoe.start(seats(1, 2))
    assert board == [None] * 9 and turn == 1
    result = tictactoe.move(board=board, turn_id=1, player=seats(1, 2)[0], players=seats(1, 2), movement={"cell": 4})
    assert result.board[4] == "X" and result.turn_id == 2 and result.outcome is None


@pytest.mark.parametrize("movement", [{"cell": 9}, {"cell": -1}, {"cell": "4"}, {"cell": True}, {"cell": 1.0}, {}])
def test_tictactoe_refuses_cells_out_of_range_or_not_integers(movement):
    players = seats(1, 2)
    with pytest.raises(ApplicationError) as err:
        tictactoe.move(board=[None] * 9, turn_id=1, player=players[0], players=players, movement=movement)
    assert err.value.code == "illegal_move"


def test_tictactoe_detects_a_diagonal_win_and_a_full_board_draw():
    players = seats(1, 2)
    board = ["X", "O", None, "O", "X", None, None, None, None]
    won = tictactoe.move(board=board, turn_id=1, player=players[0], players=players, movement={"cell": 8})
    assert won.outcome.winner_id == 1 and won.outcome.reason == "win" and won.turn_id is None
    board = ["X", "O", "X", "X", "O", "O", "O", "X", None]
    drawn = tictactoe.move(board=board, turn_id=1, player=players[0], players=players, movement={"cell": 8})
    assert drawn.outcome.winner_id is None and drawn.outcome.reason == "draw"


def test_relay_settles_only_when_every_player_reports_the_same_scores():
    assert relay.settle(seats(1, 2, reports={1: {"1": 3, "2": 1}})) is None
    assert relay.settle(seats(1, 2, reports={1: {"1": 3, "2": 1}, 2: {"1": 3, "2": 2}})) is None
    outcome = relay.settle(seats(1, 2, reports={1: {"1": 3, "2": 1}, 2: {"1": 3, "2": 1}}))
    assert outcome.winner_id == 1 and outcome.scores == {1: 3, 2: 1}
    tie = relay.settle(seats(1, 2, reports={1: {"1": 2, "2": 2}, 2: {"1": 2, "2": 2}}))
    assert tie.winner_id is None and tie.reason == "draw"


def test_relay_report_must_name_every_remaining_player():
    players = seats(1, 2, 3, forfeited={3})
    with pytest.raises(ApplicationError) as err:
        relay.action(player=players[0], players=players, action="report_score", data={"scores": {"1": 1}})
    assert err.value.code == "illegal_action"
    ok = relay.action(player=players[0], players=players, action="report_score", data={"scores": {"1": 1, "2": 0}})
    assert ok.report == {1: 1, 2: 0}


def test_elo_two_players_is_plain_elo_with_k_32():
    assert rating_changes({1: 1000, 2: 1000}, {1: "win", 2: "loss"}) == {1: 16, 2: -16}
    assert rating_changes({1: 1000, 2: 1000}, {1: "draw", 2: "draw"}) == {1: 0, 2: 0}
    upset = rating_changes({1: 1200, 2: 1000}, {1: "loss", 2: "win"})
    assert upset[2] > 16 and upset[1] == -upset[2]
