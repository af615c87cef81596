"""Account recovery writes: password reset by mail, password change, email verification.

- A reset asked for any address answers the same (202), in about the same time: whether an
  account has that address is never told (the mail goes out in the background, ``accounts.mail``).
- A reset link works once and expires (Django's token generator); using it sets the password,
  proves the address, and kills every refresh token of the account (SimpleJWT's blacklist).
- A password change kills the account's refresh tokens too; the caller gets a fresh pair.
"""

import hashlib

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from accounts import mail
from accounts.models import Mail, User
from accounts.sessions import sessions_end
from gameplatform.core.errors import ApplicationError
from gameplatform.data.ratelimit import Budget
from gameplatform.http import serializers

# Reset requests: per address asked for (its hash: no address is kept in the store) and per client.
RESETS_PER_EMAIL = Budget("password_reset:email", limit=3, window=3600, what="password reset requests")
RESETS_PER_ADDRESS = Budget("password_reset:ip", limit=20, window=3600, what="password reset requests")
# Attempts at a reset link per client: a token cannot be guessed, and no client needs many.
RESET_CONFIRMS_PER_ADDRESS = Budget("password_reset_confirm:ip", limit=30, window=3600, what="password resets")
# Verification mails a player may ask for again, on every process.
VERIFY_RESENDS_PER_USER = Budget("email_verify_resend:user", limit=5, window=3600, what="verification mails")

INVALID_TOKEN = "This link is invalid or has expired; ask for a new one."


def _invalid_token() -> ApplicationError:
    return ApplicationError(INVALID_TOKEN, code="invalid_token", status_code=400)


def _email_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def password_reset_request(*, email: str, address: str, link_base: str) -> None:
    """Mail a reset link to the account with ``email``, if there is one that signs in with a
    password (as Django's own reset form: active, with a usable password). The caller answers the
    same whatever happened. 429 past ``RESETS_PER_ADDRESS`` from the client or ``RESETS_PER_EMAIL``
    for the address, whether it has an account or not."""
    mail.mail_require()
    RESETS_PER_ADDRESS.spend(address)
    RESETS_PER_EMAIL.spend(_email_key(email))
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).exclude(email="").first()
    if user is None or not user.has_usable_password():
        return
    mail.mail_queue(kind=Mail.Kind.PASSWORD_RESET, user=user, base=link_base)


def _password_checked(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise serializers.ValidationError({"new_password": list(exc.messages)}) from None


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str, address: str) -> User:
    """Set the password of the account a reset link names. 400 ``invalid_token`` for a link that
    was used, expired or never issued. Under the account's row lock, so of two uses of one link at
    once the second sees the new password and is refused."""
    mail.mail_require()
    RESET_CONFIRMS_PER_ADDRESS.spend(address)
    user_id = mail.uid_decode(uid)
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None or not mail.reset_tokens.check_token(user, token):
        raise _invalid_token()
    _password_checked(new_password, user)
    user.set_password(new_password)
    user.email_verified = True  # the link reached the inbox: the address is the player's
    user.save(update_fields=["password", "email_verified"])
    sessions_end(user_id=user.pk)  # whoever knew the old password is signed out everywhere
    return user


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> User:
    """A signed-in player's new password: 400 ``invalid_password`` when ``old_password`` is not the
    current one. Every session of the account ends (the caller issues a fresh pair)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(old_password):
        raise ApplicationError("The current password is wrong.", code="invalid_password", status_code=400)
    _password_checked(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    # Every session ends, this one's too (the caller answers with a fresh pair); the sockets stay
    # open until their token expires (the device that changed it keeps playing).
    sessions_end(user_id=user.pk, close_sockets=False)
    return user


@transaction.atomic
def email_verify(*, uid: str, token: str) -> User:
    """Mark the address a verification link was mailed to as proven. 400 ``invalid_token`` for a
    link never issued, expired, or mailed to an address the account no longer has."""
    mail.mail_require()
    user_id = mail.uid_decode(uid)
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None or not user.email or not mail.verify_tokens.check_token(user, token):
        raise _invalid_token()
    if not user.email_verified:
        user.email_verified = True
        user.save(update_fields=["email_verified"])
    return user


def email_verification_send(*, user: User, link_base: str) -> None:
    """Mail a verification link to the account's address (after the current transaction commits):
    nothing for an account without an address, one already proven, or a server without mail."""
    if not user.email or user.email_verified:
        return
    mail.mail_queue(kind=Mail.Kind.EMAIL_VERIFY, user=user, base=link_base)


def email_verification_resend(*, user: User, link_base: str) -> None:
    """Another verification mail: 429 past ``VERIFY_RESENDS_PER_USER`` in the hour, on any process;
    400 ``no_email`` for an account without an address (a guest)."""
    mail.mail_require()
    if not user.email:
        raise ApplicationError("This account has no email address.", code="no_email", status_code=400)
    VERIFY_RESENDS_PER_USER.spend(user.pk)
    email_verification_send(user=user, link_base=link_base)
