from django.apps import AppConfig


class GameConfig(AppConfig):
    name = "game"

    def ready(self) -> None:
        from game import registry

        registry.modes()  # a wrong GAME_MODES entry stops start-up here, with its name
