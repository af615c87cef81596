from accounts.services import users_expire_premium
from gameplatform.operations.timers import periodic


@periodic("accounts.expire_premium", every=5)
def expire_premium() -> int:
    """Premium bought for a period (or granted for days) ends within seconds of its end."""
    return users_expire_premium()
