"""Many games at once (the matcher's round): the same rules as one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from game.models import Game, GamePlayer
from game.services import game_create_many
from gameplatform.core.errors import ApplicationError
from matchmaking.models import QueueEntry

pytestmark = pytest.mark.django_db


def test_each_group_gets_its_game_in_order_with_alternating_sides(make_user):
    groups = [[make_user(), make_user()] for _ in range(3)]
    games = game_create_many(mode="tictactoe", groups=groups)
    assert [g.pk for g in games] == sorted(Game.objects.values_list("pk", flat=True))
    for game, (left, right) in zip(games, groups, strict=True):
        seats = list(GamePlayer.objects.filter(game=game).order_by("seat").values_list("user_id", "side"))
        assert seats == [(left.pk, "left"), (right.pk, "right")]
        assert game.state == "waiting_for_players" and game.mode == "tictactoe"


def test_the_statements_do_not_grow_with_the_number_of_games(make_user):
    groups = [[make_user().pk, make_user().pk] for _ in range(40)]
    with CaptureQueriesContext(connection) as ctx:
        game_create_many(mode="tictactoe", groups=groups)
    # Savepoint, games, seats, the queue's DELETE, release; SQLite cuts an INSERT past its
    # variable limit (999) into batches: 80 seats of 12 columns are two.
    assert len(ctx.captured_queries) <= (5 if connection.vendor == "postgresql" else 6)


def test_the_players_leave_the_queue(make_user):
    a, b, c = make_user(), make_user(), make_user()
    for user in (a, b, c):
        QueueEntry.objects.create(user=user, mode="relay", rating=1000, joined_at="2025-01-01T00:00:00Z")
    game_create_many(mode="tictactoe", groups=[[a, b]])
    assert list(QueueEntry.objects.values_list("user_id", flat=True)) == [c.pk]


@pytest.mark.parametrize(
    "shape, code",
    [("twice_in_a_group", "invalid_players"), ("in_two_groups", "invalid_players"), ("alone", "invalid_player_count")],
)
def test_a_broken_group_makes_no_game_at_all(make_user, shape, code):
    a, b, c = make_user(), make_user(), make_user()
    groups = {
        "twice_in_a_group": [[a, b], [c, c]],
        "in_two_groups": [[a, b], [b, c]],
        "alone": [[a, b], [c]],
    }[shape]
    with pytest.raises(ApplicationError) as raised:
        game_create_many(mode="tictactoe", groups=groups)
    assert raised.value.code == code
    assert not Game.objects.exists()


def test_no_groups_no_games():
    assert game_create_many(mode="tictactoe", groups=[]) == []
