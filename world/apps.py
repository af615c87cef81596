from django.apps import AppConfig


class WorldConfig(AppConfig):
    name = "world"

    def ready(self) -> None:
        from accounts.exports import register_parts
        from world.exports import PARTS

        register_parts(PARTS)

        from accounts.hooks import user_deleting
        from gameplatform.sockets import presence
        from matchmaking.invites.hooks import invite_kind_accept, invite_kind_check
        from world import areas, arrivals
        from world.parties.services import party_invite_accept, party_invite_check
        from world.services import characters_of_user_remove

        # Who stands in an area is the kit's presence at "area:<id>": the area hears who came and went.
        presence.announcers.register(areas.AREA, arrivals.announce)
        # Invites of kind "party" (matchmaking's lifecycle): no friendship needed, a block refuses.
        invite_kind_check.register("party", party_invite_check)
        invite_kind_accept.register("party", party_invite_accept)
        # A deleted user's characters go through the world's deletion first (each leaves its party).
        user_deleting.register(characters_of_user_remove)
