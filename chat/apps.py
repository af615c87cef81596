from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chat.lobbies.services import lobby_game_finished
        from game import hooks

        # A lobby's game is over: the lobby opens again for its members.
        hooks.on_lobby_game_over(lambda lobby_id: lobby_game_finished(lobby_id=lobby_id))
