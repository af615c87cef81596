"""Races on PostgreSQL: writes of one record, resets, the last seat, fees and rewards, each exactly once."""

import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from urllib.parse import urlparse, urlunparse

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from conftest import requires_postgres
from game import hooks as game_hooks
from gameplatform.testhelpers import run_at_once
from leaderboards import selectors, services
from leaderboards.models import Entry, Leaderboard, Payout, RankBucket, Record, Tournament
from notifications.models import Notification
from progression.models import LedgerEntry, Player
from progression.services import player_ensure

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgres]


def test_increments_from_many_threads_add_up_exactly(alice, make_board):
    make_board("b", operator="incr")
    calls = [lambda n=n: services.record_write(board_id="b", user_id=alice.pk, score=n).score for n in range(1, 13)]
    run_at_once(*calls)
    assert Record.objects.get().score == sum(range(1, 13))


def test_racing_best_scores_keep_the_maximum(alice, make_board):
    make_board("b", operator="best")
    scores = [17, 3, 99, 42, 98, 1, 64, 50]
    run_at_once(*[lambda s=s: services.record_write(board_id="b", user_id=alice.pk, score=s) for s in scores])
    assert Record.objects.get().score == 99


def test_a_due_reset_is_done_once_under_two_runners(alice, make_board):
    make_board("b", reset="*/5 * * * *", next_reset_at=timezone.now() - timedelta(seconds=1))
    services.record_write(board_id="b", user_id=alice.pk, score=10)
    assert sorted(run_at_once(services.leaderboards_reset_due, services.leaderboards_reset_due)) == [0, 1]
    board = Leaderboard.objects.get()
    assert board.period == 1
    assert list(Record.objects.values_list("period", "score")) == [(0, 10)]


@pytest.fixture
def tournament(admin):
    now = timezone.now()
    return services.tournament_create(
        actor=admin,
        id="cup",
        start=now - timedelta(minutes=1),
        end=now + timedelta(hours=1),
        max_entries=3,
        entry_fee=20,
        rewards=[{"rank_from": 1, "rank_to": 2, "gold": 100}, {"rank_from": 3, "rank_to": 6, "gold": 10}],
    )


def test_the_last_seats_go_once_and_each_entrant_pays_once(tournament, make_user):
    users = [make_user() for _ in range(8)]
    for user in users:
        player_ensure(user_id=user.pk)
    outcomes = run_at_once(*[lambda u=u: services.tournament_join(tournament_id="cup", user=u)[1] for u in users])
    assert sorted(outcomes, key=str) == [True] * 3 + ["tournament_full"] * 5
    assert Tournament.objects.get().entry_count == 3 == Entry.objects.count()
    assert LedgerEntry.objects.filter(reason="tournament_entry").count() == 3


def test_one_player_joining_from_two_tabs_pays_once(tournament, alice):
    player_ensure(user_id=alice.pk)
    before = Player.objects.get(pk=alice.pk).gold
    calls = [lambda: services.tournament_join(tournament_id="cup", user=alice)[1]] * 4
    assert sorted(run_at_once(*calls)) == [False, False, False, True]
    assert Player.objects.get(pk=alice.pk).gold == before - 20


def entrants_with_scores(tournament, make_user, scores):
    Tournament.objects.filter(pk=tournament.pk).update(max_entries=None)
    users = []
    for score in scores:
        user = make_user()
        services.tournament_join(tournament_id="cup", user=user)
        services.record_write(board_id="cup", user_id=user.pk, score=score)
        users.append(user)
    Tournament.objects.filter(pk=tournament.pk).update(end=timezone.now())
    return users


def rewards_by_user() -> dict[int, int]:
    paid: dict[int, int] = {}
    for player_id, amount in LedgerEntry.objects.filter(reason="tournament_reward").values_list("player_id", "amount"):
        paid[player_id] = paid.get(player_id, 0) + amount
    return paid


def test_two_runners_ending_a_tournament_pay_each_reward_once(tournament, make_user):
    users = entrants_with_scores(tournament, make_user, [60, 50, 40, 30, 20, 10, 5])
    made = run_at_once(services.tournaments_end_due, services.tournaments_end_due, services.tournaments_end_due)
    assert sum(made) == 6
    assert rewards_by_user() == {u.pk: g for u, g in zip(users, [100, 100, 10, 10, 10, 10], strict=False)}
    assert Notification.objects.filter(kind="tournament_ended").count() == 7  # told once each


def timer_runner(log_path) -> subprocess.Popen:
    """``manage.py run_timers`` in a process of its own, on this test's database and Redis."""
    url = urlparse(settings.DATABASE_URL)._replace(path=f"/{connection.settings_dict['NAME']}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DATABASE_URL=urlunparse(url), DJANGO_SETTINGS_MODULE="gameplatform.test_settings")
    with open(log_path, "ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "run_timers"], env=env, stdout=log, stderr=log
        )


def wait_for(condition, *, seconds: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def lock_waits() -> int:
    """Backends of this database waiting for a row lock (the payer, blocked on the row this test holds)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_a_payout_runner_killed_midway_is_finished_by_the_next_one_paying_everyone_once(
    tournament, make_user, tmp_path
):
    """A real ``run_timers`` process pays ranks 1 and 2 (each committed with its ledger rows), is
    blocked inside the transaction of rank 3 (this test holds that player's row) and SIGKILLed
    there; the next ``run_timers`` process takes the timers over and pays the rest, once each."""
    users = entrants_with_scores(tournament, make_user, [60, 50, 40, 30, 20])
    before = {u.pk: Player.objects.get(pk=u.pk).gold for u in users}
    log = tmp_path / "timers.log"
    with transaction.atomic():
        Player.objects.select_for_update().get(pk=users[2].pk)  # the third payout will wait here
        payer = timer_runner(log)
        try:
            wait_for(lambda: Payout.objects.count() == 2 and lock_waits() == 1, what="two payouts, then a wait")
            assert payer.poll() is None, log.read_text()
            payer.send_signal(signal.SIGKILL)
            assert payer.wait(timeout=10) == -signal.SIGKILL
        finally:
            if payer.poll() is None:
                payer.kill()
                payer.wait()
        assert Payout.objects.count() == 2 and rewards_by_user() == {users[0].pk: 100, users[1].pk: 100}
    assert Tournament.objects.get().ended_at is None  # killed before the end

    resumer = timer_runner(log)  # the timers of the next process (after the dead one's lease runs out)
    try:
        wait_for(lambda: Tournament.objects.filter(ended_at__isnull=False).exists(), what="the tournament's end")
    finally:
        resumer.send_signal(signal.SIGTERM)
        resumer.wait(timeout=10)
    paid = [100, 100, 10, 10, 10]
    assert rewards_by_user() == {u.pk: gold for u, gold in zip(users, paid, strict=True)}
    rows = LedgerEntry.objects.filter(reason="tournament_reward").values_list("player_id", flat=True)
    assert sorted(rows) == sorted(u.pk for u in users)  # one ledger row per winner
    assert [Player.objects.get(pk=u.pk).gold - before[u.pk] for u in users] == paid
    assert sorted(Payout.objects.values_list("rank", "gold")) == [(1, 100), (2, 100), (3, 10), (4, 10), (5, 10)]
    assert Notification.objects.filter(kind="tournament_ended").count() == 5  # told once each


@pytest.mark.parametrize("sort", ["desc", "asc"])
def test_ranks_from_the_buckets_equal_ranks_counted_from_the_top(make_user, make_board, sort):
    board = make_board("b", sort=sort, operator="set")
    users = [make_user() for _ in range(12)]
    for user, score in zip(users, [5, 9, 9, 1, 7, 9, 3, 3, 8, 2, 6, 9], strict=True):
        services.record_write(board_id="b", user_id=user.pk, score=score)
    services.record_write(board_id="b", user_id=users[0].pk, score=4)  # an update: still 12 records
    board.refresh_from_db()
    assert board.record_count == 12
    records = list(Record.objects.filter(board=board))
    from_buckets = {r.user_id: selectors.record_rank(board=board, record=r) for r in records}
    assert sorted(from_buckets.values()) == list(range(1, 13))
    assert from_buckets == brute_force_ranks(board)
    assert services.leaderboard_reset(board_id="b", period=0)
    assert Leaderboard.objects.values_list("record_count", flat=True).get() == 0


# Scores across bucket edges (255/256, 65535/65536, the sign) and the 64-bit ends.
EDGE_SCORES = [0, 1, 255, 256, 257, 65535, 65536, -1, -256, -257, 2**40, 2**63 - 1, -(2**63), 7, 7, 7]


def brute_force_ranks(board: Leaderboard) -> dict[int, int]:
    order = ("-score" if board.sort == "desc" else "score", "reached_at", "id")
    ranked = Record.objects.filter(board=board, period=board.period).order_by(*order)
    return {r.user_id: rank for rank, r in enumerate(ranked, start=1)}


def bucket_counts_match_the_records(board: Leaderboard) -> bool:
    truth: dict[tuple[int, int], int] = {}
    for score in Record.objects.filter(board=board, period=board.period).values_list("score", flat=True):
        for level in range(selectors.LEVELS):
            truth[(level, score >> (8 * level))] = truth.get((level, score >> (8 * level)), 0) + 1
    stored = RankBucket.objects.filter(board=board, period=board.period).exclude(count=0)
    return truth == {(b.level, b.key): b.count for b in stored}


@pytest.mark.parametrize("sort", ["desc", "asc"])
def test_ranks_after_a_burst_of_racing_writers_equal_a_brute_force_ranking(make_user, make_board, sort):
    board = make_board("b", sort=sort, operator="set")
    users = [make_user() for _ in range(10)]

    def writer(seed: int):
        rng = random.Random(seed)
        for _ in range(15):  # the same few users from every thread: scores move up, down, across signs
            score = rng.choice(EDGE_SCORES) + rng.choice([0, 0, 1, -1])
            score = max(-(2**63), min(2**63 - 1, score))
            services.record_write(board_id="b", user_id=rng.choice(users).pk, score=score)
        return "ok"

    assert run_at_once(*[lambda n=n: writer(n) for n in range(6)]) == ["ok"] * 6
    assert bucket_counts_match_the_records(board)
    records = Record.objects.filter(board=board)
    assert {r.user_id: selectors.record_rank(board=board, record=r) for r in records} == brute_force_ranks(board)


def test_buckets_follow_records_written_outside_the_service_and_deleted_users(make_user, make_board):
    board = make_board("b")
    users = [make_user() for _ in range(6)]
    now = timezone.now()
    Record.objects.bulk_create(
        Record(board=board, period=0, user=u, score=s, reached_at=now, updated_at=now)
        for u, s in zip(users, [300, 256, 255, 300, -5, 70000], strict=True)
    )
    users[0].delete()  # its record goes in the cascade
    Record.objects.filter(user=users[1]).update(score=1)
    assert bucket_counts_match_the_records(board)
    ranks = {r.user_id: selectors.record_rank(board=board, record=r) for r in Record.objects.filter(board=board)}
    assert ranks == brute_force_ranks(board)
    assert ranks[users[5].pk] == 1 and ranks[users[4].pk] == 5
    board.delete()
    assert not RankBucket.objects.exists()
    make_board("b")  # a board made again under the same id starts with no buckets
    services.record_write(board_id="b", user_id=users[2].pk, score=3)
    assert selectors.record_rank(board=Leaderboard.objects.get(), record=Record.objects.get()) == 1


# --- lock order: results of several records against single writes -----------------------


def is_deadlock(exc: BaseException | None) -> bool:
    """PostgreSQL's SQLSTATE 40P01, whatever wrapped it (Django's OperationalError)."""
    while exc is not None:
        if getattr(exc, "sqlstate", None) == "40P01":
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def crossing_score(rng: random.Random, sort: str, operator: str, round_: int) -> int:
    """Scores that move every record across level-0 buckets (and now and then level 1) in both
    directions; on ``best`` boards they keep improving, so that the writes keep moving rows."""
    if operator == "incr":
        return rng.randrange(-300, 300)
    if operator == "best":
        step = round_ * 40 + rng.randrange(600)
        return step if sort == "desc" else 100_000 - step
    return rng.randrange(1000)


@pytest.mark.parametrize("operator", ["best", "set", "incr"])
@pytest.mark.parametrize("sort", ["desc", "asc"])
def test_results_of_four_records_racing_single_writes_never_deadlock(make_user, make_board, sort, operator):
    """Six threads write four-player results (four records in one transaction, in user order as
    ``game_result_feed`` does) and two threads single writes, on one board, with scores that
    cross: every transaction commits, and the buckets still count the records."""
    board = make_board("b", sort=sort, operator=operator)
    users = [make_user() for _ in range(12)]
    for n, user in enumerate(users[:8]):  # most records exist (updates); the rest are inserted in the race
        services.record_write(board_id="b", user_id=user.pk, score=crossing_score(random.Random(n), sort, operator, 0))
    ids = [u.pk for u in users]

    def results(seed: int) -> list:
        rng, failures = random.Random(seed), []
        for round_ in range(20):
            players = sorted(rng.sample(ids, 4))
            try:
                with transaction.atomic():
                    for user_id in players:
                        services.record_write(
                            board_id="b", user_id=user_id, score=crossing_score(rng, sort, operator, round_)
                        )
            except Exception as exc:  # noqa: BLE001 - counted below
                failures.append(exc)
        return failures

    def singles(seed: int) -> list:
        rng, failures = random.Random(seed), []
        for round_ in range(40):
            try:
                services.record_write(
                    board_id="b", user_id=rng.choice(ids), score=crossing_score(rng, sort, operator, round_)
                )
            except Exception as exc:  # noqa: BLE001 - counted below
                failures.append(exc)
        return failures

    outcomes = run_at_once(
        *[lambda n=n: results(n) for n in range(6)], *[lambda n=n: singles(100 + n) for n in range(2)]
    )
    failures = [exc for outcome in outcomes for exc in (outcome if isinstance(outcome, list) else [outcome])]
    deadlocks = sum(is_deadlock(exc) for exc in failures)
    assert failures == [], f"{deadlocks} of {len(failures)} failed transactions (of 200) deadlocked"
    assert bucket_counts_match_the_records(board)


def test_arena_results_through_the_game_hook_racing_player_writes_all_commit(make_user, make_board, admin):
    """Arena results (four players' gems, ``game_result_recorded`` -> ``game_result_feed``, each in
    a transaction as the game's is) race admins' single writes on ``arena-gems``: none fails."""
    board = make_board("arena-gems", sort="desc", operator="best", authoritative=True)
    ids = [make_user().pk for _ in range(10)]

    def results(seed: int) -> str:
        rng = random.Random(seed)
        for round_ in range(20):
            seated = rng.sample(ids, 4)
            with transaction.atomic():
                game_hooks.game_result_recorded(
                    game_id=seed * 100 + round_,
                    mode="arena",
                    winner=seated[0],
                    scores={uid: crossing_score(rng, "desc", "best", round_) for uid in seated},
                    user_ids=seated,
                )
        return "ok"

    def singles(seed: int) -> str:
        rng = random.Random(seed)
        for round_ in range(30):
            score = crossing_score(rng, "desc", "best", round_)
            services.record_write(board_id="arena-gems", user_id=rng.choice(ids), score=score, actor=admin)
        return "ok"

    outcomes = run_at_once(*[lambda n=n: results(n) for n in range(5)], lambda: singles(50), lambda: singles(51))
    assert outcomes == ["ok"] * 7
    assert bucket_counts_match_the_records(board)
    assert Leaderboard.objects.get(pk="arena-gems").record_count == Record.objects.filter(board=board).count()


def test_a_record_write_aborted_by_a_deadlock_answers_503_unavailable_not_500(alice, make_board, client_for):
    """A real deadlock against the REST route (another transaction holds alice's record, then
    wants the board the request has locked): PostgreSQL aborts the request's transaction, which
    answers the contract's 503 ``unavailable`` with ``Retry-After``; the other one commits."""
    make_board("b", operator="set")
    services.record_write(board_id="b", user_id=alice.pk, score=1)
    answers: list = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL deadlock_timeout = '20s'")  # the request's check (1 s) finds the cycle first
        Record.objects.select_for_update().get(user=alice)
        request = threading.Thread(
            target=lambda: answers.append(client_for(alice).post("/api/leaderboards/b/records/", {"score": 2}))
        )
        request.start()
        try:
            wait_for(lambda: lock_waits() == 1, what="the request waiting for alice's record")
            Leaderboard.objects.select_for_update().get(pk="b")  # waits for the request: a cycle
        finally:
            request.join(30)
    response = answers[0]
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "unavailable" and response["Retry-After"]
    assert Record.objects.get(user=alice).score == 1
