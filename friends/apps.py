from django.apps import AppConfig


class FriendsConfig(AppConfig):
    name = "friends"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from friends.presence import announce
        from gameplatform import presence

        # The kit decides presence transitions; the friend graph decides who hears of them.
        presence.set_announcer(announce)
