"""Identity writes: sign in (the first time makes the user), link another way in, unlink."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_has_guest_device
from accounts.services import user_create_external, user_found_or_made
from gameplatform.core.errors import ApplicationError, Conflict, NotFound
from identities import selectors
from identities.flows import Profile
from identities.models import Identity, SpentIdToken
from identities.providers import invalid_token

NEW_USER_ATTEMPTS = 5


def _token_spend(profile: Profile) -> None:
    """Spend the id token a client posted (``profile.spends``), or 400 ``invalid_token`` when
    it was spent: a sign-in or a link with it committed, on any server process. In the
    caller's transaction, so a sign-in that fails spends nothing; of two at once, the second
    insert waits for the first's transaction and is refused if it committed."""
    if profile.spends is None:
        return
    try:
        with transaction.atomic():
            SpentIdToken.objects.create(key=profile.spends.key, expires_at=profile.spends.expires_at)
    except IntegrityError:
        raise invalid_token("This id token was already used; get a new one from the provider.") from None


FORGET_BATCH = 500  # expired spent tokens deleted per statement, a pass going on until none is left


def spent_id_tokens_forget() -> int:
    """Forget spent id tokens that expired (they are refused anyway); any runner may. In batches:
    after timers were off for a while, no one statement deletes without a bound."""
    deleted = 0
    while True:
        keys = list(
            SpentIdToken.objects.filter(expires_at__lt=timezone.now()).values_list("pk", flat=True)[:FORGET_BATCH]
        )
        if not keys:
            return deleted
        deleted += SpentIdToken.objects.filter(pk__in=keys).delete()[0]


@transaction.atomic
def identity_sign_in(*, profile: Profile) -> tuple[User, bool]:
    """The user a provider account signs in, and whether it was made now.

    A posted id token is spent first (``_token_spend``). A provider account seen for the
    first time gets a new user (no password) with this identity. Of two first sign-ins at
    once, the unique ``(provider, subject)`` lets one insert win; the other's savepoint (its
    new user with it) rolls back and it reads the winner's user. An account already linked
    is never merged with another by its email.
    """
    _token_spend(profile)

    def user_make(attempt: int) -> User:
        user = user_create_external(
            username_hint=profile.username_hint or profile.provider,
            display_name=profile.name[:64],
            # After a clash, maybe the email was the taken part: go on without it.
            email=profile.email if attempt == 0 else "",
            suffix=attempt > 0,
        )
        _identity_create(user=user, profile=profile)
        return user

    found = user_found_or_made(
        find=lambda: _identity_user(profile),
        make=user_make,
        attempts=NEW_USER_ATTEMPTS,
        disabled="This account is disabled.",
    )
    if found is None:
        raise ApplicationError(
            "Could not name the new account; try again.", code="username_unavailable", status_code=503
        )
    return found


def _identity_create(*, user: User, profile: Profile) -> Identity:
    return Identity.objects.create(user=user, provider=profile.provider, subject=profile.subject, email=profile.email)


def _identity_user(profile: Profile) -> User | None:
    identity = selectors.identity_get(provider=profile.provider, subject=profile.subject)
    return identity.user if identity is not None else None


@transaction.atomic
def identity_link(*, user: User, profile: Profile) -> Identity:
    """Add a provider account to ``user``'s ways in (a guest too: it then signs in from anywhere),
    spending the posted id token as a sign-in does.

    409 ``identity_in_use`` when that provider account signs in another user, or when
    ``user`` already has another account of the same provider. Linking the same one again
    changes nothing.
    """
    User.objects.select_for_update().filter(pk=user.pk).get()
    _token_spend(profile)
    existing = selectors.identity_get(provider=profile.provider, subject=profile.subject)
    if existing is not None:
        if existing.user_id == user.pk:
            return existing
        raise Conflict("This provider account already signs in another user.", code="identity_in_use")
    if Identity.objects.filter(user=user, provider=profile.provider).exists():
        raise Conflict("You already linked another account of this provider; unlink it first.", code="identity_in_use")
    try:
        with transaction.atomic():
            return _identity_create(user=user, profile=profile)
    except IntegrityError:  # the same provider account, linked or signed in elsewhere meanwhile
        raise Conflict("This provider account already signs in another user.", code="identity_in_use") from None


@transaction.atomic
def identity_unlink(*, user: User, provider: str) -> None:
    """Remove ``user``'s identity at ``provider``; 409 ``last_identity`` when nothing else would
    let them in (no usable password, no other identity, no guest device).

    The user's row is locked first, so two unlinks at once cannot both leave the account
    with no way in.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    identity = Identity.objects.filter(user=user, provider=provider).first()
    if identity is None:
        raise NotFound("You have no identity at this provider.", code="not_found")
    others = Identity.objects.filter(user=user).exclude(pk=identity.pk).exists()
    if not (others or user.has_usable_password() or user_has_guest_device(user=user)):
        raise Conflict("This is your only way in: add a password or another provider first.", code="last_identity")
    identity.delete()
