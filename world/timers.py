"""The world's timers: world events every ``WORLD_EVENT_SECONDS`` (exactly once across runners)
and enemies coming back after their respawn time."""

from gameplatform.operations.timers import periodic
from world.services import enemies_respawn_due, world_event_due


@periodic("world.events", every=1.0)
def fire_due_world_event() -> int:
    return int(world_event_due() is not None)


@periodic("world.respawn", every=1.0)
def respawn_due_enemies() -> int:
    return enemies_respawn_due()
