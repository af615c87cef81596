from gameplatform.operations.timers import periodic
from progression.services import battles_reopen, idempotency_keys_expire


@periodic("progression.reopen_battles", every=15)
def reopen_battles() -> int:
    """Keep one open battle per ``keep_open`` enemy (exactly once: the enemy row is locked)."""
    return battles_reopen()


@periodic("progression.expire_idempotency_keys", every=600)
def expire_idempotency_keys() -> int:
    """Stored purchase answers are replayed for 24 hours."""
    return idempotency_keys_expire()
