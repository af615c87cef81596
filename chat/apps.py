from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chat.dms.selectors import unread_dm_count
        from chat.dms.services import dm_access_revoke
        from chat.lobbies import presence as lobby_presence
        from chat.lobbies.services import lobby_game_finished
        from friends import hooks as friends
        from game import hooks as game
        from gameplatform import presence
        from notifications import hooks as notifications

        # A lobby's game is over: the lobby opens again for its members.
        game.on_lobby_game_over(lambda lobby_id: lobby_game_finished(lobby_id=lobby_id))
        # No longer friends: their DM sockets on each other close.
        friends.on_friendship_ended(lambda a_id, b_id: dm_access_revoke(user_a_id=a_id, user_b_id=b_id))
        notifications.add_badge_count("unread_dms", unread_dm_count)
        # Lobby presence is the kit's presence at "lobby:<id>": the lobby hears who came and went.
        presence.set_announcer(lobby_presence.announce, kind=lobby_presence.KIND)
