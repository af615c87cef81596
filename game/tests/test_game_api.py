"""History, one game, the leaderboard."""

import pytest

from game.offline import game_play_offline, start_all

pytestmark = pytest.mark.django_db


def forfeited(make_game, winner, loser, mode="tictactoe"):
    """A game played offline (as a room would) where ``loser`` gives up after the start."""
    game = make_game(winner, loser, mode=mode)

    def steps(room):
        start_all(room)
        room.forfeit(loser.pk)

    game_play_offline(game_id=game.pk, steps=steps)
    return game


def test_history_lists_my_games_newest_first(client_for, make_game, alice, bob, carol):
    first = forfeited(make_game, alice, bob)
    second = make_game(alice, carol)
    make_game(bob, carol)
    body = client_for(alice).get("/api/games/").json()
    assert [g["id"] for g in body["results"]] == [second.pk, first.pk]
    finished = body["results"][1]
    assert finished["state"] == "finished" and finished["winner_id"] == alice.pk and finished["finished_at"]
    assert [(p["id"], p["side"], p["rating_change"]) for p in finished["players"]] == [
        (alice.pk, "left", 16),
        (bob.pk, "right", -16),
    ]


def test_one_game_is_for_its_players_only(client_for, make_game, alice, bob, carol):
    game = make_game(alice, bob)
    assert client_for(bob).get(f"/api/games/{game.pk}/").json()["players"][1]["username"] == "bob"
    refused = client_for(carol).get(f"/api/games/{game.pk}/")
    assert refused.status_code == 403 and refused.json()["code"] == "not_a_player"
    assert client_for(carol).get("/api/games/999999/").status_code == 404


def test_leaderboard_ranks_by_rating_per_mode(client_for, make_game, alice, bob, carol):
    forfeited(make_game, alice, bob)
    forfeited(make_game, bob, carol)
    body = client_for(alice).get("/api/leaderboard/?mode=tictactoe").json()
    rows = [(r["rank"], r["user"]["username"], r["wins"], r["losses"]) for r in body["results"]]
    assert rows[0][1] == "alice" and [r[0] for r in rows] == [1, 2, 3]
    assert client_for(alice).get("/api/leaderboard/?mode=relay").json()["results"] == []
    bad = client_for(alice).get("/api/leaderboard/?mode=chess")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_mode"
