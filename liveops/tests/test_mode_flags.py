"""A game's mode reads flags for no player, taken when its room is made (``ctx.flag``)."""

import pytest

from game import services as games
from gameplatform.rooms.flags import flags_now

pytestmark = pytest.mark.django_db


def test_a_room_starts_with_each_flags_value_for_no_player(make_flag):
    make_flag("target", 3, [{"force": 7}])  # an audience of everyone: applies to no player too
    make_flag("premium_bonus", 0, [{"condition": {"is_premium": True}, "force": 10}])
    make_flag(
        "skin",
        "plain",
        [{"variations": ["a", "b"], "weights": [0.5, 0.5], "key": "exp", "hashAttribute": "id", "coverage": 1}],
    )
    assert flags_now() == {"target": 7, "premium_bonus": 0, "skin": "plain"}


def test_a_games_seating_carries_the_flags_its_room_starts_with(make_flag, alice, bob):
    make_flag("target", 3)
    game = games.game_create(mode="tictactoe", players=[alice, bob])
    (seating,) = games.game_seatings(game_ids=[game.pk])
    assert seating["flags"] == {"target": 3}
