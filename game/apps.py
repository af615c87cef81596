from django.apps import AppConfig


class GameConfig(AppConfig):
    name = "game"

    def ready(self) -> None:
        from accounts import hooks as accounts
        from accounts.exports import register_parts
        from game.exports import PARTS

        register_parts(PARTS)

        from game import registry
        from game.selectors import users_played_together

        registry.modes()  # a wrong GAME_MODES entry stops start-up here, with its name
        # A minor takes friend requests from players they met: one who sat in a game with them.
        accounts.met.register(users_played_together)

        from game.rooms import games_forfeit_on_deletion

        # A deleted player forfeits the games they still play (once the deletion commits).
        accounts.user_deleting.register(games_forfeit_on_deletion)

        from game.rooms import get_room_host
        from gameplatform.rooms.placement import room_hosts

        # The process's room host reports its load from the server's start: new rooms are placed on it.
        room_hosts.register(get_room_host)
