"""WebSocket authentication: who is behind a socket, and until when.

Credentials are looked for in the contract's order: an ``Authorization:
Bearer`` header, then ``?ticket=`` (one-time, from ``POST /api/auth/ws-ticket/``),
then ``?token=``. The first one present decides; a bad one leaves the socket
anonymous (the base consumer then closes it with 4401). ``scope["auth_expires_at"]``
carries the access token's expiry so the consumer can close with 4401 when it passes.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from gameplatform import db

logger = logging.getLogger(__name__)


def _credentials(scope) -> tuple[str, str] | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            kind, _, token = value.decode("latin1").partition(" ")
            if kind.lower() == "bearer" and token.strip():
                return "token", token.strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    if query.get("ticket"):
        return "ticket", query["ticket"][0]
    if query.get("token"):
        return "token", query["token"][0]
    return None


UserLookup = Callable[[object], "AbstractBaseUser | None"]


@dataclass(frozen=True)
class UserResolvers:
    """How a socket's credentials become a user: the accounts app registers these
    (``AccountsConfig.ready``), so the kit knows no app."""

    by_id: UserLookup  # an active user by id (from an access token), or None
    by_ticket: UserLookup  # redeems a one-time WebSocket ticket: its active user once, else None


_resolvers: UserResolvers | None = None


def set_user_resolvers(resolvers: UserResolvers) -> None:
    global _resolvers
    _resolvers = resolvers


def _registered() -> UserResolvers:
    if _resolvers is None:
        raise ImproperlyConfigured("No app registered WebSocket user resolvers (wsauth.set_user_resolvers).")
    return _resolvers


def _user_for_token(raw: str):
    try:
        token = AccessToken(raw)
    except TokenError:
        return None, None
    return _registered().by_id(token.get("user_id")), token.get("exp")


def _user_for_ticket(raw: str):
    return _registered().by_ticket(raw), None


def authenticate(scope):
    found = _credentials(scope)
    if found is None:
        return AnonymousUser(), None
    kind, raw = found
    user, expires_at = _user_for_token(raw) if kind == "token" else _user_for_ticket(raw)
    if user is None:
        logger.info("websocket credentials refused", extra={"credential": kind, "path": scope.get("path")})
        return AnonymousUser(), None
    return user, expires_at


class JWTAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        try:
            scope["user"], scope["auth_expires_at"] = await db.run(authenticate, scope)
        except db.Overloaded as exc:
            # The consumer accepts, sends the error frame and closes (gameplatform.consumers).
            scope["user"], scope["auth_expires_at"], scope["overloaded"] = AnonymousUser(), None, exc
        return await super().__call__(scope, receive, send)


class OriginCheck(OriginValidator):
    """``AllowedHostsOriginValidator`` that lets clients without an Origin header in.

    Browsers always send Origin, so a foreign page is still refused; native game
    clients and scripts send none and authenticate with their token as usual.
    """

    def __init__(self, application):
        allowed = settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
        super().__init__(application, allowed)

    def valid_origin(self, parsed_origin):
        if parsed_origin is None:
            return True
        return self.validate_origin(parsed_origin)
