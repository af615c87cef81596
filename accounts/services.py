"""Account writes: registration, login with throttling, tokens, WebSocket tickets, profiles."""

import secrets

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import serializers
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from gameplatform import ratelimit
from gameplatform.errors import ApplicationError, RateLimited

TICKET_PREFIX = "wsticket:"


def tokens_for(user: User) -> dict:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


@transaction.atomic
def user_register(*, username: str, email: str, password: str) -> User:
    """Create an account. Raises DRF ``ValidationError`` with field errors."""
    errors = {}
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = ["A user with that username already exists."]
    if User.objects.filter(email__iexact=email).exists():
        errors["email"] = ["A user with that email already exists."]
    try:
        password_validation.validate_password(password, User(username=username, email=email))
    except DjangoValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise serializers.ValidationError(errors)
    try:
        with transaction.atomic():
            return User.objects.create_user(username=username, email=email, password=password)
    except IntegrityError:
        # A concurrent registration took the name or the address between the checks and the insert.
        if User.objects.filter(username__iexact=username).exists():
            raise serializers.ValidationError({"username": ["A user with that username already exists."]}) from None
        raise serializers.ValidationError({"email": ["A user with that email already exists."]}) from None


def _login_keys(identifier: str, address: str) -> tuple[str, str]:
    return f"login:account:{identifier.strip().lower()}", f"login:ip:{address}"


def user_login(*, identifier: str, password: str, address: str) -> dict:
    """Tokens for a username-or-email and password.

    Failed attempts are counted per account and per address in the shared
    window; past ``LOGIN_FAILURE_LIMIT`` failures in the window every attempt is
    refused with 429 until the window slides, right password or not.
    """
    limit, window = settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW_SECONDS
    keys = _login_keys(identifier, address)
    for key in keys:
        decision = ratelimit.peek(key, limit=limit, window=window)
        if not decision.allowed:
            raise RateLimited(decision.retry_after, "Too many failed login attempts. Try again later.")
    user = _authenticate(identifier, password)
    if user is None:
        for key in keys:
            ratelimit.hit(key, limit=limit, window=window)
        raise ApplicationError("invalid_credentials", "Wrong username/email or password.", status_code=401)
    ratelimit.reset(keys[0])
    return tokens_for(user)


def _authenticate(identifier: str, password: str) -> User | None:
    username = identifier
    if "@" in identifier:
        match = User.objects.filter(email__iexact=identifier).values_list("username", flat=True).first()
        username = match or identifier
    return authenticate(username=username, password=password)


@transaction.atomic
def token_refresh(*, refresh: str) -> dict:
    """Rotate: a new pair; the old refresh token is blacklisted and dies."""
    try:
        old = RefreshToken(refresh)
        user = User.objects.filter(pk=old["user_id"], is_active=True).first()
        if user is None:
            raise ApplicationError("token_not_valid", "Token is invalid or expired.", status_code=401)
        # The blacklist row is unique per token: of two concurrent refreshes with
        # the same token, only the one that created it gets a new pair.
        _, created = old.blacklist()
        if not created:
            raise TokenError("already rotated")
    except TokenError:
        raise ApplicationError("token_not_valid", "Token is invalid or expired.", status_code=401) from None
    return tokens_for(user)


def token_logout(*, refresh: str, user: User) -> None:
    try:
        token = RefreshToken(refresh)
    except TokenError:
        raise ApplicationError("token_not_valid", "Token is invalid or expired.", status_code=401) from None
    if str(token["user_id"]) != str(user.pk):
        raise ApplicationError("token_not_valid", "That refresh token is not yours.", status_code=400)
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


def user_active_get(*, user_id) -> User | None:
    if user_id is None:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


@transaction.atomic
def user_update_profile(*, user: User, display_name: str | None = None, email: str | None = None) -> User:
    fields = []
    if display_name is not None:
        user.display_name = display_name
        fields.append("display_name")
    if email is not None and email.lower() != user.email.lower():
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise serializers.ValidationError({"email": ["A user with that email already exists."]})
        user.email = email
        fields.append("email")
    if fields:
        user.save(update_fields=fields)
    return user


def user_set_premium(*, user: User, is_premium: bool) -> User:
    user.is_premium = is_premium
    user.save(update_fields=["is_premium"])
    return user
