from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"

    def ready(self) -> None:
        from accounts import hooks as accounts
        from accounts.exports import register_parts
        from chat.exports import PARTS

        register_parts(PARTS)

        from accounts.hooks import user_deleting
        from chat.dms.selectors import unread_dm_count
        from chat.dms.services import dm_access_revoke
        from chat.lobbies.selectors import users_share_lobby
        from chat.lobbies.services import ROOM, lobby_game_finished, lobby_log_forget_user
        from friends import hooks as friends
        from game import hooks as game
        from gameplatform.sockets import presence
        from notifications import hooks as notifications

        # A lobby's game is over: the lobby opens again for its members.
        game.lobby_game_over.register(lambda lobby_id: lobby_game_finished(lobby_id=lobby_id))
        # No longer friends: their DM sockets on each other close.
        friends.friendship_ended.register(lambda a_id, b_id: dm_access_revoke(user_a_id=a_id, user_b_id=b_id))
        notifications.badge_count.register("unread_dms", unread_dm_count)
        # A deleted user's deleted messages leave the lobby moderation log's copies too.
        user_deleting.register(lobby_log_forget_user)
        # Lobby presence is the kit's presence at "lobby:<id>": the lobby hears who came and went.
        presence.announcers.register(ROOM.place_kind, ROOM.announcer())
        # A minor takes friend requests from players they met: a member of a lobby of theirs.
        accounts.met.register(users_share_lobby)
