from django.apps import AppConfig


class GameConfig(AppConfig):
    name = "game"

    def ready(self) -> None:
        from accounts.exports import register_parts
        from game.exports import PARTS

        register_parts(PARTS)

        from game import registry

        registry.modes()  # a wrong GAME_MODES entry stops start-up here, with its name
