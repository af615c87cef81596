"""Reads of the world: what the REST routes and the world socket show."""

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from world.areas import population, users_in_area, users_in_world
from world.models import Character, Enemy, Faction, Location, Shard, WorldEvent, WorldState

RECENT_EVENTS = 10


def faction_list() -> QuerySet[Faction]:
    return Faction.objects.all()


def character_list(*, user_id: int) -> QuerySet[Character]:
    return Character.objects.filter(user_id=user_id).select_related("faction")


def selected_character(*, user_id: int) -> Character | None:
    return Character.objects.filter(user_id=user_id, selected=True).select_related("faction").first()


def world_state() -> WorldState:
    state, _ = WorldState.objects.get_or_create(pk=1)
    return state


def shard_list() -> QuerySet[Shard]:
    return Shard.objects.select_related("owner_faction")


def event_list() -> QuerySet[WorldEvent]:
    return WorldEvent.objects.all()


def location_list() -> QuerySet[Location]:
    alive = Enemy.objects.filter(respawn_at__isnull=True)
    return Location.objects.prefetch_related(
        "neighbours", Prefetch("enemies", queryset=alive, to_attr="alive_enemies")
    ).select_related("shard")


def location_get(*, location_id: int) -> Location | None:
    return location_list().filter(pk=location_id).first()


def characters_by_id(*, character_ids: list[int]) -> QuerySet[Character]:
    return Character.objects.filter(pk__in=character_ids).select_related("faction")


def due_respawns() -> QuerySet[Enemy]:
    return Enemy.objects.filter(respawn_at__lte=timezone.now())


def characters_in_area(*, location_id: int) -> list[Character]:
    """The selected characters of the users whose world socket stands in this area now."""
    return list(
        Character.objects.filter(user_id__in=users_in_area(location_id), selected=True, location_id=location_id)
        .select_related("faction")
        .order_by("name")
    )


def world_state_view() -> dict:
    return {
        "current_reality": world_state().current_reality,
        "shards": list(shard_list()),
        "factions": list(faction_list()),
        "online_characters": len(users_in_world()),
        "recent_events": list(event_list()[:RECENT_EVENTS]),
    }


def world_entry(*, user_id: int) -> dict | None:
    """What a world socket needs on connect: the selected character, its location, the world."""
    character = selected_character(user_id=user_id)
    if character is None:
        return None
    return {
        "character": character,
        "location": location_get(location_id=character.location_id),
        "reality": world_state().current_reality,
        "shards": list(shard_list()),
    }


def nearby_characters(*, location_id: int, except_user_id: int) -> list[Character]:
    return [c for c in characters_in_area(location_id=location_id) if c.user_id != except_user_id]


def population_by_area() -> list[tuple[Location, int]]:
    """Every area with the number of users whose world socket stands in it now (presence)."""
    locations = list(Location.objects.order_by("id"))
    counts = population([location.pk for location in locations])
    return [(location, counts[location.pk]) for location in locations]
