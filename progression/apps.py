from django.apps import AppConfig


class ProgressionConfig(AppConfig):
    name = "progression"

    def ready(self) -> None:
        from accounts.exports import register_parts
        from progression.exports import PARTS

        register_parts(PARTS)
