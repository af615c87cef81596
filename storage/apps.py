from django.apps import AppConfig


class StorageConfig(AppConfig):
    name = "storage"

    def ready(self) -> None:
        from accounts.exports import register_parts
        from storage.exports import PARTS

        register_parts(PARTS)
