"""Demo data: a few finished games between demo users, played through the services (ratings included)."""

from game import services
from game.models import Game, Rating

# (mode, left, right, moves): tic-tac-toe moves are cells, relay games end with agreed scores.
DEMO_GAMES = [
    ("tictactoe", "user_1", "user_2", [0, 3, 1, 4, 2]),  # user_1 wins the top row
    ("tictactoe", "user_3", "user_4", [0, 1, 2, 4, 3, 5, 7, 6, 8]),  # a draw
    ("tictactoe", "premium_user_1", "user_1", [4, 0, 2, 6, 3, 5, 8, 1, 7]),  # a draw
    ("relay", "premium_user_2", "user_5", {"premium_user_2": 7, "user_5": 4}),
]
DEMO_CONNECTION = "demo"


def _play(mode: str, left, right, moves) -> None:
    game = services.game_create(mode=mode, players=[left, right])
    for user in (left, right):
        services.game_player_connect(game_id=game.pk, user_id=user.pk, connection_id=DEMO_CONNECTION)
        services.game_player_ready(game_id=game.pk, user_id=user.pk)
    if mode == "relay":
        scores = {str(left.pk): moves[left.username], str(right.pk): moves[right.username]}
        for user in (left, right):
            services.game_action(game_id=game.pk, user_id=user.pk, action="report_score", data={"scores": scores})
    else:
        for i, cell in enumerate(moves):
            mover = left if i % 2 == 0 else right
            services.game_move(game_id=game.pk, user_id=mover.pk, movement={"cell": cell})
    for user in (left, right):
        services.game_player_disconnect(game_id=game.pk, user_id=user.pk, connection_id=DEMO_CONNECTION)


def seed(*, users, stdout) -> None:
    if Game.objects.filter(players__user__in=users.values()).exists():
        return
    for mode, left, right, moves in DEMO_GAMES:
        _play(mode, users[left], users[right], moves)
    stdout.write(f"Played {len(DEMO_GAMES)} demo games.")


def clear() -> None:
    from accounts.management.commands.seed_demo import NORMAL_USERS, PREMIUM_USERS

    demo = PREMIUM_USERS + NORMAL_USERS
    Game.objects.filter(players__user__username__in=demo).delete()
    Rating.objects.filter(user__username__in=demo).delete()
