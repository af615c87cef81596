"""The conversations with a provider: the browser's redirect and its callback, and the token a
client posts. Each ends in a ``Profile`` (who the provider says this is); nothing here writes
our database, and every network call happens here, outside any transaction.
"""

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlencode, urlparse

import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oauth2 import OAuth2Error
from django.conf import settings

from gameplatform.core.cache import cache
from gameplatform.core.errors import ApplicationError
from gameplatform.sockets.wsauth import parse_origin
from identities import providers
from identities.providers import Provider, invalid_token, unavailable

logger = logging.getLogger(__name__)

STATE_PREFIX = "signin:state:"
STATE_TTL_SECONDS = 600
STEAM_CLAIMED_ID = "https://steamcommunity.com/openid/id/"
OPENID_NS = "http://specs.openid.net/auth/2.0"


# The latest expiry a spent token is kept until (a datetime holds no later one).
LATEST_EXPIRY = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class TokenUse:
    """What signing in with a posted id token spends: ``key`` (hex SHA-256 of its issuer, its
    subject and its nonce, else its ``jti``, else all its claims) until ``expires_at``."""

    key: str
    expires_at: datetime


@dataclass(frozen=True)
class Profile:
    provider: str
    subject: str
    email: str = ""
    name: str = ""
    username_hint: str = ""
    # Set for an id token a client posted: it signs in (or links) once.
    spends: TokenUse | None = None


def profile_from_claims(provider: Provider, claims: dict) -> Profile:
    # An email counts only when the provider says it verified it (Apple sends "true" as text).
    verified = claims.get("email_verified") in (True, "true")
    return Profile(
        provider=provider.id,
        subject=str(claims["sub"]),
        email=str(claims.get("email", "")) if verified else "",
        name=str(claims.get("name", "")),
        username_hint=str(claims.get("preferred_username") or claims.get("given_name") or claims.get("name") or ""),
    )


def profile_from_token(provider: Provider, *, token: str, nonce: str | None = None) -> Profile:
    """Who a token a client holds says this is: an OpenID Connect id token (verified), or for
    an OAuth 2 provider (Discord) an access token its user API answers for."""
    if provider.kind == "oidc":
        claims = providers.id_token_verify(provider, token, nonce=nonce)
        return replace(profile_from_claims(provider, claims), spends=token_use(claims))
    if provider.kind == "oauth2":
        return _oauth2_profile(provider, token)
    raise invalid_token("This provider signs in through the browser only (GET .../start/).")


def token_use(claims: dict) -> TokenUse:
    """The one use of a verified id token. Its nonce is spent when it has one (a nonce is used
    once, whichever token carries it), else its ``jti`` (Google's tokens have one), else its
    claims (Apple's may have neither): the claims, not the token's text, which has other
    spellings with the same signature (base64's spare bits, an ECDSA signature's twin)."""
    if claims.get("nonce"):
        once = ["nonce", str(claims["nonce"])]
    elif claims.get("jti"):
        once = ["jti", str(claims["jti"])]
    else:
        once = ["claims", json.dumps(claims, sort_keys=True, default=str)]
    key = hashlib.sha256(json.dumps([claims["iss"], str(claims["sub"]), *once]).encode()).hexdigest()
    expires = min(claims["exp"] + providers.CLOCK_LEEWAY_SECONDS, LATEST_EXPIRY.timestamp())
    return TokenUse(key=key, expires_at=datetime.fromtimestamp(expires, UTC))


def _oauth2_profile(provider: Provider, access_token: str) -> Profile:
    """Discord's ``/users/@me`` for the access token: its id, verified email and names."""
    try:
        response = requests.get(
            provider.userinfo_url,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=settings.AUTH_PROVIDER_TIMEOUT_SECONDS,
        )
    except requests.RequestException:
        raise unavailable("The identity provider did not answer.") from None
    if response.status_code in (401, 403):
        raise invalid_token("The provider does not know this access token.")
    try:
        response.raise_for_status()
        user = response.json()
        subject = str(user["id"])
    except (requests.RequestException, ValueError, KeyError, TypeError):
        raise unavailable("The identity provider answered garbage.") from None
    return Profile(
        provider=provider.id,
        subject=subject,
        email=str(user.get("email") or "") if user.get("verified") else "",
        name=str(user.get("global_name") or user.get("username") or ""),
        username_hint=str(user.get("username") or ""),
    )


# --- the browser's redirect flow --------------------------------------------------------------


def next_url_check(next_url: str, *, own_origin: str) -> str:
    """The absolute address to send the browser back to, or 400 ``next_not_allowed``: a path on
    this server, this server's own origin, or one of the allowed origins (``CORS_ORIGINS``)."""
    if next_url.startswith("/") and not next_url.startswith("//") and "\\" not in next_url:
        return own_origin + next_url
    origin = parse_origin(next_url) if urlparse(next_url).scheme in ("http", "https") else None
    allowed = {parse_origin(text) for text in [own_origin, *settings.CORS_ALLOWED_ORIGINS]}
    if origin is None or origin not in allowed:
        raise ApplicationError(
            "next must be a page of this server or of an allowed origin (CORS_ORIGINS).",
            code="next_not_allowed",
            status_code=400,
        )
    return next_url


def _session(provider: Provider, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=provider.client_id,
        client_secret=provider.secret() if provider.kind != "openid" else None,
        scope=provider.scope,
        redirect_uri=redirect_uri,
        token_endpoint_auth_method=provider.token_auth_method,
        code_challenge_method="S256",
    )


def signin_start(provider: Provider, *, next_url: str, callback_url: str) -> str:
    """Where to send the browser: the provider's sign-in page, with a one-time ``state`` that
    the callback redeems (kept in the shared cache with the nonce, the PKCE verifier and
    ``next``; any server process can take the callback)."""
    state = secrets.token_urlsafe(32)
    record = {"provider": provider.id, "next": next_url}
    if provider.kind == "openid":
        url = _openid_start_url(provider, callback_url=f"{callback_url}?state={state}")
    else:
        record["verifier"] = secrets.token_urlsafe(48)
        extra = {}
        if provider.kind == "oidc":
            record["nonce"] = extra["nonce"] = secrets.token_urlsafe(24)
            if provider.response_mode:
                extra["response_mode"] = provider.response_mode
        endpoint = provider.authorize_url or providers.metadata(provider)["authorization_endpoint"]
        url, _ = _session(provider, callback_url).create_authorization_url(
            endpoint, state=state, code_verifier=record["verifier"], **extra
        )
    cache.set(STATE_PREFIX + state, record, timeout=STATE_TTL_SECONDS)
    return url


def state_redeem(state: str) -> dict | None:
    """The sign-in a ``state`` began, once: whoever deletes the key first has it."""
    key = STATE_PREFIX + state[:128]
    record = cache.get(key)
    if record is None or not cache.delete(key):
        return None
    return record


def signin_finish(provider: Provider, record: dict, *, params: dict, callback_url: str) -> Profile:
    """Who the provider's answer to our redirect signs in (a ``Profile``), or 400 ``invalid_token``."""
    if "error" in params:
        raise invalid_token(f"The provider refused the sign-in: {params['error']}.")
    if provider.kind == "openid":
        return _openid_profile(provider, params, callback_url=callback_url)
    code = params.get("code")
    if not code:
        raise invalid_token("The provider's answer has no code.")
    endpoint = provider.token_url or providers.metadata(provider)["token_endpoint"]
    try:
        token = _session(provider, callback_url).fetch_token(
            endpoint, code=code, code_verifier=record["verifier"], timeout=settings.AUTH_PROVIDER_TIMEOUT_SECONDS
        )
    except (OAuthError, OAuth2Error) as exc:  # the session raises OAuthError for an {"error": ...} answer
        error = str(exc.error)[:64]
        logger.warning("sign-in with %s: the provider refused the code: %r", provider.id, error)
        raise invalid_token(f"The provider refused the code: {error}.") from None
    except (requests.RequestException, ValueError):
        raise unavailable("The identity provider did not answer.") from None
    if provider.kind == "oauth2":
        return _oauth2_profile(provider, token.get("access_token", ""))
    if "id_token" not in token:
        raise invalid_token("The provider sent no id token.")
    return profile_from_claims(provider, providers.id_token_verify(provider, token["id_token"], nonce=record["nonce"]))


# --- OpenID 2.0 (Steam) ---------------------------------------------------------------------------


def _openid_start_url(provider: Provider, *, callback_url: str) -> str:
    parsed = urlparse(callback_url)
    query = {
        "openid.ns": OPENID_NS,
        "openid.mode": "checkid_setup",
        "openid.return_to": callback_url,
        "openid.realm": f"{parsed.scheme}://{parsed.netloc}",
        "openid.identity": "http://specs.openid.net/auth/2.0/identifier_select",
        "openid.claimed_id": "http://specs.openid.net/auth/2.0/identifier_select",
    }
    return f"{provider.authorize_url}?{urlencode(query)}"


def _openid_profile(provider: Provider, params: dict, *, callback_url: str) -> Profile:
    """The Steam id the provider vouches for: its positive assertion, sent back to it with
    ``check_authentication`` (it answers ``is_valid:true`` for its own signature only)."""
    claimed = params.get("openid.claimed_id", "")
    if params.get("openid.mode") != "id_res" or not claimed.startswith(STEAM_CLAIMED_ID):
        raise invalid_token("The provider's answer is not a positive assertion.")
    if not params.get("openid.return_to", "").startswith(callback_url.split("?", 1)[0]):
        raise invalid_token("The assertion was made for another address.")
    check = {**{k: v for k, v in params.items() if k.startswith("openid.")}, "openid.mode": "check_authentication"}
    try:
        response = requests.post(provider.authorize_url, data=check, timeout=settings.AUTH_PROVIDER_TIMEOUT_SECONDS)
        response.raise_for_status()
    except requests.RequestException:
        raise unavailable("The identity provider did not answer.") from None
    fields = dict(line.split(":", 1) for line in response.text.splitlines() if ":" in line)
    if not hmac.compare_digest(fields.get("is_valid", ""), "true"):
        raise invalid_token("The provider did not confirm the assertion.")
    steam_id = claimed.removeprefix(STEAM_CLAIMED_ID)
    if not (steam_id.isascii() and steam_id.isdigit()):
        raise invalid_token("The claimed id is not a Steam id.")
    return Profile(provider=provider.id, subject=steam_id, username_hint=f"steam-{steam_id[-6:]}")
