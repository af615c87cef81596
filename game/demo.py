"""Demo data: a few finished games between demo users, played by their modes' rules (ratings included).

Each game runs in a ``Room`` here, as a server process would run it, and is recorded through the
same services (start, result and ratings). Only games of the modes ``GAME_MODES`` lists are played:
a studio that leaves out a built-in mode still gets its demo data.
"""

from game import services
from game.models import Game, Rating
from game.offline import game_play_offline, start_all
from game.registry import mode_names

# (mode, left, right, moves): tic-tac-toe moves are cells, relay games end with agreed scores.
DEMO_GAMES = [
    ("tictactoe", "user_1", "user_2", [0, 3, 1, 4, 2]),  # user_1 wins the top row
    ("tictactoe", "user_3", "user_4", [0, 1, 2, 4, 3, 5, 7, 6, 8]),  # a draw
    ("tictactoe", "premium_user_1", "user_1", [4, 0, 2, 6, 3, 5, 8, 1, 7]),  # a draw
    ("relay", "premium_user_2", "user_5", {"premium_user_2": 7, "user_5": 4}),
]


def _play(mode: str, left, right, moves) -> None:
    game = services.game_create(mode=mode, players=[left, right])

    def steps(room) -> None:
        start_all(room)
        if mode == "relay":
            scores = {str(left.pk): moves[left.username], str(right.pk): moves[right.username]}
            for user in (left, right):
                room.action(user.pk, "report_score", {"scores": scores})
        else:
            for i, cell in enumerate(moves):
                room.move((left if i % 2 == 0 else right).pk, {"cell": cell})

    game_play_offline(game_id=game.pk, steps=steps)


def seed(*, users, stdout) -> None:
    if Game.objects.filter(players__user__in=users.values()).exists():
        return
    listed = [game for game in DEMO_GAMES if game[0] in mode_names()]
    for mode, left, right, moves in listed:
        _play(mode, users[left], users[right], moves)
    stdout.write(f"Played {len(listed)} demo games.")


def clear() -> None:
    from accounts.management.commands.seed_demo import NORMAL_USERS, PREMIUM_USERS

    demo = PREMIUM_USERS + NORMAL_USERS
    Game.objects.filter(players__user__username__in=demo).delete()
    Rating.objects.filter(user__username__in=demo).delete()
