from django.apps import AppConfig


class MatchmakingConfig(AppConfig):
    name = "matchmaking"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from game import hooks
        from matchmaking.queue.services import queue_forget

        # Players who got a game another way (invite, lobby) leave the queue.
        hooks.on_game_created(lambda user_ids: queue_forget(user_ids=user_ids))
