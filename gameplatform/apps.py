from django.apps import AppConfig


class GameplatformConfig(AppConfig):
    name = "gameplatform"

    def ready(self) -> None:
        from gameplatform.core import converters  # noqa: F401 (registers <id:...>, before any urls or routing module)
