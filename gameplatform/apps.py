from django.apps import AppConfig


class GameplatformConfig(AppConfig):
    name = "gameplatform"

    def ready(self) -> None:
        from gameplatform import converters
        from gameplatform.serializers import install_bounded_integers, install_strict_strings

        install_strict_strings()
        install_bounded_integers()
        converters.install()  # before any urls or routing module builds its patterns
