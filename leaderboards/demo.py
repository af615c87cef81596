"""Demo boards and a tournament: a high-score board with a few records, the boards the built-in
modes feed (tic-tac-toe wins, arena gems), a weekly board that resets on Mondays, and an open cup."""

from datetime import timedelta

from django.utils import timezone

from game import selectors as game_selectors
from leaderboards.models import Leaderboard, Tournament
from leaderboards.services import next_reset, record_write

# id, sort, operator, reset, authoritative
BOARDS = [
    ("high-scores", "desc", "best", "", False),
    ("weekly-gems", "desc", "incr", "0 0 * * 1", False),
    ("tictactoe-wins", "desc", "incr", "", True),  # TicTacToe.leaderboard: a win counts 1
    ("arena-gems", "desc", "best", "", True),  # Arena.leaderboard: the gems of a game, best kept
]
SCORES = [("user_1", 1200), ("user_2", 950), ("premium_user_1", 1800), ("user_3", 950)]
CUP = "weekly-cup"
CUP_REWARDS = [
    {"rank_from": 1, "rank_to": 1, "gold": 200},
    {"rank_from": 2, "rank_to": 3, "gold": 75},
    {"rank_from": 4, "rank_to": 10, "gold": 20},
]


def prepare() -> None:
    """The boards, before any app seeds: the demo games (``game.demo``) feed the modes' boards as
    they are recorded."""
    now = timezone.now()
    for board_id, sort, operator, reset, authoritative in BOARDS:
        _, created = Leaderboard.objects.get_or_create(
            id=board_id,
            defaults={
                "sort": sort,
                "operator": operator,
                "reset": reset,
                "authoritative": authoritative,
                "next_reset_at": next_reset(reset, now),
            },
        )
        if created and board_id == "tictactoe-wins":
            # Games recorded before this board existed (a database seeded before it was made, or
            # whose board was deleted): their wins, once.
            for rating in game_selectors.leaderboard(mode="tictactoe").filter(wins__gt=0):
                record_write(board_id=board_id, user_id=rating.user_id, score=rating.wins)


def seed(*, users, stdout) -> None:
    now = timezone.now()
    for username, score in SCORES:
        record_write(board_id="high-scores", user_id=users[username].pk, score=score, metadata={"level": 3})
    if not Tournament.objects.filter(pk=CUP).exists():
        board, _ = Leaderboard.objects.get_or_create(id=CUP, defaults={"sort": "desc", "operator": "best"})
        Tournament.objects.create(
            board=board,
            title="Weekly cup",
            start=now,
            end=now + timedelta(days=7),
            max_entries=64,
            entry_fee=10,
            rewards=CUP_REWARDS,
        )
    stdout.write(f"leaderboards: {len(BOARDS)} boards, {len(SCORES)} high scores, tournament {CUP!r}")


def clear() -> None:
    Leaderboard.objects.filter(pk__in=[b[0] for b in BOARDS] + [CUP]).delete()
