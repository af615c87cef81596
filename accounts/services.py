"""Account writes: registration, login with throttling, tokens, WebSocket tickets, profiles."""

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import age, hooks, locks, recovery
from accounts.models import AccountDevice, GuestDevice, User, username_key
from accounts.selectors import user_active_get
from gameplatform.chat import speech
from gameplatform.core.cache import cache
from gameplatform.core.errors import ApplicationError, Conflict
from gameplatform.data.ratelimit import Budget
from gameplatform.http import serializers
from gameplatform.sockets import lockout, usercache
from gameplatform.sockets.closecodes import CLOSE_UNAUTHENTICATED

TICKET_PREFIX = "wsticket:"


def tokens_for(user: User) -> dict:
    """A new token pair: every way in ends here, so a locked account gets none (``accounts.locks``)."""
    locks.lock_check(user)
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


# Usernames, after NFKC: ASCII letters, digits and ``_ . -`` only. One script (Latin), so
# no name can pass for another with a Cyrillic or Greek look-alike letter (``uѕer_1``);
# no ``@`` (an identifier with ``@`` is looked up as an email at login).
USERNAME_ALLOWED = re.compile(r"[A-Za-z0-9_.-]+\Z")
USERNAME_MAX_LENGTH = 150
USERNAME_TAKEN = "A user with that username already exists."


def username_normalize(username: str) -> tuple[str, list[str]]:
    """The name as stored (NFKC, so fullwidth ``ＵＳＥＲ_1`` is ``USER_1``) and its errors."""
    name = unicodedata.normalize("NFKC", username)
    if not name:
        return name, ["This field may not be blank."]
    if len(name) > USERNAME_MAX_LENGTH:
        return name, [f"Ensure this field has no more than {USERNAME_MAX_LENGTH} characters."]
    if not USERNAME_ALLOWED.match(name):
        return name, ["Use only ASCII letters, digits and the characters _ . - in a username."]
    return name, []


# Registrations per client address: REGISTRATIONS_PER_ADDRESS in any
# REGISTRATION_WINDOW_SECONDS (settings, read at each attempt).
REGISTRATIONS_PER_ADDRESS = Budget(
    "register:ip",
    limit=10,
    window=3600,
    what="registrations",
    limit_setting="REGISTRATIONS_PER_ADDRESS",
    window_setting="REGISTRATION_WINDOW_SECONDS",
)


@transaction.atomic
def user_register(
    *,
    username: str,
    email: str,
    password: str,
    address: str | None = None,
    device_id: str | None = None,
    birth_date: date | None = None,
) -> User:
    """Create an account. Raises DRF ``ValidationError`` with field errors, or ``RateLimited``
    (429) past ``REGISTRATIONS_PER_ADDRESS`` attempts from ``address`` in the window.
    ``device_id``: the client's device, noted for the account (``device_note``); ``birth_date``:
    declared by the player, the account's age band (``accounts.age``)."""
    if address is not None:
        REGISTRATIONS_PER_ADDRESS.spend(address)
    username = credentials_validate(username=username, email=email, password=password)
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
            if device_id is not None:
                device_note(user=user, device_id=device_id)
    except IntegrityError:
        raise credentials_taken(username=username) from None
    if birth_date is not None:
        user = age.age_declare_at_registration(user=user, birth_date=birth_date)
    return user


EMAIL_TAKEN = "A user with that email already exists."


def credentials_validate(*, username: str, email: str, password: str, user: User | None = None) -> str:
    """The username as stored, or DRF ``ValidationError`` with every field's errors: the name's
    characters, a name or email another account (not ``user``) holds, a weak password."""
    others = User.objects.exclude(pk=user.pk) if user is not None else User.objects.all()
    errors = {}
    username, username_errors = username_normalize(username)
    if not username_errors:
        speech.name_checked(username, field="username")
    if username_errors:
        errors["username"] = username_errors
    elif others.filter(username_key=username_key(username)).exists():
        errors["username"] = [USERNAME_TAKEN]
    if others.filter(email__iexact=email).exists():
        errors["email"] = [EMAIL_TAKEN]
    try:
        password_validation.validate_password(password, User(username=username, email=email))
    except DjangoValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise serializers.ValidationError(errors)
    return username


def credentials_taken(*, username: str) -> serializers.ValidationError:
    """What a concurrent registration that took the name or the address between the checks
    and the write (an ``IntegrityError``) is answered."""
    if User.objects.filter(username_key=username_key(username)).exists():
        return serializers.ValidationError({"username": [USERNAME_TAKEN]})
    return serializers.ValidationError({"email": [EMAIL_TAKEN]})


def device_hash(device_id: str) -> str:
    """What is stored of a device id: it is a credential, so only its SHA-256."""
    return hashlib.sha256(device_id.encode()).hexdigest()


GUEST_NAME_ATTEMPTS = 5


def device_note(*, user: User, device_id: str) -> None:
    """Remember that ``user`` signed in from the device ``device_id`` (its hash only), so that
    the device cannot make a guest while the account is locked (``device_lock_check``).
    Called once the credentials are proven, before a lock refuses the tokens: a suspended
    player's refused login on a new browser marks that browser too."""
    AccountDevice.objects.update_or_create(device_hash=device_hash(device_id), user=user)


def device_lock_check(digest: str) -> None:
    """403 ``account_suspended`` when an account the device was used by (its guest, or an
    account that signed in from it) is suspended or banned: the refusal that account's login
    gets (its end, the statement, the sanction and an appeal token). Of several, the lock
    that ends last."""
    locked = (
        User.objects.filter(
            models.Q(guest_device__device_hash=digest) | models.Q(devices__device_hash=digest),
            locked_until__gt=timezone.now(),
        )
        .order_by("-locked_until", "pk")
        .first()
    )
    if locked is not None:
        locks.lock_check(locked)


def device_login(*, device_id: str, address: str | None = None) -> tuple[User, bool]:
    """The account of a device, and whether it was made now.

    An unknown device gets a new guest (no password, a generated name), counted in the same
    ``REGISTRATIONS_PER_ADDRESS`` window as registrations (429 past it). A device whose guest
    was linked keeps logging into that account, now a full one. Of two first calls with the
    same device at once, the unique device hash lets one insert win; the other reads its user.
    A device a suspended or banned account used makes no guest and logs nobody in: 403
    ``account_suspended`` (``device_lock_check``).
    """
    digest = device_hash(device_id)
    device_lock_check(digest)

    def guest_make(attempt: int) -> User:
        user = User(username=f"guest-{secrets.token_hex(4)}", is_guest=True)
        user.set_unusable_password()
        user.save()
        GuestDevice.objects.create(device_hash=digest, user=user)
        # Spent by the call that made the guest only (the racers that lost made none);
        # refused, the guest is rolled back.
        if address is not None:
            REGISTRATIONS_PER_ADDRESS.spend(address)
        return user

    # A clash: the device was taken by a concurrent first call, or the drawn name exists.
    found = user_found_or_made(
        find=lambda: _device_user(digest),
        make=guest_make,
        attempts=GUEST_NAME_ATTEMPTS,
        disabled="This device's account is disabled.",
    )
    if found is None:
        raise ApplicationError("Could not name a new guest; try again.", code="guest_name_unavailable", status_code=503)
    return found


def user_found_or_made(
    *, find: Callable[[], User | None], make: Callable[[int], User], attempts: int, disabled: str
) -> tuple[User, bool] | None:
    """The user a sign-in by a key (a device, a provider account) finds or makes, and whether it
    was made now; None when each of the ``attempts`` to make one clashed with another account.

    ``find`` reads the user the key signs in, if any (a disabled one: 401 ``invalid_credentials``,
    saying ``disabled``); else ``make`` (given the attempt's number, from 0) writes a new one with
    its key, in a savepoint. Of two first calls at once, the unique key lets one insert win; the
    other's savepoint rolls back and it reads the winner's user. Any other clash (a name taken)
    tries again.
    """

    def found() -> User | None:
        user = find()
        if user is not None and not user.is_active:
            raise ApplicationError(disabled, code="invalid_credentials", status_code=401)
        return user

    user = found()
    if user is not None:
        return user, False
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                return make(attempt), True
        except IntegrityError:
            user = found()
            if user is not None:
                return user, False
    return None


def _device_user(digest: str) -> User | None:
    device = GuestDevice.objects.filter(device_hash=digest).select_related("user").first()
    return device.user if device is not None else None


@transaction.atomic
def guest_link(*, user: User, username: str, email: str, password: str) -> User:
    """A guest becomes a full account: the same row (so the same id and everything it owns)
    gets a username, an email and a password, validated as a registration's. 409
    ``already_linked`` for an account that is not a guest (or was linked meanwhile)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_guest:
        raise Conflict("This account already has a username and password.", code="already_linked")
    user.username = credentials_validate(username=username, email=email, password=password, user=user)
    user.email = email
    user.set_password(password)
    user.is_guest = False
    try:
        with transaction.atomic():
            user.save(update_fields=["username", "email", "password", "is_guest"])
    except IntegrityError:
        raise credentials_taken(username=user.username) from None
    return user


def username_from_hint(hint: str) -> str:
    """A username made of the allowed characters of ``hint`` (a provider's nickname or name):
    ``José Núñez`` is ``Jose_Nunez``; nothing usable is ``player``."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", hint))
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", text.encode("ascii", "ignore").decode()).strip("_.-")
    return name[:30] or "player"


EXTERNAL_FALLBACK_NAME = "player"


def _passes_filter(name: str) -> bool:
    try:
        speech.name_checked(name)
    except speech.TextRefused:
        return False
    return True


def user_create_external(*, username_hint: str, display_name: str = "", email: str = "", suffix: bool = False) -> User:
    """A full account that signs in through an identity provider: no password, a username from
    ``username_hint`` (with a random suffix when ``suffix``), the email as given: one the provider
    says it verified (the only kind a provider's profile carries), so ``email_verified``. Runs in the
    caller's transaction; a name or email another account holds raises ``IntegrityError``.

    The provider's names pass the word filter as a player's own would, but the player did not
    type them and cannot be asked again: a hint holding a listed word gives way to the generated
    name ``player-<random>``, and such a display name is left blank (the username shows instead)."""
    username = username_from_hint(username_hint)
    if not _passes_filter(username):
        username, suffix = EXTERNAL_FALLBACK_NAME, True
    if suffix:
        username = f"{username}-{secrets.token_hex(3)}"
    if display_name and not _passes_filter(display_name):
        display_name = ""
    user = User(username=username, email=email, display_name=display_name, email_verified=bool(email))
    user.set_unusable_password()
    user.save()
    return user


# Failed logins, counted per account and per address: LOGIN_FAILURE_LIMIT in any
# LOGIN_FAILURE_WINDOW_SECONDS each (settings, read at each attempt).
def _login_failures(name: str) -> Budget:
    return Budget(
        name,
        limit=5,
        window=300,
        what="failed login attempts",
        limit_setting="LOGIN_FAILURE_LIMIT",
        window_setting="LOGIN_FAILURE_WINDOW_SECONDS",
    )


LOGIN_FAILURES_PER_ACCOUNT = _login_failures("login:account")
LOGIN_FAILURES_PER_ADDRESS = _login_failures("login:ip")


def login_account(identifier: str) -> User | None:
    """The account a typed username or email names, in any case or width, or None."""
    if "\x00" in identifier:  # no account has it; PostgreSQL refuses NUL in a query (the admin's raw POST)
        return None
    if "@" in identifier:
        by_email = User.objects.filter(email__iexact=identifier.strip()).first()
        if by_email is not None:
            return by_email
    try:  # a username (older ones may hold "@")
        return User.objects.get_by_natural_key(identifier)
    except User.DoesNotExist:
        return None


def login_budgets(identifier: str, address: str, account: User | None) -> tuple[tuple[Budget, str], ...]:
    """The failure windows an attempt spends: the account's, whatever name or email was typed
    (the id when the identifier names an account, else the normalised text, so unknown names
    are limited alike and the lock does not tell which names exist), and the address's."""
    ident = f"user:{account.pk}" if account is not None else f"name:{username_key(identifier.strip())}"
    return (LOGIN_FAILURES_PER_ACCOUNT, ident), (LOGIN_FAILURES_PER_ADDRESS, address)


def login_attempt_reserve(budgets) -> None:
    """``RateLimited`` (429) if any window is used up; else the attempt takes its unit of the
    account's window now, before the password is checked.

    The account's window is spent in one atomic step of the shared store: a check here and a
    hit after a failed (slow) password check would let any number of concurrent guesses pass
    the check before the first of them failed. A success clears the account's window
    (``login_succeeded``). The address's window is only checked here and spent on a failure
    (``login_failed``): the store cannot give a unit back, and successful logins from one
    address (users behind one NAT) must not fill it.
    """
    (account_budget, account_ident), (address_budget, address_ident) = budgets
    address_budget.check(address_ident)
    account_budget.spend(account_ident)


def login_failed(budgets) -> None:
    """The account's unit was spent by ``login_attempt_reserve``; the address's is spent now."""
    address_budget, address_ident = budgets[1]
    address_budget.hit(address_ident)


def login_succeeded(budgets) -> None:
    budget, ident = budgets[0]
    budget.reset(ident)


def user_login(*, identifier: str, password: str, address: str, device_id: str | None = None) -> dict:
    """Tokens for a username-or-email and password (``device_id``: the client's device, noted
    for the account once the password is right, even when a lock then refuses the tokens).

    Failed attempts are counted per account (whatever identifier named it) and per
    address in the shared window; past ``LOGIN_FAILURE_LIMIT`` failures in the window
    every attempt is refused with 429 until the window slides, right password or not.
    Usernames match in any case and width (``User_1`` logs in ``user_1``).
    """
    user = credentials_checked(identifier=identifier, password=password, address=address)
    if device_id is not None:
        device_note(user=user, device_id=device_id)
    return tokens_for(user)


@transaction.atomic
def token_refresh(*, refresh: str) -> dict:
    """Rotate: a new pair; the old refresh token is blacklisted and dies."""
    try:
        old = RefreshToken(refresh)
        user = user_active_get(user_id=old.get("user_id"))
        if user is None:
            raise ApplicationError("Token is invalid or expired.", code="token_not_valid", status_code=401)
        # The blacklist row is unique per token: of two concurrent refreshes with
        # the same token, only the one that created it gets a new pair.
        _, created = old.blacklist()
        if not created:
            raise TokenError("already rotated")
    except TokenError:
        raise ApplicationError("Token is invalid or expired.", code="token_not_valid", status_code=401) from None
    return tokens_for(user)


def token_logout(*, refresh: str, user: User) -> None:
    try:
        token = RefreshToken(refresh)
    except TokenError:
        raise ApplicationError("Token is invalid or expired.", code="token_not_valid", status_code=401) from None
    if str(token["user_id"]) != str(user.pk):
        raise ApplicationError("That refresh token is not yours.", code="token_not_valid", status_code=400)
    token.blacklist()


def ws_ticket_issue(*, user: User) -> dict:
    ticket = secrets.token_urlsafe(32)
    ttl = settings.WS_TICKET_TTL_SECONDS
    cache.set(TICKET_PREFIX + ticket, user.pk, timeout=ttl)
    return {"ticket": ticket, "expires_in": ttl}


def ws_ticket_redeem(*, ticket: str) -> User | None:
    """The ticket's user, once: whoever deletes the key first wins, on any process."""
    key = TICKET_PREFIX + ticket[:128]
    user_id = cache.get(key)
    if user_id is None or not cache.delete(key):
        return None
    return user_active_get(user_id=user_id)


@transaction.atomic
def user_update_profile(
    *, user: User, display_name: str | None = None, email: str | None = None, link_base: str | None = None
) -> User:
    """A new email is not verified: a verification link is mailed to it (links start with ``link_base``)."""
    fields = []
    if display_name is not None:
        user.display_name = speech.name_checked(display_name, field="display_name")
        fields.append("display_name")
    if email is not None and email.lower() != user.email.lower():
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise serializers.ValidationError({"email": [EMAIL_TAKEN]})
        user.email, user.email_verified = email, False
        fields += ["email", "email_verified"]
        if link_base is not None:
            recovery.email_verification_send(user=user, link_base=link_base)
    if fields:
        user.save(update_fields=fields)
    return user


@transaction.atomic
def user_set_premium(*, user: User, is_premium: bool, days: int | None = None) -> User:
    """An operator's grant or revocation. A grant with ``days`` extends premium as a purchase
    does (``user_premium_extend``); without, premium has no end. A revocation ends it now."""
    if is_premium and days:
        fresh = user_premium_extend(user_id=user.pk, days=days)
        user.is_premium, user.premium_until = fresh.is_premium, fresh.premium_until
        return user
    user.is_premium, user.premium_until = is_premium, None
    user.save(update_fields=["is_premium", "premium_until"])
    return user


@transaction.atomic
def user_premium_extend(*, user_id: int, days: int) -> User:
    """Add ``days`` of premium from the later of now and the current end (a renewal before the
    end loses nothing). Premium without an end stays without one. The row lock orders this with
    the expiry timer, whose conditional update re-reads the end after the lock is released."""
    user = User.objects.select_for_update().get(pk=user_id)
    if user.is_premium and user.premium_until is None:
        return user
    now = timezone.now()
    start = max(now, user.premium_until) if user.is_premium and user.premium_until else now
    user.is_premium, user.premium_until = True, start + timedelta(days=days)
    user.save(update_fields=["is_premium", "premium_until"])
    return user


@transaction.atomic
def user_premium_shorten(*, user_id: int, days: int) -> User:
    """Take ``days`` back (a refunded purchase): premium ends now if they were all that was left.
    Premium without an end (an operator's grant) is left alone."""
    user = User.objects.select_for_update().get(pk=user_id)
    if not user.is_premium or user.premium_until is None:
        return user
    until = user.premium_until - timedelta(days=days)
    if until <= timezone.now():
        user.is_premium, user.premium_until = False, None
    else:
        user.premium_until = until
    user.save(update_fields=["is_premium", "premium_until"])
    return user


@transaction.atomic
def user_premium_follow(*, user_id: int, until: datetime | None) -> User:
    """Premium as an entitlement says (payments' ``premium``): held until ``until``, or not held
    when it is None or past. Premium without an end (an operator's grant) is left alone."""
    user = User.objects.select_for_update().get(pk=user_id)
    if user.is_premium and user.premium_until is None:
        return user
    held = until is not None and until > timezone.now()
    user.is_premium, user.premium_until = held, until if held else None
    user.save(update_fields=["is_premium", "premium_until"])
    return user


def users_expire_premium() -> int:
    """End every premium whose time is up: a conditional update of the accounts found due, so any
    number of runners may run it (a renewal committed first moved the end, and the update's
    condition sees that); each found is dropped from the sockets' copies of user rows."""
    due = User.objects.filter(is_premium=True, premium_until__lte=timezone.now())
    ended = list(due.values_list("pk", flat=True))
    if not ended:
        return 0
    changed = User.objects.filter(pk__in=ended, is_premium=True, premium_until__lte=timezone.now()).update(
        is_premium=False, premium_until=None
    )
    for user_id in ended:  # the sockets' copies of their rows (gameplatform.sockets.usercache)
        usercache.forget_on_commit(user_id)
    return changed


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete a user and what cascades with them. The apps whose rows go with the user react first
    (``hooks.user_deleting``), under the user's row lock: a cascade runs none of their rules.
    Every deletion of a user goes through here (the admin's included); a raw ``delete()`` skips it."""
    User.objects.select_for_update().filter(pk=user.pk).get()
    hooks.user_deleting(user)
    user_id = user.pk
    user.delete()
    # Its tokens already fail (no row to read them against, once every process dropped its copy of
    # the row); its open sockets end with 4401 on every process once the deletion commits.
    usercache.forget_on_commit(user_id)
    lockout.close_sockets_on_commit(
        user_id, code="account_deleted", message="This account was deleted.", close_code=CLOSE_UNAUTHENTICATED
    )
    # The one place an ``account.deleted`` event (outbound webhooks) is to be sent from.
    hooks.user_deleted(user_id)


def delete_grace() -> timedelta:
    return timedelta(days=settings.ACCOUNT_DELETE_GRACE_DAYS)


@transaction.atomic
def user_delete_request(*, user: User, password: str | None) -> datetime:
    """The player asks for their account's deletion: it is deleted ``ACCOUNT_DELETE_GRACE_DAYS``
    from now (by the ``accounts.delete_due`` timer), or at once with a grace of 0. An account with
    a usable password proves it is theirs with it (400 ``invalid_password``); one without (a
    guest, a provider-only account) needs nothing beyond its access token. Asking again while a
    deletion is pending changes nothing and answers the time already set."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.has_usable_password() and not (password and locked.check_password(password)):
        raise ApplicationError("The password is not right.", code="invalid_password", status_code=400)
    now = timezone.now()
    if locked.delete_at is not None:
        return locked.delete_at
    grace = delete_grace()
    if not grace:
        user_delete(user=locked)
        return now
    locked.delete_at = now + grace
    locked.save(update_fields=["delete_at"])
    return locked.delete_at


def credentials_checked(*, identifier: str, password: str, address: str) -> User:
    """The account a username (or email) and password name, counted against the login's failure
    budgets (429 past them); 401 ``invalid_credentials`` when they name none."""
    account = login_account(identifier)
    budgets = login_budgets(identifier, address, account)
    login_attempt_reserve(budgets)
    user = authenticate(username=account.username if account is not None else identifier, password=password)
    if user is None:
        login_failed(budgets)
        raise ApplicationError("Wrong username/email or password.", code="invalid_credentials", status_code=401)
    login_succeeded(budgets)
    return user


def user_delete_request_signed_in(*, identifier: str, password: str, address: str) -> datetime:
    """The web page's deletion (``/account/delete/``, for a player whose app is gone): a username
    or email and the password, counted against the login's failure budgets (429 past them),
    401 ``invalid_credentials`` when wrong; then ``user_delete_request``."""
    user = credentials_checked(identifier=identifier, password=password, address=address)
    return user_delete_request(user=user, password=password)


def user_delete_cancel(*, user: User) -> None:
    """Keep the account: only while its deletion is ahead (409 ``not_pending`` otherwise). A
    conditional update, so a cancel and the timer's deletion cannot both win."""
    if not User.objects.filter(pk=user.pk, delete_at__gt=timezone.now()).update(delete_at=None):
        raise Conflict("No deletion of this account is pending.", code="not_pending")
    usercache.forget_on_commit(user.pk)


def users_delete_due() -> int:
    """Delete every account whose grace has passed, each in its own transaction (one failure
    leaves the others done). A row another runner holds is skipped (it is being deleted); a
    cancel that committed first cleared ``delete_at``, which the locked read sees."""
    deleted = 0
    due = list(User.objects.filter(delete_at__lte=timezone.now()).values_list("pk", flat=True)[:100])
    for user_id in due:
        with transaction.atomic():
            user = (
                User.objects.select_for_update(skip_locked=True)
                .filter(pk=user_id, delete_at__lte=timezone.now())
                .first()
            )
            if user is not None:
                user_delete(user=user)
                deleted += 1
    return deleted
