"""One heartbeat per server process refreshes every game seat it holds."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from game import services
from game.models import GamePlayer
from game.timers import mark_stale_players

pytestmark = pytest.mark.django_db


def seated(game, *users):
    for user in users:
        services.game_player_connect(game_id=game.pk, user_id=user.pk, connection_id=f"c{game.pk}-{user.pk}")
    return [(game.pk, user.pk, f"c{game.pk}-{user.pk}") for user in users]


def test_one_update_refreshes_every_seat_the_process_holds(make_game, make_user):
    players = [make_user() for _ in range(20)]
    seats = []
    for a, b in zip(players[::2], players[1::2], strict=True):
        seats += seated(make_game(a, b), a, b)
    long_ago = timezone.now() - timedelta(minutes=5)
    GamePlayer.objects.update(last_seen_at=long_ago)

    with CaptureQueriesContext(connection) as queries:
        assert services.game_seats_heartbeat(seats=seats) == 20
    assert len(queries) == 1
    assert not GamePlayer.objects.filter(last_seen_at__lte=long_ago).exists()


def test_a_seat_taken_for_dead_comes_back_with_the_process_beat(make_game, alice, bob):
    game = make_game(alice, bob)
    seats = seated(game, alice, bob)
    now = timezone.now()
    GamePlayer.objects.filter(game=game, user=alice).update(last_seen_at=now - timedelta(seconds=60))
    assert mark_stale_players(now=now) == 1
    assert GamePlayer.objects.get(game=game, user=alice).connected is False

    assert services.game_seats_heartbeat(seats=seats) == 2
    assert GamePlayer.objects.get(game=game, user=alice).connected is True


def test_a_beat_for_a_seat_another_socket_took_refreshes_nothing(make_game, alice, bob):
    game = make_game(alice, bob)
    seated(game, alice, bob)
    services.game_player_connect(game_id=game.pk, user_id=alice.pk, connection_id="newer")
    assert services.game_seats_heartbeat(seats=[(game.pk, alice.pk, f"c{game.pk}-{alice.pk}")]) == 0
