from gameplatform.timers import periodic
from progression.services import battles_reopen


@periodic("progression.reopen_battles", every=15)
def reopen_battles() -> int:
    """Keep one open battle per ``keep_open`` enemy (exactly once: the enemy row is locked)."""
    return battles_reopen()
