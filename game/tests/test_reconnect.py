"""Reconnection within the grace, forfeit after it, abandonment, and ratings applied once.

Two clocks: a player who connected and dropped has the reconnect grace; a player who never
connected has the (longer) first-connect window, counted from when the game was handed out.
"""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from conftest import receive_type
from game import services
from game.models import Game, GamePlayer, Rating
from game.tests.conftest import db, play
from game.timers import expire_absent_players, mark_stale_players
from matchmaking.models import QueueEntry
from matchmaking.queue.services import queue_match

pytestmark = pytest.mark.django_db(transaction=True)

LATER = timedelta(seconds=31)  # past the default RECONNECT_GRACE_SECONDS (30)
FIRST_WINDOW_OVER = timedelta(seconds=61)  # past the default FIRST_CONNECT_GRACE_SECONDS (60)


def ratings() -> dict:
    return dict(Rating.objects.values_list("user_id", "rating"))


async def test_reconnect_within_grace_restores_the_full_game_state(make_game, alice, bob, start_game, open_game):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await play(ws_a, ws_b, 4)
    await ws_a.disconnect()
    assert await receive_type(ws_b, "player_disconnected") == {"type": "player_disconnected", "user_id": alice.pk}
    state = await receive_type(ws_b, "game_state")
    assert state["players"][0]["connected"] is False and state["state"] == "active"
    assert await db(expire_absent_players)() == 0  # still inside the grace
    ws_a, state = await open_game(game.pk, alice)
    assert state["state"] == "active" and state["board"][4] == "X" and state["turn"] == bob.pk
    assert await receive_type(ws_b, "player_reconnected") == {"type": "player_reconnected", "user_id": alice.pk}
    assert (await receive_type(ws_b, "game_state"))["players"][0]["connected"] is True
    await play(ws_b, ws_a, 0)  # the game goes on
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_staying_away_past_the_grace_forfeits_once(make_game, alice, bob, start_game):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await ws_a.disconnect()
    later = timezone.now() + LATER
    assert await db(expire_absent_players)(now=later) == 1
    assert await receive_type(ws_b, "forfeit") == {"type": "forfeit", "user_id": alice.pk}
    assert await receive_type(ws_b, "game_over") == {"type": "game_over", "winner_id": bob.pk, "reason": "forfeit"}
    assert await db(ratings)() == {alice.pk: 984, bob.pk: 1016}
    # Another runner, or the same one again: nothing more happens.
    assert await db(expire_absent_players)(now=later) == 0
    assert await db(services.game_expire_absent)(game_id=game.pk, now=later) is False
    assert await db(ratings)() == {alice.pk: 984, bob.pk: 1016}
    assert await ws_b.receive_nothing(0.2)
    await ws_b.disconnect()


def start(game, *users):
    for user in users:
        services.game_player_connect(game_id=game.pk, user_id=user.pk, connection_id=f"c{user.pk}")
        services.game_player_ready(game_id=game.pk, user_id=user.pk)


def test_grace_is_read_from_settings(make_game, alice, bob):
    game = make_game(alice, bob)
    start(game, alice, bob)
    services.game_player_disconnect(game_id=game.pk, user_id=alice.pk, connection_id=f"c{alice.pk}")
    assert expire_absent_players() == 0
    with override_settings(RECONNECT_GRACE_SECONDS=0):
        assert expire_absent_players() == 1
    game.refresh_from_db()
    assert (game.state, game.reason, game.winner_id) == ("finished", "forfeit", bob.pk)


def test_leaving_before_the_start_abandons_without_ratings(make_game, alice, bob):
    game = make_game(alice, bob)
    services.game_player_connect(game_id=game.pk, user_id=bob.pk, connection_id="b")
    assert expire_absent_players(now=timezone.now() + FIRST_WINDOW_OVER) == 1  # alice never came
    game.refresh_from_db()
    assert (game.state, game.reason, game.rated) == ("abandoned", "abandoned", False)
    assert Rating.objects.count() == 0


def test_a_dead_server_socket_goes_stale_then_the_grace_runs(make_game, alice, bob):
    game = make_game(alice, bob)
    start(game, alice, bob)
    seen = timezone.now()
    GamePlayer.objects.filter(game=game, user=alice).update(last_seen_at=seen - timedelta(seconds=60))
    assert mark_stale_players(now=seen) == 1
    alice_seat = GamePlayer.objects.get(game=game, user=alice)
    assert alice_seat.connected is False and alice_seat.disconnected_at == seen - timedelta(seconds=60)
    assert services.game_player_heartbeat(game_id=game.pk, user_id=alice.pk, connection_id="an old socket") is False
    assert expire_absent_players(now=seen) == 1  # away 60 s > 30 s of grace
    game.refresh_from_db()
    assert (game.reason, game.winner_id) == ("forfeit", bob.pk)


def test_everyone_gone_abandons_the_game_without_ratings(make_game, alice, bob):
    game = make_game(alice, bob)  # matched, but nobody ever connected
    assert expire_absent_players(now=timezone.now() + FIRST_WINDOW_OVER) == 1
    game.refresh_from_db()
    assert (game.state, game.reason, game.winner_id, game.rated) == ("abandoned", "abandoned", None, False)
    assert Rating.objects.count() == 0


def test_ratings_change_once_even_if_finishing_is_retried(make_game, alice, bob):
    game = make_game(alice, bob)
    start(game, alice, bob)
    services.game_forfeit(game_id=game.pk, user_id=bob.pk)
    before = ratings()
    game.refresh_from_db()
    players = list(game.players.select_related("user"))
    services._ratings_apply(game, players)  # a second attempt finds the flag set
    assert ratings() == before == {alice.pk: 1016, bob.pk: 984}
    assert Rating.objects.get(user=alice).wins == 1 and Rating.objects.get(user=bob).losses == 1


def test_finished_game_refuses_further_transitions(make_game, alice, bob):
    game = make_game(alice, bob)
    services.game_forfeit(game_id=game.pk, user_id=alice.pk)
    game.refresh_from_db()
    with pytest.raises(services.Conflict) as err:
        services._transition(game, Game.State.ACTIVE)
    assert err.value.code == "illegal_transition"
    with pytest.raises(services.ApplicationError) as err:
        services.game_forfeit(game_id=game.pk, user_id=bob.pk)
    assert err.value.code == "game_over"


async def test_the_socket_heartbeat_keeps_the_player_fresh(make_game, alice, bob, open_game):
    game = await db(make_game)(alice, bob)
    with override_settings(GAME_HEARTBEAT_SECONDS=0.05):
        ws, _ = await open_game(game.pk, alice)
        first = await db(lambda: GamePlayer.objects.get(game=game, user=alice).last_seen_at)()
        await ws.receive_nothing(0.3)
        later = await db(lambda: GamePlayer.objects.get(game=game, user=alice).last_seen_at)()
        assert later > first
        await ws.disconnect()


async def test_forfeit_before_the_start_abandons_the_game(make_game, alice, bob, open_game):
    game = await db(make_game)(alice, bob)
    ws_a, _ = await open_game(game.pk, alice)
    ws_b, _ = await open_game(game.pk, bob)
    await ws_b.send_json_to({"type": "forfeit"})
    for ws in (ws_a, ws_b):
        assert await receive_type(ws, "game_over") == {"type": "game_over", "winner_id": None, "reason": "abandoned"}
    assert await db(Rating.objects.count)() == 0
    await ws_a.disconnect()
    await ws_b.disconnect()


def test_a_late_heartbeat_from_the_socket_holding_the_seat_brings_the_player_back(make_game, alice, bob):
    game = make_game(alice, bob)
    start(game, alice, bob)
    seen = timezone.now()
    GamePlayer.objects.filter(game=game, user=alice).update(last_seen_at=seen - timedelta(seconds=60))
    assert mark_stale_players(now=seen) == 1
    assert services.game_player_heartbeat(game_id=game.pk, user_id=alice.pk, connection_id=f"c{alice.pk}") is True
    seat = GamePlayer.objects.get(game=game, user=alice)
    assert seat.connected is True and seat.disconnected_at is None
    assert expire_absent_players(now=seen + LATER) == 0


# --- the first-connect window ------------------------------------------------------


def seat(game, user) -> GamePlayer:
    return GamePlayer.objects.get(game=game, user=user)


def test_a_player_who_never_connected_keeps_their_seat_past_the_reconnect_grace_until_the_first_connect_window_ends(
    make_game, alice, bob
):
    game = make_game(alice, bob)
    handed_out = timezone.now()
    services.game_player_connect(game_id=game.pk, user_id=bob.pk, connection_id="b")
    assert expire_absent_players(now=handed_out + LATER) == 0  # the reconnect grace is not alice's clock
    assert services.game_expire_absent(game_id=game.pk, now=handed_out + LATER) is False
    game.refresh_from_db()
    assert game.state == "waiting_for_players" and seat(game, alice).forfeited is False
    assert expire_absent_players(now=handed_out + FIRST_WINDOW_OVER) == 1
    game.refresh_from_db()
    assert (game.state, game.reason) == ("abandoned", "abandoned")
    assert seat(game, alice).forfeited is True and seat(game, alice).left_before_start is True
    assert expire_absent_players(now=handed_out + FIRST_WINDOW_OVER) == 0  # once


def test_a_player_who_connected_and_dropped_forfeits_after_the_reconnect_grace(make_game, alice, bob):
    game = make_game(alice, bob)
    for user in (alice, bob):
        services.game_player_connect(game_id=game.pk, user_id=user.pk, connection_id=f"c{user.pk}")
    dropped = timezone.now()
    services.game_player_disconnect(game_id=game.pk, user_id=alice.pk, connection_id=f"c{alice.pk}", now=dropped)
    assert expire_absent_players(now=dropped + timedelta(seconds=29)) == 0
    # Well inside the first-connect window, but alice had connected: the reconnect grace applies.
    assert expire_absent_players(now=dropped + LATER) == 1
    game.refresh_from_db()
    assert (game.state, game.reason, game.rated) == ("abandoned", "abandoned", False)
    assert seat(game, alice).forfeited is True and seat(game, bob).forfeited is False
    assert Rating.objects.count() == 0


def test_the_first_connect_window_starts_when_the_game_is_handed_out_not_when_its_row_was_written(
    make_game, alice, bob
):
    written = timezone.now() - timedelta(minutes=5)
    with transaction.atomic():  # e.g. a matcher whose transaction took five minutes under load
        with mock.patch("django.utils.timezone.now", return_value=written):
            game = make_game(alice, bob)
        assert {p.disconnected_at for p in GamePlayer.objects.filter(game=game)} == {written}
        committing = timezone.now()
    for player in GamePlayer.objects.filter(game=game):
        assert player.connected is False and player.disconnected_at >= committing
    assert expire_absent_players(now=committing + LATER) == 0
    assert expire_absent_players(now=committing + FIRST_WINDOW_OVER) == 1


def test_starting_the_first_connect_clock_leaves_a_player_who_already_connected_alone(make_game, alice, bob):
    with transaction.atomic():
        game = make_game(alice, bob)
        services.game_player_connect(game_id=game.pk, user_id=alice.pk, connection_id="a")
    assert seat(game, alice).connected is True and seat(game, alice).disconnected_at is None
    assert seat(game, bob).disconnected_at is not None


def test_games_a_slow_matcher_made_in_one_burst_all_wait_for_their_players(make_user):
    users = [make_user() for _ in range(6)]
    joined = timezone.now()
    QueueEntry.objects.bulk_create(
        [QueueEntry(user=user, mode="tictactoe", rating=1000, joined_at=joined) for user in users]
    )
    with transaction.atomic():  # the matcher's transaction reads the clock long before it commits
        with mock.patch("django.utils.timezone.now", return_value=joined - timedelta(minutes=5)):
            games = queue_match(mode="tictactoe", now=joined)
        committing = timezone.now()
    assert len(games) == 3
    assert expire_absent_players(now=committing + LATER) == 0
    assert set(Game.objects.values_list("state", flat=True)) == {"waiting_for_players"}
    assert expire_absent_players(now=committing + FIRST_WINDOW_OVER) == 3


def test_the_first_connect_window_is_read_from_settings_and_never_shorter_than_the_reconnect_grace(
    make_game, alice, bob
):
    game = make_game(alice, bob)
    handed_out = timezone.now()
    with override_settings(FIRST_CONNECT_GRACE_SECONDS=5):
        assert expire_absent_players(now=handed_out + timedelta(seconds=6)) == 0  # the 30 s reconnect grace
        with override_settings(RECONNECT_GRACE_SECONDS=0):
            assert expire_absent_players(now=handed_out + timedelta(seconds=6)) == 1
    game.refresh_from_db()
    assert (game.state, game.reason) == ("abandoned", "abandoned")
