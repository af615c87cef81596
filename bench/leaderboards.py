"""Leaderboards at a million records: write throughput through the service and rank reads.

Fills one board with N records (users and records inserted in SQL, one statement each),
then measures on PostgreSQL:
- writes/s of ``record_write`` (the ``best`` operator's upsert) from a few threads,
- around-me reads (``records_around``, limit 10: the rank count plus the neighbours) for
  random users, p50 and p99, and the top-10 read. A rank sums the rank buckets of the better
  scores (at most 255 per level, 8 levels, kept by a trigger on the records) and counts the
  rows tied with it that reached the score first.
- the leaderboard hook per game result: what a recorded result pays, inside the game's
  transaction, to feed its mode's authoritative board (``game_result_recorded`` ->
  ``game_result_feed``): a tic-tac-toe result (the winner's +1 on ``tictactoe-wins``, incr)
  and an arena result (four players' gems on ``arena-gems``, best), p50 and p99 per result;
  then arena results from ``--threads`` threads at once among ``--hot-players`` players
  (results/s, and how many failed: deadlocks before the board's lock, issue #26).

Use a database of its own (the users and records stay for the next run; --drop removes them):

  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/gp_bench_leaderboards SECRET_KEY=bench
  .venv/bin/python manage.py migrate
  .venv/bin/python bench/leaderboards.py --records 1000000
"""

import argparse
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameplatform.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

BOARD = "bench-1m"
PREFIX = "lbbench_"


def fill(records: int) -> list[int]:
    """Users ``lbbench_<n>`` and one record each on the bench board; returns the user ids."""
    from accounts.models import User
    from leaderboards.models import Leaderboard, Record

    Leaderboard.objects.get_or_create(id=BOARD, defaults={"sort": "desc", "operator": "best"})
    have = User.objects.filter(username__startswith=PREFIX).count()
    started = time.perf_counter()
    if have < records:
        template = User.objects.create_user(username=f"{PREFIX}template", email="")
        columns = [c.name for c in connection.introspection.get_table_description(connection.cursor(), "accounts_user")]
        columns.remove("id")
        unique = {"username": f"'{PREFIX}' || g", "username_key": f"'{PREFIX}' || g", "email": "''"}
        select = ", ".join(unique.get(c, f"t.{c}") for c in columns)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO accounts_user ({', '.join(columns)}) SELECT {select} "
                "FROM accounts_user t, generate_series(%s, %s) g WHERE t.id = %s",
                [have, records - 1, template.pk],
            )
        template.delete()
    ids = list(User.objects.filter(username__startswith=PREFIX).order_by("pk").values_list("pk", flat=True)[:records])
    present = Record.objects.filter(board_id=BOARD).count()
    if present < records:
        with connection.cursor() as cursor:
            # Scores spread like a real board (many players near the bottom), times over a week.
            cursor.execute(
                "INSERT INTO leaderboards_record (board_id, period, user_id, score, metadata, reached_at, updated_at) "
                "SELECT %s, 0, u.id, (power(random(), 3) * 1000000)::bigint, '{}'::jsonb, "
                "now() - random() * interval '7 days', now() FROM accounts_user u "
                "WHERE u.username LIKE %s ON CONFLICT DO NOTHING",
                [BOARD, PREFIX + "%"],
            )
            cursor.execute("VACUUM ANALYZE leaderboards_record, leaderboards_rankbucket")
    # Inserted in SQL (the trigger fills the rank buckets), so counted here as record_write counts its inserts.
    count = Record.objects.filter(board_id=BOARD, period=0).count()
    Leaderboard.objects.filter(pk=BOARD).update(record_count=count)
    print(
        f"fill: {len(ids)} users, {Record.objects.filter(board_id=BOARD).count()} records "
        f"({time.perf_counter() - started:.1f} s)"
    )
    return ids


def writes(ids: list[int], count: int, threads: int) -> None:
    from leaderboards.services import record_write

    per_thread = count // threads

    def run(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(per_thread):
                record_write(board_id=BOARD, user_id=rng.choice(ids), score=rng.randrange(1_000_000))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    print(
        f"writes: {per_thread * threads} record_write (best) from {threads} threads: "
        f"{per_thread * threads / elapsed:,.0f} records/s"
    )


def reads(ids: list[int], count: int) -> None:
    from leaderboards.models import Leaderboard
    from leaderboards.selectors import records_around, records_top

    board = Leaderboard.objects.get(pk=BOARD)
    rng = random.Random(7)

    def timed(call) -> list[float]:
        took = []
        for _ in range(count):
            started = time.perf_counter()
            call()
            took.append((time.perf_counter() - started) * 1000)
        return took

    for name, call in [
        ("around me (limit 10)", lambda: records_around(board=board, period=0, user_id=rng.choice(ids), limit=10)),
        ("top 10", lambda: records_top(board=board, period=0, limit=10)),
    ]:
        took = sorted(timed(call))
        p50, p99 = statistics.median(took), took[int(len(took) * 0.99) - 1]
        print(f"reads: {name} x{count}: p50 {p50:.1f} ms, p99 {p99:.1f} ms")


def result_hook(ids: list[int], count: int) -> None:
    """``count`` results per mode through the game's hook, each in a transaction of its own as
    ``game_finish`` runs it; the boards are made as ``seed_demo`` makes them when missing."""
    from django.db import transaction

    from game import hooks
    from game.registry import get_mode
    from leaderboards.demo import BOARDS
    from leaderboards.models import Leaderboard
    from leaderboards.services import next_reset

    for board_id, sort, operator, reset, authoritative in BOARDS:
        Leaderboard.objects.get_or_create(
            id=board_id,
            defaults={
                "sort": sort,
                "operator": operator,
                "reset": reset,
                "authoritative": authoritative,
                "next_reset_at": next_reset(reset, timezone.now()),
            },
        )
    rng = random.Random(11)
    game_ids = iter(range(10**9, 2 * 10**9))  # metadata only: no game row is read
    for mode, players, scored in [("tictactoe", 2, False), ("arena", 4, True)]:
        took = []
        for _ in range(count):
            seated = rng.sample(ids, players)
            scores = {uid: rng.randrange(500) for uid in seated} if scored else {}
            started = time.perf_counter()
            with transaction.atomic():
                hooks.game_result_recorded(
                    game_id=next(game_ids), mode=mode, winner=seated[0], scores=scores, user_ids=seated
                )
            took.append((time.perf_counter() - started) * 1000)
        took.sort()
        p50, p99 = statistics.median(took), took[max(0, int(len(took) * 0.99) - 1)]
        writes = players if scored else 1
        print(
            f"result hook: {mode} -> {get_mode(mode).leaderboard} ({writes} record write(s) per result) "
            f"x{count}: p50 {p50:.2f} ms, p99 {p99:.2f} ms per result"
        )


def racing_results(ids: list[int], count: int, threads: int) -> None:
    """Arena results (four records each, through the hook, a transaction each) from ``threads``
    threads at once on ``arena-gems``, with scores moving both ways: results/s and how many
    failed, deadlocks (SQLSTATE 40P01) among them. ``result_hook`` made the board."""
    from django.db import transaction

    from game import hooks

    per_thread = count // threads
    failed: list[BaseException] = []
    base = int(time.time() * 100)  # above any earlier run's scores: every run's writes improve the records

    def run(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for n in range(per_thread):
                seated = rng.sample(ids, 4)
                try:
                    with transaction.atomic():
                        hooks.game_result_recorded(
                            game_id=seed * 10**6 + n,
                            mode="arena",
                            winner=seated[0],
                            scores={uid: base + n * 20 + rng.randrange(1000) for uid in seated},
                            user_ids=seated,
                        )
                except Exception as exc:  # noqa: BLE001 - counted
                    failed.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=(1000 + n,)) for n in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    deadlocks = sum("deadlock detected" in str(exc) for exc in failed)
    print(
        f"racing results: {per_thread * threads} arena results from {threads} threads: "
        f"{(per_thread * threads - len(failed)) / elapsed:,.1f} results/s committed, "
        f"{len(failed)} failed ({deadlocks} deadlocks)"
    )


def drop() -> None:
    from accounts.models import User
    from leaderboards.models import Leaderboard, Record

    Leaderboard.objects.filter(pk=BOARD).delete()
    Record.objects.filter(user__username__startswith=PREFIX).delete()  # the result hook's, on the modes' boards
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_user WHERE username LIKE %s", [PREFIX + "%"])
    print("dropped", User.objects.filter(username__startswith=PREFIX).count() == 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--writes", type=int, default=4000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--reads", type=int, default=500)
    parser.add_argument("--results", type=int, default=500, help="game results per mode through the hook")
    parser.add_argument("--hot-players", type=int, default=40, help="players of the racing arena results")
    parser.add_argument("--drop", action="store_true", help="remove the bench users and board, then stop")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    if args.drop:
        return drop()
    print(f"{timezone.now():%Y-%m-%d %H:%M} UTC, PostgreSQL {connection.cursor().connection.info.server_version}")
    ids = fill(args.records)
    writes(ids, args.writes, args.threads)
    reads(ids, args.reads)
    result_hook(ids, args.results)
    racing_results(ids[: args.hot_players], args.results, args.threads)


if __name__ == "__main__":
    main()
