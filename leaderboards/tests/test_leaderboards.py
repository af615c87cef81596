"""Boards: who creates them, operators, ranks with ties, around-me windows, authoritative writes, game results."""

from datetime import timedelta

import pytest
from django.utils import timezone

from game.services import game_create, game_record_result
from gameplatform.modes import Player, Result
from leaderboards import services
from leaderboards.models import Leaderboard, Record

pytestmark = pytest.mark.django_db


def post_score(client, board: str, score: int, **extra):
    return client.post(f"/api/leaderboards/{board}/records/", {"score": score, **extra}, format="json")


def test_an_admin_creates_a_board_and_anyone_lists_it(client_for, admin, alice):
    body = {"id": "weekly-gems", "sort": "desc", "operator": "incr", "reset": "0 0 * * 1", "authoritative": False}
    created = client_for(admin).post("/api/leaderboards/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["reset"] == "0 0 * * 1" and created.json()["next_reset_at"] is not None
    listed = client_for(alice).get("/api/leaderboards/").json()
    assert [b["id"] for b in listed["results"]] == ["weekly-gems"]


def test_boards_come_in_pages_by_id(client_for, alice, make_board):
    for board_id in ("c-board", "a-board", "b-board"):
        make_board(board_id)
    first = client_for(alice).get("/api/leaderboards/", {"page_size": 2}).json()
    assert [b["id"] for b in first["results"]] == ["a-board", "b-board"]
    assert first["previous"] is None and first["count"] == 3
    second = client_for(alice).get(first["next"]).json()
    assert [b["id"] for b in second["results"]] == ["c-board"]
    assert second["next"] is None and second["previous"] is not None


def test_a_player_cannot_create_a_board(client_for, alice):
    answer = client_for(alice).post("/api/leaderboards/", {"id": "mine"}, format="json")
    assert answer.status_code == 403 and answer.json()["code"] == "admin_only"


def test_a_bad_cron_or_a_taken_id_is_refused(client_for, admin, make_board):
    make_board("taken")
    client = client_for(admin)
    bad = client.post("/api/leaderboards/", {"id": "x", "reset": "61 * * * *"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cron"
    taken = client.post("/api/leaderboards/", {"id": "taken"}, format="json")
    assert taken.status_code == 409 and taken.json()["code"] == "leaderboard_exists"


@pytest.mark.parametrize(
    ("sort", "operator", "scores", "kept"),
    [
        ("desc", "best", [10, 30, 20], 30),
        ("asc", "best", [10, 30, 5], 5),
        ("desc", "set", [10, 30, 20], 20),
        ("desc", "incr", [10, 30, 20], 60),
    ],
)
def test_the_operator_decides_the_record(client_for, alice, make_board, sort, operator, scores, kept):
    make_board("b", sort=sort, operator=operator)
    client = client_for(alice)
    for score in scores:
        answer = post_score(client, "b", score, metadata={"last": score})
    assert answer.status_code == 200
    assert answer.json()["score"] == kept and answer.json()["rank"] == 1


def test_a_worse_best_score_keeps_the_time_and_metadata_of_the_better_one(client_for, alice, make_board):
    make_board("b", operator="best")
    client = client_for(alice)
    first = post_score(client, "b", 50, metadata={"car": "red"}).json()
    second = post_score(client, "b", 40, metadata={"car": "blue"}).json()
    assert second["metadata"] == {"car": "red"} and second["reached_at"] == first["reached_at"]


def test_ties_are_ranked_by_who_reached_the_score_first(client_for, make_user, make_board):
    make_board("b", operator="best")
    early, late, top = make_user(), make_user(), make_user()
    post_score(client_for(early), "b", 100)
    post_score(client_for(late), "b", 100)
    post_score(client_for(early), "b", 90)  # not better: early keeps its time
    post_score(client_for(top), "b", 200)
    rows = client_for(early).get("/api/leaderboards/b/records/").json()["results"]
    assert [(r["rank"], r["user"]["id"], r["score"]) for r in rows] == [
        (1, top.pk, 200),
        (2, early.pk, 100),
        (3, late.pk, 100),
    ]


def test_around_me_centres_the_window_on_my_rank(client_for, make_user, make_board):
    board = make_board("b", sort="asc")  # lower is better: a race time
    users = [make_user() for _ in range(9)]
    now = timezone.now()
    Record.objects.bulk_create(
        Record(board=board, period=0, user=u, score=100 + i, reached_at=now, updated_at=now)
        for i, u in enumerate(users)
    )
    me = users[4]
    rows = client_for(me).get("/api/leaderboards/b/records/?around_me=1&limit=5").json()["results"]
    assert [(r["rank"], r["score"]) for r in rows] == [(3, 102), (4, 103), (5, 104), (6, 105), (7, 106)]
    assert rows[2]["user"]["id"] == me.pk
    last = client_for(users[-1]).get("/api/leaderboards/b/records/?around_me=1&limit=3").json()["results"]
    assert [r["rank"] for r in last] == [7, 8, 9]  # at the bottom: the window fills from above
    first = client_for(users[0]).get("/api/leaderboards/b/records/?around_me=1&limit=3").json()["results"]
    assert [r["rank"] for r in first] == [1, 2, 3]


def test_around_me_without_a_record_shows_the_top(client_for, alice, bob, make_board):
    make_board("b")
    post_score(client_for(bob), "b", 5)
    rows = client_for(alice).get("/api/leaderboards/b/records/?around_me=1").json()["results"]
    assert [r["user"]["id"] for r in rows] == [bob.pk]


def _bulk_records(board, scores: list[int], make_user) -> list:
    """One user per score, each reaching it a second after the one before (ties: the earlier first)."""
    users = [make_user() for _ in scores]
    start = timezone.now() - timedelta(hours=1)
    Record.objects.bulk_create(
        Record(board=board, period=0, user=u, score=score, reached_at=start + timedelta(seconds=i), updated_at=start)
        for i, (u, score) in enumerate(zip(users, scores, strict=True))
    )
    return users


def _ranks(page: dict) -> list[tuple[int, int]]:
    return [(r["rank"], r["score"]) for r in page["results"]]


def test_records_come_in_pages_whose_ranks_go_on_across_ties(client_for, alice, make_user, make_board):
    board = make_board("b")
    _bulk_records(board, [50, 40, 40, 40, 40, 30, 20], make_user)
    client = client_for(alice)
    first = client.get("/api/leaderboards/b/records/?limit=3").json()
    assert _ranks(first) == [(1, 50), (2, 40), (3, 40)] and first["previous"] is None
    second = client.get(first["next"]).json()
    assert _ranks(second) == [(4, 40), (5, 40), (6, 30)]
    third = client.get(second["next"]).json()
    assert _ranks(third) == [(7, 20)] and third["next"] is None
    back = client.get(third["previous"]).json()
    assert _ranks(back) == _ranks(second)
    assert [r["user"]["id"] for r in back["results"]] == [r["user"]["id"] for r in second["results"]]
    assert _ranks(client.get(back["previous"]).json()) == _ranks(first)


def test_the_page_around_me_links_to_the_rows_above_and_below(client_for, make_user, make_board):
    board = make_board("b", sort="asc")
    users = _bulk_records(board, [100 + i for i in range(9)], make_user)
    client = client_for(users[4])
    mine = client.get("/api/leaderboards/b/records/?around_me=1&limit=3").json()
    assert _ranks(mine) == [(4, 103), (5, 104), (6, 105)]
    assert _ranks(client.get(mine["previous"]).json()) == [(1, 100), (2, 101), (3, 102)]
    below = client.get(mine["next"]).json()
    assert _ranks(below) == [(7, 106), (8, 107), (9, 108)] and below["next"] is None


def test_a_page_link_that_names_no_record_of_the_board_is_a_400(client_for, alice, make_board):
    make_board("b")
    post_score(client_for(alice), "b", 5)
    for query, field in (("after=999999", "after"), ("before=abc", "before"), ("after=1&before=2", "before")):
        answer = client_for(alice).get(f"/api/leaderboards/b/records/?{query}")
        assert answer.status_code == 400 and list(answer.json()) == [field], (query, answer.json())


def test_an_authoritative_board_refuses_players_and_takes_admins(client_for, alice, admin, make_board):
    make_board("b", authoritative=True)
    refused = post_score(client_for(alice), "b", 10)
    assert refused.status_code == 403 and refused.json()["code"] == "authoritative"
    assert post_score(client_for(admin), "b", 10).status_code == 200
    assert list(Record.objects.values_list("user_id", flat=True)) == [admin.pk]


def test_metadata_over_2_kib_and_unknown_boards_are_refused(client_for, alice, make_board):
    make_board("b")
    client = client_for(alice)
    big = post_score(client, "b", 1, metadata={"x": "y" * 2100})
    assert big.status_code == 400 and big.json()["code"] == "metadata_too_large"
    assert post_score(client, "nope", 1).status_code == 404
    assert client.get("/api/leaderboards/nope/records/").status_code == 404


def test_an_increment_past_int64_is_refused_and_changes_nothing(client_for, alice, make_board):
    make_board("b", operator="incr")
    client = client_for(alice)
    post_score(client, "b", 2**63 - 1)
    answer = post_score(client, "b", 1)
    assert answer.status_code == 400 and answer.json()["code"] == "score_out_of_range"
    assert Record.objects.get().score == 2**63 - 1


def test_a_finished_game_feeds_the_board_its_mode_names(make_user, make_board):
    board = make_board("tictactoe-wins", operator="incr", authoritative=True)  # TicTacToe.leaderboard
    alice, bob = make_user(), make_user()
    for _ in range(2):
        game = game_create(mode="tictactoe", players=[alice, bob])
        players = [Player(id=u.pk, username=u.username, seat=i, side="x") for i, u in enumerate([alice, bob])]
        assert game_record_result(game_id=game.pk, result=Result(alice.pk, "win"), players=players)
    game = game_create(mode="tictactoe", players=[alice, bob])
    game_record_result(game_id=game.pk, result=Result(None, "abandoned"), players=[])
    assert dict(Record.objects.filter(board=board).values_list("user_id", "score")) == {alice.pk: 2}


def test_a_game_result_with_scores_writes_each_player_with_the_operator(make_user, make_board):
    board = make_board("arena-gems", operator="best")  # Arena.leaderboard
    alice, bob = make_user(), make_user()
    for scores in ({alice.pk: 7, bob.pk: 3}, {alice.pk: 5, bob.pk: 9}):
        game = game_create(mode="arena", players=[alice, bob])
        players = [Player(id=u.pk, username=u.username, seat=i, side="") for i, u in enumerate([alice, bob])]
        game_record_result(game_id=game.pk, result=Result(None, "draw", scores=scores), players=players)
    assert dict(Record.objects.filter(board=board).values_list("user_id", "score")) == {alice.pk: 7, bob.pk: 9}


def test_a_game_whose_board_is_missing_is_still_recorded_and_the_board_is_warned_about_once(make_user, caplog):
    services._warn_missing_board.cache_clear()  # once per process: this test's process may have said it
    alice, bob = make_user(), make_user()
    players = [Player(id=u.pk, username=u.username, seat=i, side="x") for i, u in enumerate([alice, bob])]
    with caplog.at_level("INFO", logger="leaderboards.services"):
        for _ in range(3):
            game = game_create(mode="tictactoe", players=[alice, bob])
            assert game_record_result(game_id=game.pk, result=Result(alice.pk, "win"), players=players)
    assert not Record.objects.exists()
    said = [r for r in caplog.records if r.name == "leaderboards.services"]
    assert [(r.levelname, "tictactoe-wins" in r.getMessage()) for r in said] == [("WARNING", True)]


def test_a_due_reset_archives_the_period_and_starts_empty(client_for, alice, make_board):
    past = timezone.now() - timedelta(seconds=1)
    board = make_board("b", reset="0 0 * * *", next_reset_at=past)
    client = client_for(alice)
    post_score(client, "b", 42)
    assert services.leaderboards_reset_due() == 1
    board.refresh_from_db()
    assert board.period == 1 and board.next_reset_at > timezone.now()
    assert client.get("/api/leaderboards/b/records/").json()["results"] == []
    previous = client.get("/api/leaderboards/b/records/?period=previous").json()["results"]
    assert [(r["rank"], r["score"]) for r in previous] == [(1, 42)]
    assert post_score(client, "b", 7).json()["score"] == 7  # a fresh period: best starts over
    assert services.leaderboards_reset_due() == 0
    bad = client.get("/api/leaderboards/b/records/?period=9")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_period"


def test_a_board_without_reset_never_resets(make_board):
    make_board("b")
    assert services.leaderboards_reset_due() == 0
    assert Leaderboard.objects.get().period == 0


@pytest.mark.parametrize(
    "period",
    ["²", "٣", "-1", "1.0", pytest.param("9" * 5000, id="5000-digits")],
    ids=["superscript", "arabic", "minus", "dot", None],
)
def test_a_period_that_is_not_plain_digits_is_a_400(client_for, alice, make_board, period):
    make_board("b")
    answer = client_for(alice).get("/api/leaderboards/b/records/", {"period": period})
    assert answer.status_code == 400
    assert answer.json() == {
        "detail": "period is current, previous or a past period's number.",
        "code": "invalid_period",
    }
