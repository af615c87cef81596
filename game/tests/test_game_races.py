"""Races on PostgreSQL: concurrent moves on one board, several timer runners on one grace."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import requires_postgres
from game import services
from game.models import Game, Rating
from game.timers import expire_absent_players
from gameplatform.testing import run_at_once

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgres]


def started(make_game, a, b):
    game = make_game(a, b)
    for user in (a, b):
        services.game_player_connect(game_id=game.pk, user_id=user.pk, connection_id=f"c{user.pk}")
        services.game_player_ready(game_id=game.pk, user_id=user.pk)
    return game


def test_two_moves_at_once_on_one_turn_apply_exactly_one(make_game, alice, bob):
    game = started(make_game, alice, bob)
    results = run_at_once(
        *[
            lambda cell=cell: services.game_move(game_id=game.pk, user_id=alice.pk, movement={"cell": cell})
            for cell in range(8)
        ]
    )
    assert sorted(r for r in results if isinstance(r, str)) == ["not_your_turn"] * 7
    game.refresh_from_db()
    assert sum(cell is not None for cell in game.board) == 1 and game.move_count == 1 and game.turn_id == bob.pk


def test_several_timer_runners_forfeit_once_and_rate_once(make_game, alice, bob):
    game = started(make_game, alice, bob)
    services.game_player_disconnect(game_id=game.pk, user_id=alice.pk, connection_id=f"c{alice.pk}")
    later = timezone.now() + timedelta(seconds=60)
    results = run_at_once(*[lambda: expire_absent_players(now=later) for _ in range(6)])
    assert sorted(results) == [0, 0, 0, 0, 0, 1]
    game.refresh_from_db()
    assert (game.state, game.winner_id, game.rated) == ("finished", bob.pk, True)
    assert dict(Rating.objects.values_list("user_id", "rating")) == {alice.pk: 984, bob.pk: 1016}
    assert Game.objects.filter(rated=True).count() == 1


def test_a_move_racing_the_opponents_forfeit_is_applied_before_it_or_not_at_all(make_game, alice, bob):
    for _ in range(6):
        game = started(make_game, alice, bob)
        results = run_at_once(
            lambda game_id=game.pk: services.game_move(game_id=game_id, user_id=alice.pk, movement={"cell": 4}),
            lambda game_id=game.pk: services.game_forfeit(game_id=game_id, user_id=bob.pk),
        )
        game.refresh_from_db()
        # The forfeit always ends the game; the move is either on the board before it, or refused.
        assert (game.state, game.winner_id, game.reason) == ("finished", alice.pk, "forfeit")
        moved = not isinstance(results[0], str)
        assert game.move_count == (1 if moved else 0)
        assert (game.board is not None and game.board[4] is not None) == moved
        if not moved:
            assert results[0] == "game_over"
        Game.objects.filter(pk=game.pk).delete()


def test_a_plain_move_is_one_read_and_one_write(make_game, alice, bob):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    game = started(make_game, alice, bob)
    with CaptureQueriesContext(connection) as queries:
        services.game_move(game_id=game.pk, user_id=alice.pk, movement={"cell": 0})
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT", "UPDATE"]
    game.refresh_from_db()
    assert game.board[0] is not None and game.move_count == 1 and game.turn_id == bob.pk
