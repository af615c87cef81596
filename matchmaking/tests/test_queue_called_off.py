"""A match whose player never comes is called off, and the players who came queue again in front.

The queue's games wait ``MATCH_CONNECT_SECONDS`` (from the room's opening) for a player who has
not come, where lobby and invite games keep the first-connect grace. Then the room ends the game
``abandoned`` (unrated, as before) and the queue takes back the players who stayed, with the wait
they had, telling them ``match_cancelled {game_id, reason}`` on ``/ws/notifications/``; the
matcher runs at once, so the next ``match_found`` follows when someone fits.
"""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from conftest import receive_type
from game.models import Game, GamePlayer, GameReplay, Rating
from game.offline import game_play_offline
from game.services import ResultRecord, game_create, game_record_results, game_seating
from game.timers import abandon_unclaimed_games
from gameplatform.modes import Player, Result
from matchmaking.models import QueueEntry
from matchmaking.queue.services import queue_join, queue_status, queue_take_back


@pytest.fixture
def short_window(settings):
    settings.MATCH_CONNECT_SECONDS = 1


def matched(*users, mode: str = "tictactoe") -> int:
    for user in users:
        status = queue_join(user_id=user.pk, mode=mode)
    assert status.status == "matched"
    return status.game_id


@pytest.mark.django_db(transaction=True)
async def test_a_player_matched_with_a_no_show_is_told_and_gets_the_next_match_at_once(
    short_window, alice, bob, carol, ws_connect
):
    notes, _, _ = await ws_connect("/ws/notifications/", alice)
    await sync_to_async(queue_join)(user_id=alice.pk, mode="tictactoe")
    joined = (await sync_to_async(QueueEntry.objects.get)(user=alice)).joined_at
    game_id = await sync_to_async(matched)(bob)  # bob's client dies right after: he never comes
    assert (await receive_type(notes, "match_found"))["game_id"] == game_id
    game, _, _ = await ws_connect(f"/ws/game/{game_id}/", alice)
    assert (await receive_type(game, "game_state"))["state"] == "waiting_for_players"

    assert await receive_type(game, "game_over", timeout=5) == {
        "type": "game_over",
        "winner_id": None,
        "reason": "abandoned",
    }
    assert await receive_type(notes, "match_cancelled") == {
        "type": "match_cancelled",
        "game_id": game_id,
        "reason": "no_show",
    }
    status = await sync_to_async(queue_status)(user_id=alice.pk)
    assert (status.status, status.position) == ("queued", 1)
    assert (await sync_to_async(QueueEntry.objects.get)(user=alice)).joined_at == joined  # her wait is kept
    assert (await sync_to_async(queue_status)(user_id=bob.pk)).status == "idle"  # the no-show is not queued again
    called_off = await sync_to_async(Game.objects.get)(pk=game_id)
    assert (called_off.state, called_off.reason, called_off.rated) == ("abandoned", "abandoned", False)
    assert not await sync_to_async(Rating.objects.exists)()

    again = await sync_to_async(queue_join)(user_id=carol.pk, mode="tictactoe")
    assert again.status == "matched"
    assert await receive_type(notes, "match_found") == {"type": "match_found", "game_id": again.game_id}
    seats = await sync_to_async(lambda: list(GamePlayer.objects.filter(game_id=again.game_id).values_list("user_id")))()
    assert seats == [(alice.pk,), (carol.pk,)]  # alice waited longer: she seeds and plays first
    await game.disconnect()
    await notes.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_player_taken_back_is_matched_at_once_with_one_who_waited_meanwhile(
    short_window, alice, bob, carol, ws_connect
):
    notes, _, _ = await ws_connect("/ws/notifications/", alice)
    game_id = await sync_to_async(matched)(alice, bob)
    await receive_type(notes, "match_found")
    await sync_to_async(queue_join)(user_id=carol.pk, mode="tictactoe")  # alone in the queue meanwhile
    game, _, _ = await ws_connect(f"/ws/game/{game_id}/", alice)
    await receive_type(game, "game_over", timeout=5)

    assert (await receive_type(notes, "match_cancelled"))["game_id"] == game_id
    found = await receive_type(notes, "match_found")  # no timer needed: the call-off ran the matcher
    assert found["game_id"] != game_id
    seats = GamePlayer.objects.filter(game_id=found["game_id"]).values_list("user_id", flat=True)
    assert await sync_to_async(set)(seats) == {alice.pk, carol.pk}
    await game.disconnect()
    await notes.disconnect()


@pytest.mark.django_db
def test_a_queue_match_waits_the_match_window_and_other_games_the_first_connect_grace(
    settings, alice, bob, carol, make_user
):
    settings.MATCH_CONNECT_SECONDS = 10
    assert game_seating(game_id=matched(alice, bob))["connect_seconds"] == 10
    invited = game_create(mode="tictactoe", players=[carol, make_user()])
    assert game_seating(game_id=invited.pk)["connect_seconds"] is None


@pytest.mark.django_db
def test_a_match_window_longer_than_the_first_connect_grace_is_the_grace(settings, alice, bob):
    settings.MATCH_CONNECT_SECONDS = 600
    assert game_seating(game_id=matched(alice, bob))["connect_seconds"] is None  # the grace (60 s) it is


@pytest.mark.django_db
def test_the_players_who_stayed_go_back_with_their_wait_ahead_of_those_who_joined_after(
    settings, alice, bob, carol, make_user
):
    settings.QUEUE_FILL_SECONDS = 60  # the arena's queue holds them: positions can be read
    long_ago = timezone.now() - timedelta(seconds=30)
    for user in (make_user(), make_user()):
        queue_join(user_id=user.pk, mode="arena")
    queue_take_back(game_id=7, mode="arena", stayed=[(alice.pk, long_ago), (bob.pk, None)])
    assert queue_status(user_id=alice.pk).position == 1
    assert QueueEntry.objects.get(user=alice).joined_at == long_ago
    assert not QueueEntry.objects.filter(user=bob).exists()  # a seat the queue did not fill is left alone


@pytest.mark.django_db
def test_a_player_who_queued_again_meanwhile_keeps_that_place(alice):
    queue_join(user_id=alice.pk, mode="relay")
    mine = QueueEntry.objects.get(user=alice)
    queue_take_back(game_id=7, mode="tictactoe", stayed=[(alice.pk, timezone.now() - timedelta(seconds=30))])
    assert QueueEntry.objects.get(user=alice) == mine and QueueEntry.objects.get(user=alice).mode == "relay"


@pytest.mark.django_db
def test_a_lobby_or_invite_game_called_off_before_its_start_queues_nobody(alice, bob):
    game = game_create(mode="tictactoe", players=[alice, bob])
    game_play_offline(game_id=game.pk, steps=lambda room: (room.connect(alice.pk), room.forfeit(bob.pk)))
    assert Game.objects.get(pk=game.pk).state == "abandoned"
    assert not QueueEntry.objects.exists()


@pytest.mark.django_db
def test_a_queue_match_left_before_its_start_queues_the_other_player_again(alice, bob):
    game_id = matched(alice, bob)
    game_play_offline(game_id=game_id, steps=lambda room: (room.connect(alice.pk), room.forfeit(bob.pk)))
    assert queue_status(user_id=alice.pk).status == "queued"
    assert queue_status(user_id=bob.pk).status == "idle"


@pytest.mark.django_db
def test_a_queue_match_nobody_came_to_queues_nobody(alice, bob):
    game_id = matched(alice, bob)
    assert abandon_unclaimed_games(now=timezone.now() + timedelta(minutes=5)) == 1
    assert Game.objects.get(pk=game_id).state == "abandoned"
    assert not QueueEntry.objects.exists()


@pytest.mark.django_db
def test_a_called_off_match_keeps_the_window_its_room_ran_with_in_its_replay(settings, alice, bob):
    settings.MATCH_CONNECT_SECONDS = 10
    game_id = matched(alice, bob)
    players = [
        Player(id=alice.pk, username=alice.username, seat=0, side="left", connected=True),
        Player(id=bob.pk, username=bob.username, seat=1, side="right", out=True, left_before_start=True),
    ]
    record = ResultRecord(
        game_id=game_id,
        result=Result(winner=None, reason="abandoned"),
        players=players,
        steps=[],
        grace={"reconnect": 30, "first": 60},
    )
    assert game_record_results(records=[record]) == [True]
    assert GameReplay.objects.get(game_id=game_id).grace == {"reconnect": 30, "first": 10}
    assert queue_status(user_id=alice.pk).status == "queued"
