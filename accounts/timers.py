from accounts.mail import mails_forget, mails_send_due
from accounts.services import users_delete_due, users_expire_premium
from gameplatform.operations.timers import periodic


@periodic("accounts.expire_premium", every=5)
def expire_premium() -> int:
    """Premium bought for a period (or granted for days) ends within seconds of its end."""
    return users_expire_premium()


@periodic("accounts.delete_due", every=60)
def delete_due() -> int:
    """Accounts whose deletion's grace has passed are deleted (``user_delete``, every app's part)."""
    return users_delete_due()


@periodic("accounts.mail_due", every=5)
def mail_due() -> int:
    """Mails whose first attempt failed are sent again, with backoff (``accounts.mail``); the rows
    of mails done a month ago are deleted."""
    return mails_send_due() + mails_forget()
