"""Races on PostgreSQL: the records a room makes are written once, whoever writes them.

A room normally records its start and result once; a room taken over after its owner died
may record them again, and two processes may briefly both believe they own it. The database
is what makes that safe: the start only from a waiting state, the result only once, with the
ratings in the same transaction.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import requires_postgres
from game import services
from game.models import Game, GamePlayer, Rating
from game.timers import abandon_unclaimed_games
from gameplatform.modes import Player, Result
from gameplatform.testing import run_at_once

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgres]


def seats(*users) -> list[Player]:
    return [
        Player(id=u.pk, username=u.username, seat=i, side="left" if i % 2 == 0 else "right")
        for i, u in enumerate(users)
    ]


def test_two_processes_recording_one_result_record_it_and_rate_it_once(make_game, alice, bob):
    game = make_game(alice, bob)
    services.game_record_start(game_id=game.pk)
    players = seats(alice, bob)
    outcomes = run_at_once(
        lambda: services.game_record_result(game_id=game.pk, result=Result(alice.pk, "win"), players=players),
        lambda: services.game_record_result(game_id=game.pk, result=Result(bob.pk, "win"), players=players),
    )
    assert sorted(outcomes) == [False, True]
    game.refresh_from_db()
    assert game.state == "finished" and game.rated
    ratings = dict(Rating.objects.values_list("user_id", "rating"))
    assert sorted(ratings.values()) == [984, 1016] and ratings[game.winner_id] == 1016


def test_the_start_is_recorded_once_and_never_after_the_end(make_game, alice, bob):
    game = make_game(alice, bob)
    assert sorted(run_at_once(*[lambda: services.game_record_start(game_id=game.pk)] * 4)) == [False] * 3 + [True]
    services.game_record_result(game_id=game.pk, result=Result(winner=None, reason="draw"), players=seats(alice, bob))
    assert services.game_record_start(game_id=game.pk) is False
    assert Game.objects.get(pk=game.pk).state == "finished"


def test_a_game_nobody_came_to_is_abandoned_once_by_the_timer(make_game, make_user, alice, bob):
    stale = make_game(alice, bob)
    fresh = make_game(make_user(), make_user())  # still within the first-connect grace
    GamePlayer.objects.filter(game=stale).update(disconnected_at=timezone.now() - timedelta(seconds=120))
    assert sorted(run_at_once(*[abandon_unclaimed_games] * 3)) == [0, 0, 1]
    stale.refresh_from_db()
    assert (stale.state, stale.reason, stale.rated) == ("abandoned", "abandoned", False)
    assert not Rating.objects.exists()
    assert Game.objects.get(pk=fresh.pk).state == "waiting_for_players"
    assert abandon_unclaimed_games() == 0
