"""CPU of a game's database boundaries, on the thread that runs them (no server, no sockets).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gp_platform_bench .venv/bin/python bench/game_boundaries.py
    ... bench/game_boundaries.py --games 300 --board     # with the mode's leaderboard made first
    ... bench/game_boundaries.py --batch 8               # eight games a transaction, each charged 1/8

Every game a server's rooms run costs these on a database worker, besides its moves (which
never touch the database): the room's seating, its flags (each player's read of the live
operations, kept on the game's record), the start, the result (the game row, the seats, the
ratings, the mode's leaderboard, each player's XP and goal event, and in the same transaction
the replay: nine moves). For N
fresh pairs of players it times each step with the thread's CPU clock (``time.thread_time``: the
work the process's other threads wait for, not the database's), for a pair's first rated game
(the ratings' rows are made) and for three later rounds, and prints the medians and p90 in
milliseconds. ``--board`` makes the
tic-tac-toe board (``tictactoe-wins``, as ``manage.py seed_demo`` does) for the run, so
that each result also writes it; without it the mode's board does not exist. The bench's users,
games and records are removed afterwards. Uses ``DATABASE_URL`` (PostgreSQL, migrated).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from queue_fill import django_setup, drop_users, make_users  # noqa: E402

PREFIX = "benchgb"
BOARD = "tictactoe-wins"  # TicTacToe.leaderboard


def one_round(pairs: list, times: dict, batch: int = 1) -> None:
    """Each pair plays one game; its steps run ``batch`` games at a time, as a busy server's rooms
    hand them over (``gameplatform.data.batching``), and each game is charged its share."""
    from django.db import close_old_connections

    from game import services
    from gameplatform.modes import Player, Result

    def record(game, a, b) -> services.ResultRecord:
        return services.ResultRecord(
            game_id=game.pk,
            result=Result(winner=a.pk, reason="win", scores={a.pk: 1, b.pk: 0}),
            players=[
                Player(id=a.pk, username=a.username, seat=0, side="left", connected=True, ready=True),
                Player(id=b.pk, username=b.username, seat=1, side="right", connected=True, ready=True),
            ],
            board=[0] * 9,
            version=9,
            steps=[[n, n * 2.0, "move", [n % 2, {"cell": n}], n + 1] for n in range(9)],  # its replay: nine moves
            grace={"reconnect": 30, "first": 60},
        )

    for at in range(0, len(pairs), batch):
        group = pairs[at : at + batch]
        games = [services.game_create(mode="tictactoe", players=[a.pk, b.pk]) for a, b in group]
        ids = [g.pk for g in games]
        close_old_connections()
        records = [record(g, a, b) for g, (a, b) in zip(games, group, strict=True)]
        steps = {
            "seating": lambda ids=ids: services.game_seatings(game_ids=ids),
            # A new room's flags (ctx.flag: the game's, each player's read, kept on the record).
            "flags": lambda group=group, ids=ids: [
                services.game_flags_fix(game_id=game_id, player_ids=[a.pk, b.pk])
                for game_id, (a, b) in zip(ids, group, strict=True)
            ],
            "start": lambda ids=ids: services.game_record_starts(game_ids=ids),
            "result and replay": lambda records=records: services.game_record_results(records=records),
        }
        for name, step in steps.items():
            began = time.thread_time()
            step()
            times.setdefault(name, []).extend([(time.thread_time() - began) / len(group)] * len(group))
            close_old_connections()  # as a database worker does after each unit of work


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", type=int, default=150, help="pairs of players, one game each per round")
    parser.add_argument("--board", action="store_true", help=f"make the mode's board ({BOARD}) for the run")
    parser.add_argument("--batch", type=int, default=1, help="games per transaction (a busy server's rooms share one)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        parser.error("set DATABASE_URL to a migrated PostgreSQL database")
    django_setup()
    from game.models import Game
    from leaderboards.models import Leaderboard, Record

    users = [user for user, _ in make_users(PREFIX, 2 * args.games)]
    pairs = list(zip(users[0::2], users[1::2], strict=True))
    made_board = (
        args.board
        and Leaderboard.objects.get_or_create(
            pk=BOARD, defaults={"sort": "desc", "operator": "incr", "authoritative": True}
        )[1]
    )
    try:
        first: dict = {}
        one_round(pairs, first, args.batch)
        later: dict = {}
        for _ in range(3):
            one_round(pairs, later, args.batch)
    finally:
        Game.objects.filter(players__user__in=users).delete()
        Record.objects.filter(user__in=users).delete()
        if made_board:
            Leaderboard.objects.filter(pk=BOARD).delete()
        drop_users(PREFIX)
    board = "the mode's board made" if args.board else "no board for the mode"
    print(f"{args.games} games a round, {args.batch} a transaction, {board}; CPU per game and step, ms (median / p90)")
    for label, times in (("first rated game of a pair", first), ("later games (3 rounds)", later)):
        cells = []
        for name, values in times.items():
            values = sorted(values)
            cells.append(f"{name} {statistics.median(values) * 1e3:.2f} / {values[int(len(values) * 0.9)] * 1e3:.2f}")
        print(f"  {label}: " + ", ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
