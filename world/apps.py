from django.apps import AppConfig


class WorldConfig(AppConfig):
    name = "world"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from gameplatform import presence
        from world import areas, arrivals

        # Who stands in an area is the kit's presence at "area:<id>": the area hears who came and went.
        presence.set_announcer(arrivals.announce, kind=areas.AREA)

        from django.db.models.signals import pre_delete

        from matchmaking.invites.hooks import InviteKind, invite_kinds
        from world import parties
        from world.models import Character

        # Invites of kind "party" (matchmaking's lifecycle): no friendship needed, a block refuses.
        invite_kinds.register("party", InviteKind(check=parties.party_invite_check, accept=parties.party_invite_accept))
        # A deleted character leaves its party (a leader's party is disbanded).
        pre_delete.connect(
            lambda sender, instance, **kwargs: parties.party_character_deleted(instance),
            sender=Character,
            weak=False,
            dispatch_uid="world_party_character_deleted",
        )
