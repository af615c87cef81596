"""REST authentication: SimpleJWT's bearer tokens, the user loaded by a prepared statement.

SimpleJWT's ``JWTAuthentication.get_user`` builds ``User.objects.get(pk=...)`` on every
request; building that query costs more CPU than running it (see ``gameplatform.rows``).
The rules are SimpleJWT's own, in its order, with its messages and codes.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.selectors import user_by_token_get


class JWTAuthentication(SimpleJWTAuthentication):
    def get_user(self, validated_token):
        if api_settings.USER_ID_FIELD != "id":  # only the primary key has the prepared statement
            return super().get_user(validated_token)
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        user = user_by_token_get(user_id=user_id)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        return user


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme: SimpleJWT's own (``jwtAuth``, a bearer token)."""

    target_class = JWTAuthentication
