"""The mails accounts send (a password reset link, an email verification link) and their tokens.

Tokens are Django's ``PasswordResetTokenGenerator``'s: an HMAC of the account's state (its
password hash, last login and email) and a timestamp, signed with ``SECRET_KEY``, valid
``PASSWORD_RESET_TIMEOUT`` seconds (``PASSWORD_RESET_MINUTES``). Nothing is stored: a reset
link stops working once the password changes (it was used); a verification link once the
address changes. The two kinds have their own salts, so one kind's
token is never the other's.

A mail is a row first (``Mail``, an outbox), written in the transaction of the change that asks
for it; once that commits, a delivery thread builds and sends it: the request answers without
waiting for the mail server, and a slow or unreachable mail server holds no request. A failure is
logged (the kind and the account's id, never the link) and tried again by the ``accounts.mail_due``
timer with backoff until the link would be dead. No token is ever logged or stored.
"""

import logging
import random
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMessage
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts.models import Mail, User
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


# --- the outbox: a row first, sent after commit, again after a failure -------------------

BACKOFF_FIRST_SECONDS = 15.0  # the wait after a first failure, doubling (with jitter) up to
BACKOFF_MOST_SECONDS = 300.0
CLAIM_MARGIN_SECONDS = 5.0
ROUND_SECONDS = 2.0  # how long one timer round sends before it leaves the rest to the next
MAILS_KEPT_DAYS = 30  # a sent or given-up mail's row is kept this long (the admin, the export), then deleted
FORGET_BATCH = 500

BUILDERS = {Mail.Kind.PASSWORD_RESET: reset_message, Mail.Kind.EMAIL_VERIFY: verify_message}

# One thread: a mail asked for in a request goes out right after its commit, none holds a request.
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail")
_pending: set[Future] = set()


def mail_queue(*, kind: str, user: User, base: str) -> Mail | None:
    """Owe ``user`` a mail of ``kind`` to their address, in the caller's transaction; once it
    commits, the delivery thread sends it (the request does not wait for the mail server), and
    the ``accounts.mail_due`` timer sends it again after a failure, with backoff, until its link
    would be dead (``PASSWORD_RESET_MINUTES``). Nothing on a server without mail."""
    if not mail_configured():
        return None
    now = timezone.now()
    # Written as claimed by this process's delivery thread (its first attempt): the timer takes it
    # only if that attempt failed, or never happened (the process died first).
    mail = Mail.objects.create(
        user=user,
        kind=kind,
        address=user.email,
        link_base=base,
        created_at=now,
        attempts=1,
        next_attempt_at=now + _claim_time(),
        give_up_at=now + timedelta(minutes=settings.PASSWORD_RESET_MINUTES),
    )

    def submit() -> None:
        future = _executor.submit(_send_now, mail)
        _pending.add(future)
        future.add_done_callback(_pending.discard)

    transaction.on_commit(submit)
    return mail


def _send_now(mail: Mail) -> None:
    try:
        _attempt(mail)
    finally:
        close_old_connections()  # the delivery thread's connection is its own


def _claim_time() -> timedelta:
    """How long an attempt may take at most: a claimed mail is due again after that."""
    return timedelta(seconds=(settings.EMAIL_TIMEOUT or 30) + CLAIM_MARGIN_SECONDS)


def backoff_seconds(attempts: int) -> float:
    """The wait after the ``attempts``-th failed attempt: doubling, capped, with jitter."""
    ceiling = min(BACKOFF_MOST_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** max(0, attempts - 1))
    return random.uniform(ceiling / 2, ceiling)


def _claim(now: datetime) -> Mail | None:
    """Take the longest-due pending mail no other sender holds, in a transaction of its own: its
    next attempt is pushed past this attempt's longest time, so one runner sends it."""
    with transaction.atomic():
        due = Mail.objects.select_for_update(skip_locked=True, of=("self",))
        due = due.filter(status=Mail.Status.PENDING, next_attempt_at__lte=now)
        mail = due.order_by("next_attempt_at", "pk").select_related("user").first()
        if mail is None:
            return None
        if mail.give_up_at <= now:
            mail.status = Mail.Status.FAILED
            mail.save(update_fields=["status"])
            return None
        mail.attempts += 1
        mail.next_attempt_at = now + _claim_time()
        mail.save(update_fields=["attempts", "next_attempt_at"])
    return mail


def _attempt(mail: Mail) -> None:
    """Send ``mail`` once: built now (its link's token from the account as it is now), with a
    Message-ID of its own, so a mail sent twice (a sender that died after the server took it)
    is one mail to the player's client. Not sent when the account's address is no longer the
    one it was asked for (a new address gets its own verification mail)."""
    user = mail.user
    if user.email != mail.address or not user.is_active:
        _record(mail, sent=False, error="the address changed", final=True)
        return
    message = BUILDERS[mail.kind](user=user, base=mail.link_base)
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("<> ") or "localhost"
    message.extra_headers["Message-ID"] = f"<gameplatform-mail-{mail.pk}@{domain}>"
    try:
        message.send()
    except Exception as exc:  # the mail server's failure: logged (never the link) and tried again
        logger.warning(
            "mail not delivered",
            extra={"kind": mail.kind, "user_id": mail.user_id, "mail_id": mail.pk, "error": type(exc).__name__},
        )
        _record(mail, sent=False, error=type(exc).__name__)
        return
    _record(mail, sent=True)


def _record(mail: Mail, *, sent: bool, error: str = "", final: bool = False) -> None:
    now = timezone.now()
    if sent:
        Mail.objects.filter(pk=mail.pk).update(status=Mail.Status.SENT, sent_at=now, last_error="")
        return
    retry_at = now + timedelta(seconds=backoff_seconds(mail.attempts))
    status = Mail.Status.FAILED if final or retry_at >= mail.give_up_at else Mail.Status.PENDING
    Mail.objects.filter(pk=mail.pk).update(status=status, next_attempt_at=retry_at, last_error=error[:200])


def mails_send_due(*, now: datetime | None = None, budget_seconds: float = ROUND_SECONDS) -> int:
    """Send the mails that are due (a failed attempt's retry, or one whose sender died), each by
    one runner, for at most ``budget_seconds``; how many were attempted."""
    started, attempted = time.monotonic(), 0
    while time.monotonic() - started < budget_seconds:
        mail = _claim(now or timezone.now())
        if mail is None:
            break
        _attempt(mail)
        attempted += 1
    return attempted


def mails_forget(*, now: datetime | None = None) -> int:
    """Delete the rows of mails sent or given up more than ``MAILS_KEPT_DAYS`` ago, a batch at a
    time: the outbox holds what is owed and a month of what was done, not every mail ever. How many."""
    before = (now or timezone.now()) - timedelta(days=MAILS_KEPT_DAYS)
    done = Mail.objects.exclude(status=Mail.Status.PENDING).filter(created_at__lt=before)
    keys = list(done.order_by("pk").values_list("pk", flat=True)[:FORGET_BATCH])
    return Mail.objects.filter(pk__in=keys).delete()[0] if keys else 0


def deliveries_wait(timeout: float = 10.0) -> bool:
    """Wait until every mail handed to the delivery thread so far was attempted; whether all were."""
    done, not_done = wait(list(_pending), timeout=timeout)
    return not not_done
