"""Locked accounts: a suspension (until a time) or a ban (LOCKED_FOREVER) shuts every way in.

``User.locked_until`` is the one fact, written by ``account_lock`` (the safety app's sanctions
call it, with the end of the account's longest lock still running, or None when none is left).
It is read with the user's row, which every way in reads anyway:

- login, refresh, a guest's device login, provider sign-in: ``tokens_for`` refuses;
- every REST request with a token issued before: ``accounts.authentication``;
- a socket connecting: the kit asks ``gameplatform.sockets.lockout.account_refusal`` (registered here),
  on the row its handshake read (a process's copy of it, ``gameplatform.sockets.usercache``,
  which ``account_lock`` drops on every process, a lock or its lift alike);
- the sockets already open, on every process: ``account_lock`` signals the kit's gate
  (``gameplatform.sockets.lockout``), which closes them 4403 with ``account_suspended``.

The refusal is 403 ``account_suspended`` with ``until`` (null for a ban) and what the
``lock_details`` hook adds (the safety app: the sanction, its statement, an appeal token).
"""

from datetime import UTC, datetime

from django.utils import timezone

from accounts import hooks
from accounts.models import User
from gameplatform.core.errors import Forbidden
from gameplatform.sockets import lockout, usercache

# A ban's end: PostgreSQL and SQLite both keep the year 9999.
LOCKED_FOREVER = datetime(9999, 12, 31, tzinfo=UTC)


class AccountSuspended(Forbidden):
    def __init__(self, *, until: datetime, details: dict) -> None:
        banned = until >= LOCKED_FOREVER
        super().__init__(
            "This account is banned." if banned else "This account is suspended until the time given.",
            code="account_suspended",
            extra={"until": None if banned else until.isoformat().replace("+00:00", "Z"), **details},
        )


def is_locked(user: User, now: datetime | None = None) -> bool:
    until = user.locked_until
    return until is not None and until > (now or timezone.now())


def lock_refusal(user: User) -> AccountSuspended | None:
    """The refusal a locked account gets (with the safety app's details), None for any other."""
    if not is_locked(user):
        return None
    details = hooks.lock_details.one()(user) if hooks.lock_details.reactions else {}
    return AccountSuspended(until=user.locked_until, details=details)


def lock_check(user: User) -> None:
    refusal = lock_refusal(user)
    if refusal is not None:
        raise refusal


def account_lock(*, user_id: int, until: datetime | None) -> None:
    """Lock the account until ``until`` (None: unlock). A lock closes the account's open sockets
    on every process once the transaction commits; tokens already issued stop working at once."""
    User.objects.filter(pk=user_id).update(locked_until=until)
    usercache.forget_on_commit(user_id)  # every process's copy of the row, for sockets' handshakes
    if until is not None and until > timezone.now():
        lockout.close_sockets_on_commit(user_id, code="account_suspended", message="This account is suspended.")
