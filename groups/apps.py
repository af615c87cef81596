from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = "Player groups"

    def ready(self) -> None:
        from accounts import hooks as accounts
        from accounts.exports import register_parts
        from groups.exports import PARTS

        register_parts(PARTS)

        from gameplatform.sockets import presence
        from groups.selectors import users_share_group
        from groups.services import ROOM

        # Group presence is the kit's presence at "group:<id>": the group hears who came and went.
        presence.announcers.register(ROOM.place_kind, ROOM.announcer())
        # A minor takes friend requests from players they met: a member of a group of theirs.
        accounts.met.register(users_share_group)
