"""WebSocket authentication: who is behind a socket, and until when.

Credentials are looked for in the contract's order: an ``Authorization:
Bearer`` header, then ``?ticket=`` (one-time, from ``POST /api/auth/ws-ticket/``),
then ``?token=``. The first one present decides; a bad one leaves the socket
anonymous (the base consumer then closes it with 4401). ``scope["auth_expires_at"]``
carries the access token's expiry so the consumer can close with 4401 when it passes.

An access token is checked on the event loop (its signature and expiry: CPU only); its user's row
comes from this process's short-lived cache when it holds it (``gameplatform.sockets.usercache``:
no database worker, no query), else from the database.
"""

import logging
from urllib.parse import parse_qs, urlparse

from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from gameplatform.core import metrics
from gameplatform.core.errors import Unavailable, is_outage
from gameplatform.core.hooks import Hook
from gameplatform.data import db
from gameplatform.sockets import usercache

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


# How a socket's credentials become a user: the accounts app registers one function on each
# (``AccountsConfig.ready``), so the kit knows no app. Without one, a socket's authentication
# raises ImproperlyConfigured naming the hook.
# An access token's user is read as a row, in the provider's own form (None: no account has that
# id), and kept as it is for a while (``gameplatform.sockets.usercache``); ``token_user`` makes the
# user of a row for a token issued at ``iat``: None when the token does not hold for them (not
# active, or their sessions ended after it was issued). It reads nothing: it runs on the event loop.
token_user_row: Hook[[object], object] = Hook("token_user_row")
token_user: Hook[[object, object], "AbstractBaseUser | None"] = Hook("token_user")
user_by_ticket: Hook[[str], "AbstractBaseUser | None"] = Hook("user_by_ticket")  # a one-time ticket's user, once


def _access_token(raw: str) -> AccessToken | None:
    try:
        return AccessToken(raw)
    except TokenError:
        return None


def _cache_key(claim) -> int | None:
    """A ``user_id`` claim as the cache's key: SimpleJWT writes the id as a string of digits
    (an integer in older tokens). Anything else is read from the database, whose provider
    decides what it names (usually no one)."""
    if type(claim) is int:
        return claim
    if type(claim) is str and 0 < len(claim) < 20 and claim.isascii() and claim.isdigit():
        return int(claim)
    return None


async def _row_for(claim):
    """The row of the user ``claim`` names: from this process's cache when it holds it (no
    database worker, no query), else read on a database worker (and kept)."""
    cache, key = usercache.get_user_cache(), _cache_key(claim)
    if cache is None or key is None:
        metrics.user_row_read("database")
        return await db.run(token_user_row.one(), claim)
    row = cache.get(key)
    if row is not None:
        metrics.user_row_read("cache")
        return row
    metrics.user_row_read("database")
    cache.listen()  # once: the first handshakes read the database until it hears
    epoch = cache.begin()
    row = await db.run(token_user_row.one(), key)
    if row is not None:
        cache.put(key, row, epoch)
    return row


async def _user_for_token(raw: str):
    token = _access_token(raw)
    if token is None:
        return None, None
    row = await _row_for(token.get("user_id"))
    user = None if row is None else token_user.one()(row, token.get("iat"))
    return user, token.get("exp")


def _user_for_ticket(raw: str):
    return user_by_ticket.one()(raw), None


async def authenticate(scope):
    found = _credentials(scope)
    if found is None:
        return AnonymousUser(), None
    kind, raw = found
    user, expires_at = await (_user_for_token(raw) if kind == "token" else db.run(_user_for_ticket, raw))
    if user is None:
        logger.info("websocket credentials refused", extra={"credential": kind, "path": scope.get("path")})
        return AnonymousUser(), None
    return user, expires_at


class JWTAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        try:
            scope["user"], scope["auth_expires_at"] = await authenticate(scope)
        except db.Overloaded as exc:
            # The consumer accepts, sends the error frame and closes (gameplatform.sockets.consumers).
            scope["user"], scope["auth_expires_at"], scope["overloaded"] = AnonymousUser(), None, exc
        except Exception as exc:
            # A ticket needs Redis, a user the database: during an outage the consumer
            # accepts, sends ``error`` unavailable and closes 1013, never an HTTP 500.
            if not is_outage(exc):
                raise
            logger.warning("socket credentials not checked during an outage: %r", exc)
            scope["user"], scope["auth_expires_at"], scope["overloaded"] = AnonymousUser(), None, Unavailable()
        # ``inner``, not ``super().__call__``: that copies the scope once more, and every copy lives
        # as long as the socket (in the frame that awaits it).
        return await self.inner(scope, receive, send)


DEFAULT_PORTS = {"http": 80, "https": 443}
# A socket's own scheme is its page's: ws on an http server, wss on an https one.
PAGE_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}

Origin = tuple[str, str, int]  # scheme, host, port


def _origin(scheme: str, host: str, port: int | None) -> Origin | None:
    """``(scheme, host, port)`` with the scheme's default port filled in; None if not a web origin."""
    scheme = scheme.lower()
    if not host or scheme not in DEFAULT_PORTS:
        return None
    return scheme, host.lower().strip("[]"), port or DEFAULT_PORTS[scheme]


def parse_origin(text: str) -> Origin | None:
    try:
        url = urlparse(text.strip())
        return _origin(url.scheme, url.hostname or "", url.port)
    except ValueError:  # a port out of range or not a number
        return None


def _allowed_hosts() -> list[str]:
    return settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])


def socket_scheme(scope, headers: dict[bytes, bytes]) -> str:
    """``wss`` or ``ws``: the proxy's header when Django trusts one (SECURE_PROXY_SSL_HEADER,
    read as ``request.is_secure()`` reads it), else the scope's scheme."""
    trusted = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if trusted:
        name, secure_value = trusted
        sent = headers.get(name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin1"))
        if sent is not None:
            return "wss" if sent.decode("latin1").split(",", 1)[0].strip() == secure_value else "ws"
    return scope.get("scheme", "ws")


class OriginCheck(OriginValidator):
    """Browsers' sockets come from an allowed origin, scheme, host and port all three;
    clients without an Origin header (native game clients, scripts) come in and
    authenticate as usual.

    An Origin is allowed when it is one of ``WS_ALLOWED_ORIGINS`` (full origins,
    ``https://play.example.com:8443``; default ``CORS_ORIGINS``; ``*`` allows any), or when it
    is the server's own origin: the socket's scheme (``ws`` is a page of ``http``, ``wss`` of
    ``https``), and the host and port of the request's ``Host`` header, that host being one
    of ``ALLOWED_HOSTS`` (so a page served by this server works, and a page of
    ``http://localhost:9999`` or ``https://localhost:8000`` cannot open a socket on
    ``http://localhost:8000``). The scheme is the ASGI scope's, as the server sets it: TLS on
    its own port, or ``X-Forwarded-Proto`` from a proxy it trusts (uvicorn:
    ``FORWARDED_ALLOW_IPS``), the source Django's ``request.is_secure()`` has too; when
    ``SECURE_PROXY_SSL_HEADER`` is set (``BEHIND_TLS_PROXY=1``) that header decides, as it does
    for ``is_secure()`` (daphne's socket scopes carry no scheme at all). A request
    without a Host header (only in-process test clients) is compared with ``ALLOWED_HOSTS``
    on the scheme's default port.
    """

    def __init__(self, application):
        super().__init__(application, _allowed_hosts())

    async def __call__(self, scope, receive, send):
        refused_origin = self.refused_origin(scope)
        if refused_origin is not None:
            # The one line of a refused handshake, under any server (uvicorn's own, at INFO, is
            # off: settings.LOGGING); the query is redacted with the rest of the line.
            query = scope.get("query_string", b"").decode("latin1")
            logger.info(
                "websocket refused: origin not allowed: %s%s",
                scope.get("path"),
                f"?{query}" if query else "",
                extra={"origin": refused_origin},
            )
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)

    def refused_origin(self, scope) -> str | None:
        """The socket's ``Origin`` when it is not allowed, else None. (A function of its own: the
        headers' dict is freed here, not kept by the frame that awaits the socket's whole life.)"""
        headers = dict(scope.get("headers", []))
        if b"origin" not in headers:
            return None
        origin = headers[b"origin"].decode("latin1")
        if self.origin_allowed(origin, headers.get(b"host"), socket_scheme(scope, headers)):
            return None
        return origin

    def origin_allowed(self, origin_header: str, host_header: bytes | None, scheme: str = "ws") -> bool:
        origin = parse_origin(origin_header)
        if origin is None:  # "null" (sandboxed frames, file: pages) or garbage
            return False
        configured = getattr(settings, "WS_ALLOWED_ORIGINS", [])
        if "*" in configured or origin in {parse_origin(text) for text in configured}:
            return True
        own_scheme = PAGE_SCHEMES.get(scheme.lower(), "http")
        if host_header is None:
            origin_scheme, host, port = origin
            return (origin_scheme, port) == (own_scheme, DEFAULT_PORTS[own_scheme]) and validate_host(
                host, _allowed_hosts()
            )
        host, port = split_domain_port(host_header.decode("latin1"))
        if not host or not validate_host(host, _allowed_hosts()):
            return False
        return origin == (own_scheme, host.strip("[]"), int(port) if port else DEFAULT_PORTS[own_scheme])
