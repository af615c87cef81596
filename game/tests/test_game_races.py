"""Races on PostgreSQL: the records a room makes are written once, whoever writes them.

A room normally records its start and result once; a room taken over after its owner died
may record them again, and two processes may briefly both believe they own it. The database
is what makes that safe: the start only from a waiting state, the result only once, with the
ratings in the same transaction.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from conftest import requires_postgres
from game import services
from game.models import Game, GamePlayer, Rating
from game.timers import abandon_unclaimed_games
from gameplatform.modes import Player, Result
from gameplatform.testhelpers import run_at_once

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


def test_results_recorded_together_match_the_same_results_recorded_one_by_one(make_game, make_user):
    """A player in two games of one batch is rated by the first, then the second, as if alone."""
    a, b, c = make_user(), make_user(), make_user()
    first, second, third = make_game(a, b), make_game(a, c), make_game(b, c)
    records = [
        services.ResultRecord(game_id=first.pk, result=Result(a.pk, "win"), players=seats(a, b)),
        services.ResultRecord(game_id=second.pk, result=Result(c.pk, "win"), players=seats(a, c)),
        services.ResultRecord(game_id=third.pk, result=Result(None, "draw"), players=seats(b, c)),
    ]
    assert services.game_record_results(records=records) == [True, True, True]
    together = dict(Rating.objects.values_list("user_id", "rating"))
    changes = sorted(GamePlayer.objects.values_list("game__mode", "user_id", "seat", "rating_change"))

    Game.objects.all().delete()
    Rating.objects.all().delete()
    for record in records:
        game = make_game(*[User.objects.get(pk=p.id) for p in record.players])
        assert services.game_record_result(game_id=game.pk, result=record.result, players=record.players)
    assert dict(Rating.objects.values_list("user_id", "rating")) == together
    assert sorted(GamePlayer.objects.values_list("game__mode", "user_id", "seat", "rating_change")) == changes
    assert together[a.pk] != 1000  # a won at 1000, then lost to c from 1016: not back to the start


def test_a_batch_records_each_game_once_and_says_which_it_ended(make_game, alice, bob, make_user):
    over, fresh = make_game(alice, bob), make_game(alice, bob)
    services.game_record_result(game_id=over.pk, result=Result(alice.pk, "win"), players=seats(alice, bob))
    record = services.ResultRecord(game_id=fresh.pk, result=Result(bob.pk, "win"), players=seats(alice, bob))
    unknown = services.ResultRecord(game_id=fresh.pk + 1000, result=Result(None, "draw"), players=[])
    again = services.ResultRecord(game_id=over.pk, result=Result(bob.pk, "win"), players=seats(alice, bob))
    assert services.game_record_results(records=[again, record, unknown, record]) == [False, True, False, False]
    assert Game.objects.get(pk=over.pk).winner_id == alice.pk  # not taken back
    assert Game.objects.get(pk=fresh.pk).winner_id == bob.pk
    ratings = dict(Rating.objects.values_list("user_id", "wins"))
    assert ratings == {alice.pk: 1, bob.pk: 1}  # each game rated once


def test_overlapping_batches_on_two_processes_record_every_game_once(make_game, make_user):
    """Two owners (a takeover race) each recording the same games, listed in opposite orders."""
    users = [make_user() for _ in range(8)]
    games = [make_game(users[i], users[(i + 1) % 8]) for i in range(8)]
    records = [
        services.ResultRecord(game_id=g.pk, result=Result(None, "draw"), players=seats(users[i], users[(i + 1) % 8]))
        for i, g in enumerate(games)
    ]
    outcomes = run_at_once(
        lambda: services.game_record_results(records=records),
        lambda: services.game_record_results(records=records[::-1]),
    )
    assert sorted(outcomes[0] + outcomes[1]) == [False] * 8 + [True] * 8
    assert set(Game.objects.values_list("state", flat=True)) == {"finished"}
    assert set(Rating.objects.values_list("draws", flat=True)) == {2}  # every player in two games, rated twice


def test_starts_recorded_together_start_each_waiting_game_once(make_game, alice, bob):
    games = [make_game(alice, bob) for _ in range(4)]
    ids = [g.pk for g in games]
    assert sorted(
        run_at_once(
            lambda: services.game_record_starts(game_ids=ids), lambda: services.game_record_starts(game_ids=ids[::-1])
        )
    ) == [0, 4]
    assert set(Game.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"active"}
    assert services.game_record_starts(game_ids=ids) == 0


def test_seatings_of_several_games_come_in_their_order_with_none_for_a_missing_one(make_game, alice, bob, make_user):
    carol = make_user()
    first, second = make_game(alice, bob), make_game(carol, alice)
    found = services.game_seatings(game_ids=[second.pk, second.pk + 1000, first.pk])
    assert [[p.id for p in s["players"]] if s else None for s in found] == [
        [carol.pk, alice.pk],
        None,
        [alice.pk, bob.pk],
    ]
    assert found[0]["mode"] == second.mode and not found[0]["over"]


def test_a_result_without_a_board_leaves_the_board_empty_not_json_null(make_game, alice, bob):
    hidden, shown = make_game(alice, bob), make_game(alice, bob)
    services.game_record_result(game_id=hidden.pk, result=Result(alice.pk, "win"), players=seats(alice, bob))
    board = ["X", None, None, None, None, None, None, None, None]
    services.game_record_result(
        game_id=shown.pk, result=Result(alice.pk, "win"), players=seats(alice, bob), board=board
    )
    assert list(Game.objects.filter(board__isnull=True).values_list("pk", flat=True)) == [hidden.pk]
    assert Game.objects.get(pk=shown.pk).board == board
