from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        from accounts.exports import register_parts
        from notifications.exports import PARTS

        register_parts(PARTS)
