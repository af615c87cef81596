"""Ending an account's sessions at once: a password reset, a password change, a parent's
withdrawn consent.

A session is a refresh token and the access tokens issued from it. Ending them:

- every refresh token the account holds is blacklisted (SimpleJWT's blacklist app): no refresh;
- ``User.sessions_ended_at`` is set to now: an access token issued before that second is refused
  (``selectors.token_current``, read with the user's row, so the check costs no query: 401
  ``token_not_valid`` on REST; a socket's handshake is refused, the socket closes 4401) instead
  of working until it expires; every process drops its copy of the row that sockets' handshakes
  read (``gameplatform.sockets.usercache``) once the end commits;
- the sockets open on every process close (``close_sockets``; a caller that ends them its own way,
  the rescinded consent's 4403, says so).

A token's ``iat`` counts whole seconds: a token issued in the same second as the end, before it,
still works until it expires (at most ``ACCESS_TOKEN_MINUTES``); one issued after it always works.
"""

from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import User
from gameplatform.sockets import lockout, usercache

CLOSE_UNAUTHENTICATED = 4401


def sessions_end(*, user_id: int, close_sockets: bool = True) -> int:
    """End every session of the account now (see the module); how many refresh tokens died. Its
    sockets close 4401 ``session_ended`` once the caller's transaction commits, unless
    ``close_sockets`` is False."""
    now = timezone.now()
    User.objects.filter(pk=user_id).update(sessions_ended_at=now)
    usercache.forget_on_commit(user_id)  # every process's copy of the row, for sockets' handshakes
    live = OutstandingToken.objects.filter(user_id=user_id, expires_at__gt=now, blacklistedtoken__isnull=True)
    rows = [BlacklistedToken(token=token) for token in live]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)  # a concurrent end wrote some
    if close_sockets:
        lockout.close_sockets_on_commit(
            user_id,
            code="session_ended",
            message="This session has ended (the password changed): sign in again.",
            close_code=CLOSE_UNAUTHENTICATED,
        )
    return len(rows)
