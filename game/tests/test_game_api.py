"""History, one game, leaderboard, and flat query counts on moves."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from game import services

pytestmark = pytest.mark.django_db


def started(make_game, a, b, mode="tictactoe"):
    game = make_game(a, b, mode=mode)
    for user in (a, b):
        services.game_player_connect(game_id=game.pk, user_id=user.pk, connection_id=str(user.pk))
        services.game_player_ready(game_id=game.pk, user_id=user.pk)
    return game


def test_history_lists_my_games_newest_first(client_for, make_game, alice, bob, carol):
    first = started(make_game, alice, bob)
    services.game_forfeit(game_id=first.pk, user_id=bob.pk)
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
    services.game_forfeit(game_id=started(make_game, alice, bob).pk, user_id=bob.pk)
    services.game_forfeit(game_id=started(make_game, carol, bob).pk, user_id=carol.pk)
    body = client_for(alice).get("/api/leaderboard/?mode=tictactoe").json()
    rows = [(r["rank"], r["user"]["username"], r["wins"], r["losses"]) for r in body["results"]]
    assert rows[0][1] == "alice" and [r[0] for r in rows] == [1, 2, 3]
    assert client_for(alice).get("/api/leaderboard/?mode=relay").json()["results"] == []
    bad = client_for(alice).get("/api/leaderboard/?mode=chess")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_mode"


def _move_queries(make_game, a, b) -> int:
    game = started(make_game, a, b)
    with CaptureQueriesContext(connection) as ctx:
        services.game_move(game_id=game.pk, user_id=a.pk, movement={"cell": 0})
    return len(ctx.captured_queries)


def test_move_query_count_stays_flat_as_games_grow(make_game, make_user, django_assert_max_num_queries):
    a, b = make_user(), make_user()
    few = _move_queries(make_game, a, b)
    for _ in range(30):
        started(make_game, make_user(), make_user())
    c, d = make_user(), make_user()
    game = started(make_game, c, d)
    with django_assert_max_num_queries(few):
        services.game_move(game_id=game.pk, user_id=c.pk, movement={"cell": 0})
    assert few <= 5


def _connect_queries(make_game, a, b) -> int:
    game = make_game(a, b)
    with CaptureQueriesContext(connection) as ctx:
        services.game_player_connect(game_id=game.pk, user_id=a.pk, connection_id="x")
    return len(ctx.captured_queries)


def test_connect_query_count_stays_flat(make_game, make_user):
    few = _connect_queries(make_game, make_user(), make_user())
    for _ in range(30):
        started(make_game, make_user(), make_user())
    assert _connect_queries(make_game, make_user(), make_user()) == few <= 6
