"""REST authentication: SimpleJWT's bearer tokens, the user loaded by one hand-written statement.

SimpleJWT's ``JWTAuthentication.get_user`` runs ``User.objects.get(pk=...)`` on every request,
and building that query costs more CPU than running it. ``get_user`` is SimpleJWT's
documented extension point: the override reads the user through
``accounts.selectors.user_by_token_get`` (a cursor and ``Model.from_db``, both documented
Django APIs; 107 µs of CPU per read on PostgreSQL against the ORM's 315 µs) and returns it
when SimpleJWT's rules would (an active user under the token's claim). Every other case is
SimpleJWT's own ``get_user``, which decides with its own rules, messages and codes (no claim,
no such user, inactive), as do settings the read does not cover (a ``USER_ID_FIELD`` other
than the key, ``CHECK_REVOKE_TOKEN``).

A route whose one statement reads its own rows by the user (``GET /api/liveops/``) authenticates
with ``JWTAuthentication(read_user=False)``: the token is checked as above but its user is not
read (``request.user`` is SimpleJWT's ``TokenUser``, its ``id`` the claim); the route
reads the user's columns (``selectors.user_columns``) in its own statement and ``admitted`` turns
them into the user, by the same rules, or raises the same refusal. One round trip less.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts import locks
from accounts.models import User
from accounts.selectors import token_current, user_by_token_get, user_from_columns, user_key


def _read_here() -> bool:
    """Whether the settings are those this module's reads cover (else SimpleJWT reads the user)."""
    return api_settings.USER_ID_FIELD == "id" and not api_settings.CHECK_REVOKE_TOKEN


class JWTAuthentication(SimpleJWTAuthentication):
    def __init__(self, *args, read_user: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.read_user = read_user

    def get_user(self, validated_token):
        if _read_here():
            user_id = validated_token.get(api_settings.USER_ID_CLAIM)
            if user_id is not None and user_key(user_id) is None:
                # SimpleJWT's refusal of a user it does not find (its own look-up raises ValueError)
                raise AuthenticationFailed(_("User not found"), code="user_not_found")
            if not self.read_user and user_id is not None:
                return api_settings.TOKEN_USER_CLASS(validated_token)  # the route reads the user: admitted
            user = user_by_token_get(user_id=user_id) if user_id is not None else None
            if user is not None and (user.is_active or not api_settings.CHECK_USER_IS_ACTIVE):
                return _still_holds(user, validated_token)
        # Refused (or a setting the read does not cover): SimpleJWT's answer, its way.
        return _still_holds(super().get_user(validated_token), validated_token)


def _still_holds(user: User, token) -> User:
    """``user`` when the token still holds for them: refused 401 ``token_not_valid`` when their
    sessions ended after it was issued (a reset, a password change: ``accounts.sessions``), 403
    when the account is locked (a token issued before a suspension stops working at once)."""
    if not token_current(user, token.get("iat")):
        raise InvalidToken(_("This session has ended: sign in again."))
    locks.lock_check(user)
    return user


def admitted(claim, columns: dict | None) -> User:
    """The user ``claim`` names (the ``TokenUser`` of ``JWTAuthentication(read_user=False)``),
    made of ``columns`` (``selectors.user_columns()`` read by the route with its own reads; None:
    no such row), when ``JWTAuthentication`` would let them in; else its refusal (401 no such
    user or inactive, 403 a locked account)."""
    user = user_from_columns(columns) if columns is not None else None
    if user is None or not (user.is_active or not api_settings.CHECK_USER_IS_ACTIVE):
        user = SimpleJWTAuthentication().get_user(claim.token)  # SimpleJWT's refusal, its way
    return _still_holds(user, claim.token)


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme: SimpleJWT's own (``jwtAuth``, a bearer token)."""

    target_class = JWTAuthentication
