"""The mails accounts send (a password reset link, an email verification link) and their tokens.

Tokens are Django's ``PasswordResetTokenGenerator``'s: an HMAC of the account's state (its
password hash, last login and email) and a timestamp, signed with ``SECRET_KEY``, valid
``PASSWORD_RESET_TIMEOUT`` seconds (``PASSWORD_RESET_MINUTES``). Nothing is stored: a reset
link stops working once the password changes (it was used); a verification link once the
address changes. The two kinds have their own salts, so one kind's
token is never the other's.

A mail is built once the change that asks for it has committed, then handed to a delivery
thread: the request answers without waiting for the mail server, so a reset asked for an
address with no account takes as long as one with an account (no timing tells them apart), and
a slow or unreachable mail server holds no request. Delivery failures are logged (the kind and
the account's id, never the link). No token is ever logged.
"""

import logging
from concurrent.futures import Future, ThreadPoolExecutor, wait
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts.models import User
from gameplatform.core.errors import NotFound

logger = logging.getLogger(__name__)

RESET_PATH = "/account/reset/"
VERIFY_PATH = "/account/verify/"


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    """Django's generator under a salt of its own: a verification token is no reset token."""

    key_salt = "gameplatform.accounts.mail.EmailVerificationTokenGenerator"


reset_tokens = PasswordResetTokenGenerator()
verify_tokens = EmailVerificationTokenGenerator()


def mail_configured() -> bool:
    """Whether this server can send mail: an ``EMAIL_HOST``, or ``DEBUG`` (printed instead)."""
    return bool(settings.EMAIL_HOST) or settings.DEBUG


def mail_require() -> None:
    """404 ``not_configured`` on a server that cannot send mail."""
    if not mail_configured():
        raise NotFound("Mail is not configured on this server.", code="not_configured")


def link_base(request) -> str:
    """Where links in mails start: ``PUBLIC_URL``, else the request's own origin."""
    return settings.PUBLIC_URL or f"{request.scheme}://{request.get_host()}"


def uid_encode(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def uid_decode(uid: str) -> int | None:
    """The account id a link's ``uid`` names, None for one no account can have."""
    try:
        value = int(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError):
        return None
    return value if 1 <= value <= 2**63 - 1 else None


def link_user(*, uid: str, token: str, tokens: PasswordResetTokenGenerator) -> User | None:
    """The active account a link names when its token holds (``tokens``: which kind), else None.
    A read only: the services check again under the account's row lock when they act."""
    user_id = uid_decode(uid)
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id is not None else None
    return user if user is not None and tokens.check_token(user, token) else None


def _link(base: str, path: str, user: User, token: str) -> str:
    return f"{base}{path}?{urlencode({'uid': uid_encode(user), 'token': token})}"


def reset_message(*, user: User, base: str) -> EmailMessage:
    minutes = settings.PASSWORD_RESET_MINUTES
    link = _link(base, RESET_PATH, user, reset_tokens.make_token(user))
    body = (
        f"Hello {user.username},\n\n"
        "Someone (we hope you) asked to reset the password of your account. Open this link to choose "
        f"a new one. It works once, for {minutes} minutes:\n\n{link}\n\n"
        "Setting a new password signs every device out of your account.\n"
        "If you did not ask for this, ignore this mail: your password stays as it is.\n"
    )
    return EmailMessage("Reset your password", body, settings.DEFAULT_FROM_EMAIL, [user.email])


def verify_message(*, user: User, base: str) -> EmailMessage:
    minutes = settings.PASSWORD_RESET_MINUTES
    link = _link(base, VERIFY_PATH, user, verify_tokens.make_token(user))
    body = (
        f"Hello {user.username},\n\n"
        f"Open this link to confirm that {user.email} is your address. It works for {minutes} minutes "
        f"(the game can send another):\n\n{link}\n\n"
        "If you did not make an account or change its address, ignore this mail.\n"
    )
    return EmailMessage("Confirm your email address", body, settings.DEFAULT_FROM_EMAIL, [user.email])


# One thread: mails go out in the order asked, none holds a request.
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail")
_pending: set[Future] = set()


def _deliver(build, kind: str, user_id: int) -> None:
    try:
        build().send()
    except Exception as exc:  # the mail server's failure is logged, never raised into a request
        logger.warning("mail not delivered", extra={"kind": kind, "user_id": user_id, "error": type(exc).__name__})


def send_on_commit(*, kind: str, user: User, build) -> None:
    """Once the current transaction commits, build the mail (``build()``: from the account as it
    is in memory, no query) and deliver it on the delivery thread. The request does no more work
    for an address with an account than for one without. Nothing is sent for a change that
    rolled back, nor from a server without mail."""
    if not mail_configured():
        return

    def submit() -> None:
        future = _executor.submit(_deliver, build, kind, user.pk)
        _pending.add(future)
        future.add_done_callback(_pending.discard)

    transaction.on_commit(submit)


def deliveries_wait(timeout: float = 10.0) -> bool:
    """Wait until every mail handed over so far was delivered (or failed); whether all were."""
    done, not_done = wait(list(_pending), timeout=timeout)
    return not not_done
