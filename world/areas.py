"""Who is where right now: a view of the kit's presence (``gameplatform.presence``).

A world socket stands at two places: ``world`` (every world socket) and
``area:<location id>`` (the area its character is in). Moving re-places the socket;
a socket that dies with its process leaves both with the presence sweep, so
``player_left_area`` goes out once, within ``PRESENCE_TTL_SECONDS``.
"""

from gameplatform import presence
from gameplatform.groups import area_group
from gameplatform.realtime import broadcast_on_commit
from world import events
from world.models import Character

WORLD = "world"
AREA = "area"


def area_place(location_id: int) -> str:
    return f"{AREA}:{int(location_id)}"


def places_for(location_id: int) -> tuple[str, ...]:
    return (WORLD, area_place(location_id))


def users_in_area(location_id: int) -> list[int]:
    return presence.present_at(area_place(location_id))


def users_in_world() -> list[int]:
    return presence.present_at(WORLD)


def announce(changes: list[presence.Change]) -> None:
    """Tell each area who came or went (the announcer of ``area:`` places, see WorldConfig.ready).

    Runs inside a unit of database work: one query for the characters of the whole batch.
    """
    users = {change.user_id for change in changes}
    characters = {
        c.user_id: c for c in Character.objects.filter(user_id__in=users, selected=True).select_related("faction")
    }
    for change in changes:
        character = characters.get(change.user_id)
        if character is None:
            continue
        group = area_group(int(change.place.split(":", 1)[1]))
        if change.status == presence.ONLINE:
            broadcast_on_commit(group, events.player_joined_area(character), skip_user=change.user_id)
        else:
            broadcast_on_commit(group, events.player_left_area(character.pk))
