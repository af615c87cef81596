"""The queue over REST: join, leave, status, positions, rating-aware pairing, match_found."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import receive_type
from game.models import GamePlayer, Rating
from game.offline import game_play_offline
from game.services import game_create
from matchmaking.models import QueueEntry
from matchmaking.queue.services import queue_join, queue_match
from matchmaking.timers import match_waiting_players as match_job

pytestmark = pytest.mark.django_db


def rated(user, rating, mode="tictactoe"):
    Rating.objects.create(user=user, mode=mode, rating=rating)
    return user


def join(client, mode=None):
    return client.post("/api/matchmaking/join/", {"mode": mode} if mode else {})


def test_first_join_queues_and_second_join_matches(client_for, alice, bob):
    first = join(client_for(alice))
    assert first.status_code == 200
    assert first.json() == {"status": "queued", "mode": "tictactoe", "position": 1, "game_id": None}
    second = join(client_for(bob)).json()
    assert second["status"] == "matched" and second["mode"] == "tictactoe"
    game_id = second["game_id"]
    status = client_for(alice).get("/api/matchmaking/status/").json()
    assert status == {"status": "matched", "mode": "tictactoe", "position": None, "game_id": game_id}
    seats = list(GamePlayer.objects.filter(game_id=game_id).values_list("user_id", "side"))
    assert seats == [(alice.pk, "left"), (bob.pk, "right")]  # the longer wait plays first
    assert QueueEntry.objects.count() == 0


def test_joining_twice_is_idempotent(client_for, alice):
    client = client_for(alice)
    assert join(client).json()["position"] == 1
    assert join(client).json() == {"status": "queued", "mode": "tictactoe", "position": 1, "game_id": None}
    assert QueueEntry.objects.count() == 1


def test_joining_while_in_a_game_is_409_already_in_game(client_for, alice, bob):
    game = game_create(mode="tictactoe", players=[alice, bob])
    refused = join(client_for(alice))
    assert refused.status_code == 409
    assert refused.json()["code"] == "already_in_game" and refused.json()["game_id"] == game.pk
    game_play_offline(game_id=game.pk, steps=lambda room: room.forfeit(bob.pk))  # before the start: abandoned
    assert join(client_for(alice)).json()["status"] == "queued"


def test_leave_then_leave_again_is_404_not_queued(client_for, alice):
    client = client_for(alice)
    join(client)
    assert client.post("/api/matchmaking/leave/").json() == {"status": "left"}
    again = client.post("/api/matchmaking/leave/")
    assert again.status_code == 404 and again.json()["code"] == "not_queued"
    assert client.get("/api/matchmaking/status/").json()["status"] == "idle"


def test_unknown_mode_is_400_invalid_mode(client_for, alice):
    refused = join(client_for(alice), mode="chess")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_mode"


def test_positions_stay_correct_as_people_leave(client_for, make_user):
    far_apart = [rated(make_user(), 1000 + 1000 * i) for i in range(3)]  # too far apart to be matched yet
    for user in far_apart:
        join(client_for(user))
    assert [client_for(u).get("/api/matchmaking/status/").json()["position"] for u in far_apart] == [1, 2, 3]
    client_for(far_apart[0]).post("/api/matchmaking/leave/")
    assert [client_for(u).get("/api/matchmaking/status/").json()["position"] for u in far_apart[1:]] == [1, 2]


def test_modes_have_separate_queues(client_for, alice, bob):
    join(client_for(alice), mode="relay")
    assert join(client_for(bob), mode="tictactoe").json()["status"] == "queued"
    assert join(client_for(bob), mode="relay").json()["status"] == "matched"  # switching modes


def test_seed_takes_the_closest_rating_within_its_gap(make_user):
    oldest = rated(make_user(), 1000)
    far = rated(make_user(), 1300)
    close = rated(make_user(), 1060)
    queue_join(user_id=oldest.pk, mode="tictactoe")
    assert queue_join(user_id=far.pk, mode="tictactoe").status == "queued"  # 300 apart: too far for now
    matched = queue_join(user_id=close.pk, mode="tictactoe")
    assert matched.status == "matched"
    assert set(GamePlayer.objects.filter(game_id=matched.game_id).values_list("user_id", flat=True)) == {
        oldest.pk,
        close.pk,
    }
    assert QueueEntry.objects.get().user_id == far.pk


def test_gap_widens_with_waiting_so_nobody_waits_forever(make_user):
    low, high = rated(make_user(), 1000), rated(make_user(), 1500)
    queue_join(user_id=low.pk, mode="tictactoe")
    queue_join(user_id=high.pk, mode="tictactoe")
    assert queue_match(mode="tictactoe", now=timezone.now() + timedelta(seconds=5)) == []
    QueueEntry.objects.update(joined_at=timezone.now() - timedelta(seconds=25))  # gap 100 + 20/s x 25 s = 600
    assert match_job() == 1
    assert QueueEntry.objects.count() == 0


def test_a_game_from_elsewhere_takes_players_out_of_the_queue(alice, bob):
    queue_join(user_id=alice.pk, mode="relay")
    game_create(mode="tictactoe", players=[alice, bob])  # e.g. an accepted invite
    assert not QueueEntry.objects.exists()


def test_join_query_count_stays_flat_as_games_grow(make_user):
    def queries_for_a_join() -> int:
        user = rated(make_user(), 5000)  # nobody near: stays queued
        with CaptureQueriesContext(connection) as ctx:
            queue_join(user_id=user.pk, mode="tictactoe")
        QueueEntry.objects.filter(user=user).delete()
        return len(ctx.captured_queries)

    few = queries_for_a_join()
    for _ in range(30):
        game = game_create(mode="tictactoe", players=[make_user(), make_user()])
        loser = game.players.first().user_id
        game_play_offline(game_id=game.pk, steps=lambda room, loser=loser: room.forfeit(loser))
    assert queries_for_a_join() == few <= 16


@pytest.mark.django_db(transaction=True)
async def test_match_found_reaches_each_players_notification_socket(client_for, alice, bob, ws_connect):
    ws_a, connected, _ = await ws_connect("/ws/notifications/", alice)
    ws_b, connected, _ = await ws_connect("/ws/notifications/", bob)
    await sync_to_async(join)(client_for(alice))
    result = (await sync_to_async(join)(client_for(bob))).json()
    for ws in (ws_a, ws_b):
        assert await receive_type(ws, "match_found") == {"type": "match_found", "game_id": result["game_id"]}
    await ws_a.disconnect()
    await ws_b.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_from_queue_to_a_finished_game(client_for, alice, bob, ws_connect):
    """Queue, match_found, both players on the game socket, ready, five moves, a winner."""
    notes = {}
    for user in (alice, bob):
        notes[user.pk], _, _ = await ws_connect("/ws/notifications/", user)
        await sync_to_async(join)(client_for(user))
    game_id = (await receive_type(notes[alice.pk], "match_found"))["game_id"]
    assert (await receive_type(notes[bob.pk], "match_found"))["game_id"] == game_id
    sockets = {}
    for user in (alice, bob):
        sockets[user.pk], connected, _ = await ws_connect(f"/ws/game/{game_id}/", user)
        assert (await receive_type(sockets[user.pk], "game_state"))["id"] == game_id
    for ws in sockets.values():
        await ws.send_json_to({"type": "player_ready"})
    for ws in sockets.values():
        await receive_type(ws, "game_start")
    for n, cell in enumerate([0, 3, 1, 4, 2]):
        mover = sockets[alice.pk] if n % 2 == 0 else sockets[bob.pk]
        await mover.send_json_to({"type": "player_move", "movement": {"cell": cell}})
        for ws in sockets.values():  # both see the move before the next one is sent
            assert (await receive_type(ws, "player_move"))["movement"] == {"cell": cell}
    for ws in sockets.values():
        assert await receive_type(ws, "game_over") == {"type": "game_over", "winner_id": alice.pk, "reason": "win"}
    status = await sync_to_async(lambda: client_for(alice).get("/api/matchmaking/status/").json())()
    assert status["status"] == "idle"
    for ws in [*notes.values(), *sockets.values()]:
        await ws.disconnect()
