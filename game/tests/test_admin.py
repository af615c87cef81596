import pytest

from game.offline import game_play_offline, start_all
from matchmaking.queue.services import queue_join

pytestmark = pytest.mark.django_db


def test_games_queue_and_ratings_are_visible_and_searchable_in_admin(admin_client, make_game, alice, bob, carol):
    game = make_game(alice, bob)
    game_play_offline(game_id=game.pk, steps=lambda room: (start_all(room), room.forfeit(bob.pk)))
    queue_join(user_id=carol.pk, mode="tictactoe")
    games = admin_client.get("/admin/game/game/?q=alice")
    assert games.status_code == 200 and f">{game.pk}<" in games.content.decode()
    assert admin_client.get(f"/admin/game/game/{game.pk}/change/").status_code == 200
    queue = admin_client.get("/admin/matchmaking/queueentry/?q=carol")
    assert queue.status_code == 200 and "carol" in queue.content.decode()
    assert admin_client.get("/admin/game/rating/?q=alice").status_code == 200
