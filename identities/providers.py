"""The configured identity providers, their published metadata and keys, and id-token checks.

Providers come from settings, read at each call (so ``override_settings`` and a changed
environment take effect): ``AUTH_PROVIDERS`` (any OpenID Connect issuer) and the presets
``GOOGLE_*``, ``APPLE_*``, ``DISCORD_*`` and ``STEAM_*`` (docs/sign-in.md). Three kinds:

- ``oidc``: OpenID Connect, discovered from ``{issuer}/.well-known/openid-configuration``;
  the user is the id token's ``sub``, verified against the issuer's JWKS.
- ``oauth2``: plain OAuth 2 (Discord): no id token; the user is what the provider's user API
  answers for the access token.
- ``openid``: OpenID 2.0 (Steam): the user is the claimed id the provider confirms with
  ``check_authentication``.
"""

import threading
import time
from dataclasses import dataclass, field

import requests
from django.conf import settings
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from gameplatform.core.errors import ApplicationError, NotFound

ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]
# Published metadata and keys are kept this long; an unknown key id fetches the keys again
# (a provider rotating its keys), at most once per KEYS_REFETCH_SECONDS.
METADATA_TTL_SECONDS = 3600
KEYS_REFETCH_SECONDS = 10
CLOCK_LEEWAY_SECONDS = 60

GOOGLE_ISSUER = "https://accounts.google.com"
APPLE_ISSUER = "https://appleid.apple.com"
DISCORD_AUTHORIZE_URL = "https://discord.com/oauth2/authorize"
STEAM_OPENID_URL = "https://steamcommunity.com/openid/login"


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    kind: str  # oidc, oauth2 or openid
    client_id: str = ""
    client_secret: str = ""
    issuer: str = ""
    scope: str = "openid email profile"
    # More audiences an id token posted by a client may carry (a native app's own client id).
    audiences: tuple[str, ...] = ()
    token_auth_method: str = "client_secret_basic"
    response_mode: str = ""
    # oauth2 and openid kinds have no discovery: their endpoints.
    authorize_url: str = ""
    token_url: str = ""
    userinfo_url: str = ""
    # Apple's client secret is a JWT we sign (apple_client_secret).
    apple: dict = field(default_factory=dict, compare=False)

    def secret(self) -> str:
        return apple_client_secret(self) if self.apple else self.client_secret

    def public(self) -> dict:
        return {"id": self.id, "name": self.name, "kind": self.kind}


def not_configured(what: str = "sign-in provider") -> NotFound:
    return NotFound(f"No such {what} is configured.", code="not_configured")


def unavailable(message: str = "The identity provider did not answer.") -> ApplicationError:
    return ApplicationError(message, code="provider_unavailable", status_code=502)


def invalid_token(message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid_token", status_code=400)


def configured() -> list[Provider]:
    """Every provider the settings turn on, presets first, in a stable order."""
    found = [*_presets()]
    for entry in settings.AUTH_PROVIDERS:
        found.append(
            Provider(
                id=entry["id"],
                name=entry.get("name", entry["id"]),
                kind="oidc",
                issuer=entry["issuer"].rstrip("/"),
                client_id=entry["client_id"],
                client_secret=entry.get("client_secret", ""),
                scope=entry.get("scope", "openid email profile"),
                audiences=tuple(entry.get("audiences", ())),
                token_auth_method=entry.get("token_endpoint_auth_method", "client_secret_basic"),
            )
        )
    return found


def provider_get(provider_id: str) -> Provider:
    """The configured provider ``provider_id``, or 404 ``not_configured``."""
    for provider in configured():
        if provider.id == provider_id:
            return provider
    raise not_configured()


def _presets():
    if settings.GOOGLE_CLIENT_ID:
        yield Provider(
            id="google",
            name="Google",
            kind="oidc",
            issuer=GOOGLE_ISSUER,
            client_id=settings.GOOGLE_CLIENT_ID,
            client_secret=settings.GOOGLE_CLIENT_SECRET,
            audiences=tuple(settings.GOOGLE_EXTRA_CLIENT_IDS),
        )
    if settings.APPLE_CLIENT_ID:
        yield Provider(
            id="apple",
            name="Apple",
            kind="oidc",
            issuer=settings.APPLE_ISSUER.rstrip("/"),
            client_id=settings.APPLE_CLIENT_ID,
            scope="openid email name",
            audiences=tuple(settings.APPLE_EXTRA_CLIENT_IDS),
            token_auth_method="client_secret_post",
            # Apple sends the answer as a form POST when names or emails are asked for.
            response_mode="form_post",
            apple={
                "team_id": settings.APPLE_TEAM_ID,
                "key_id": settings.APPLE_KEY_ID,
                "private_key": settings.APPLE_PRIVATE_KEY,
            },
        )
    if settings.DISCORD_CLIENT_ID:
        api = settings.DISCORD_API_BASE.rstrip("/")
        yield Provider(
            id="discord",
            name="Discord",
            kind="oauth2",
            client_id=settings.DISCORD_CLIENT_ID,
            client_secret=settings.DISCORD_CLIENT_SECRET,
            scope="identify email",
            authorize_url=settings.DISCORD_AUTHORIZE_URL,
            token_url=f"{api}/oauth2/token",
            userinfo_url=f"{api}/users/@me",
            token_auth_method="client_secret_post",
        )
    if settings.STEAM_ENABLED:
        yield Provider(id="steam", name="Steam", kind="openid", authorize_url=settings.STEAM_OPENID_URL)


def apple_client_secret(provider: Provider) -> str:
    """Apple's client secret: a JWT (ES256) signed with the team's Sign in with Apple key,
    made fresh for each token request (valid five minutes)."""
    key = ECKey.import_key(provider.apple["private_key"])
    now = int(time.time())
    claims = {
        "iss": provider.apple["team_id"],
        "iat": now,
        "exp": now + 300,
        "aud": APPLE_ISSUER,
        "sub": provider.client_id,
    }
    return jwt.encode({"alg": "ES256", "kid": provider.apple["key_id"]}, claims, key)


# --- published metadata and keys (OpenID Connect) -------------------------------------------------


class _Published:
    """What issuers publish, per process: discovery documents and key sets with their age."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.metadata: dict[str, tuple[float, dict]] = {}
        self.keys: dict[str, tuple[float, KeySet]] = {}


_published = _Published()


def http_get_json(url: str, **kwargs) -> dict:
    try:
        response = requests.get(url, timeout=settings.AUTH_PROVIDER_TIMEOUT_SECONDS, **kwargs)
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError):
        raise unavailable("The identity provider did not answer.") from None
    if not isinstance(body, dict):
        raise unavailable("The identity provider answered garbage.")
    return body


def metadata(provider: Provider) -> dict:
    """The issuer's discovery document (cached); its ``issuer`` must be the configured one."""
    with _published.lock:
        cached = _published.metadata.get(provider.issuer)
    if cached is not None and time.monotonic() - cached[0] < METADATA_TTL_SECONDS:
        return cached[1]
    document = http_get_json(f"{provider.issuer}/.well-known/openid-configuration")
    if document.get("issuer", "").rstrip("/") != provider.issuer:
        raise unavailable("The provider's discovery document names another issuer.")
    with _published.lock:
        _published.metadata[provider.issuer] = (time.monotonic(), document)
    return document


def key_set(provider: Provider, *, refresh: bool = False) -> KeySet:
    """The issuer's published keys (cached); ``refresh`` fetches them again unless that was
    done in the last KEYS_REFETCH_SECONDS."""
    with _published.lock:
        cached = _published.keys.get(provider.issuer)
    if cached is not None:
        age = time.monotonic() - cached[0]
        if age < (KEYS_REFETCH_SECONDS if refresh else METADATA_TTL_SECONDS):
            return cached[1]
    try:
        keys = KeySet.import_key_set(http_get_json(metadata(provider)["jwks_uri"]))
    except (KeyError, ValueError, JoseError):
        raise unavailable("The provider's keys could not be read.") from None
    with _published.lock:
        _published.keys[provider.issuer] = (time.monotonic(), keys)
    return keys


def id_token_verify(provider: Provider, token: str, *, nonce: str | None = None) -> dict:
    """The claims of an id token the provider signed for us, or 400 ``invalid_token``.

    Checked: the signature against the issuer's published keys (an unknown key id fetches
    them again once: the provider may have rotated), the issuer, the audience (our client id,
    or one of ``audiences``), the expiry (a minute of clock leeway), a subject, and the nonce
    when one is given.
    """
    if provider.kind != "oidc":
        raise invalid_token("This provider signs in with its own flow, not an id token.")
    decoded = _decode(provider, token)
    registry = jwt.JWTClaimsRegistry(
        leeway=CLOCK_LEEWAY_SECONDS,
        iss={"essential": True, "value": provider.issuer},
        aud={"essential": True, "values": [provider.client_id, *provider.audiences]},
        exp={"essential": True},
        sub={"essential": True},
    )
    try:
        registry.validate(decoded.claims)
    except JoseError as exc:
        raise invalid_token(f"The id token was refused: {exc.description or exc.error}.") from None
    if nonce is not None and decoded.claims.get("nonce") != nonce:
        raise invalid_token("The id token's nonce is not the one this sign-in sent.")
    return decoded.claims


def _decode(provider: Provider, token: str):
    for refresh in (False, True):
        keys = key_set(provider, refresh=refresh)
        try:
            return jwt.decode(token, keys, algorithms=ID_TOKEN_ALGORITHMS)
        except JoseError as exc:
            if refresh or exc.error not in {"invalid_key_id", "missing_key"}:
                raise invalid_token(f"The id token's signature was refused: {exc.error}.") from None
        except (ValueError, TypeError):
            raise invalid_token("This is not an id token.") from None
    raise invalid_token("The id token was refused.")
