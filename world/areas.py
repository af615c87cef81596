"""Who is where right now: a view of the kit's presence (``gameplatform.sockets.presence``).

A world socket stands at two places: ``world`` (every world socket) and
``area:<location id>`` (the area its character is in). Moving re-places the socket;
a socket that dies with its process leaves both with the presence sweep, so
``player_left_area`` goes out once, within ``PRESENCE_TTL_SECONDS``.
"""

from gameplatform.sockets import presence

WORLD = "world"
AREA = "area"


def area_place(location_id: int) -> str:
    return f"{AREA}:{int(location_id)}"


def places_for(location_id: int) -> tuple[str, ...]:
    return (WORLD, area_place(location_id))


def users_in_area(location_id: int) -> list[int]:
    return presence.present_at(area_place(location_id))


def population(location_ids: list[int]) -> dict[int, int]:
    """``{location id: users whose world socket stands in that area}``, in one presence read."""
    counts = presence.counts_at([area_place(location_id) for location_id in location_ids])
    return {location_id: counts[area_place(location_id)] for location_id in location_ids}


def users_in_world() -> list[int]:
    return presence.present_at(WORLD)
