"""What an area hears when someone comes or goes: the announcer of the kit's presence at
``area:<location id>`` places (registered in ``WorldConfig.ready``).

Every change reaches it exactly once across processes, including a socket that died with its
process (the presence sweep), so this is also where a character that vanished leaves its trades
and fights.
"""

from gameplatform.broadcast.groups import area_group
from gameplatform.broadcast.realtime import broadcast_on_commit
from gameplatform.sockets import presence
from world import events
from world.combat.services import combats_end_for
from world.models import Character
from world.trading.services import trades_cancel_for


def announce(changes: list[presence.Change]) -> None:
    """Tell each area who came or went (the announcer of ``area:`` places, see WorldConfig.ready).

    Runs inside a unit of database work: one query for the characters of the whole batch.
    A character gone from its area without moving also leaves its trades and fights.
    """
    users = {change.user_id for change in changes}
    characters = {
        c.user_id: c for c in Character.objects.filter(user_id__in=users, selected=True).select_related("faction")
    }
    for change in changes:
        character = characters.get(change.user_id)
        if character is None:
            continue
        location_id = int(change.place.split(":", 1)[1])
        group = area_group(location_id)
        if change.status == presence.ONLINE:
            broadcast_on_commit(group, events.player_joined_area(character), skip_user=change.user_id)
            continue
        # Not to the user's own sockets: after a selection the announcer names the newly selected
        # character, whose socket may be opening in this area (the one that left said so itself).
        broadcast_on_commit(group, events.player_left_area(character.pk), skip_user=change.user_id)
        if character.location_id == location_id:
            # Gone from the area without moving: the socket closed, or died with its process
            # and the sweep noticed. A closing socket has already ended these itself; for a
            # dead one this is the only place they end.
            trades_cancel_for(character_id=character.pk, reason="disconnected")
            combats_end_for(character_id=character.pk, reason="disconnected")
