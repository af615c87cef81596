from django.apps import AppConfig


class LeaderboardsConfig(AppConfig):
    name = "leaderboards"

    def ready(self) -> None:
        from accounts.exports import register_parts
        from leaderboards.exports import PARTS

        register_parts(PARTS)

        from game import hooks as game_hooks
        from leaderboards.services import game_result_feed

        # A mode that names a board (``Mode.leaderboard``) writes its players' results there.
        game_hooks.game_result_recorded.register(game_result_feed)
