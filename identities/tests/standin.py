"""A local identity provider for the tests: a real HTTP server in a thread that speaks OpenID
Connect (discovery, JWKS, an authorize endpoint that redirects back with a code, a token
endpoint that checks the client's secret and the PKCE verifier and issues RS256-signed id
tokens), Discord's OAuth 2 (``/discord/...``: a token endpoint and ``/users/@me``) and Steam's
OpenID 2.0 (``/steam/login``: ``check_authentication`` says ``is_valid:true`` only for the
assertions it made).
"""

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey


class Provider:
    def __init__(self, *, client_id: str = "game-client", client_secret: str = "game-secret") -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "standin-1", "use": "sig"})
        self.subject = "sub-alice"  # who "signs in" at the authorize endpoint next
        self.email = "alice@idp.example"
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}  # Discord's: token -> user
        self.assertions: set[str] = set()  # Steam's: the signatures it made
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Provider":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def setting(self, provider_id: str = "idp", **extra) -> dict:
        """An ``AUTH_PROVIDERS`` entry for this provider."""
        return {
            "id": provider_id,
            "name": "Test IdP",
            "issuer": self.issuer,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            **extra,
        }

    def id_token(self, *, sub: str | None = None, key=None, expires_in: int = 300, **claims) -> str:
        """An id token as Google signs them, with a ``jti`` of its own; a claim given as None
        is left out (``jti=None``: as Apple's, which have none)."""
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": sub or self.subject,
            "iat": now,
            "exp": now + expires_in,
            "jti": secrets.token_hex(16),
            "email": self.email,
            "email_verified": True,
            "name": "Alice Idp",
            **claims,
        }
        key = key or self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, {k: v for k, v in body.items() if v is not None}, key)

    def discord_token(self, *, user_id: str = "80351110224678912", username: str = "nelly") -> str:
        token = secrets.token_urlsafe(16)
        self.access_tokens[token] = {"id": user_id, "username": username, "email": "nelly@discord.example"}
        self.access_tokens[token]["verified"] = True
        return token

    # --- endpoints -----------------------------------------------------------------------

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def authorize(self, query: dict) -> str:
        """The user signs in at once (as ``subject``): back to the client with a code."""
        code = secrets.token_urlsafe(16)
        self.codes[code] = {**query, "sub": self.subject}
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"

    def token(self, form: dict, authorization: str) -> tuple[int, dict]:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(authorization[6:]).decode().partition(":")
        if (client_id, client_secret) != (self.client_id, self.client_secret):
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
        if challenge != grant.get("code_challenge"):
            return 400, {"error": "invalid_grant", "error_description": "PKCE verifier"}
        if grant.get("discord"):
            return 200, {"access_token": self.discord_token(user_id=grant["sub"]), "token_type": "Bearer"}
        id_token = self.id_token(sub=grant["sub"], nonce=grant.get("nonce"))
        return 200, {"access_token": secrets.token_urlsafe(8), "token_type": "Bearer", "id_token": id_token}

    def steam_login(self, query: dict) -> str:
        """Signs in as Steam id 7656119 + subject digits: back to return_to with an assertion."""
        signature = secrets.token_urlsafe(12)
        self.assertions.add(signature)
        claimed = f"https://steamcommunity.com/openid/id/{self.subject}"
        answer = {
            "openid.ns": "http://specs.openid.net/auth/2.0",
            "openid.mode": "id_res",
            "openid.op_endpoint": f"{self.issuer}/steam/login",
            "openid.claimed_id": claimed,
            "openid.identity": claimed,
            "openid.return_to": query["openid.return_to"],
            "openid.response_nonce": f"{time.strftime('%Y-%m-%dT%H:%M:%SZ')}{secrets.token_hex(4)}",
            "openid.assoc_handle": "1234567890",
            "openid.signed": "signed,op_endpoint,claimed_id,identity,return_to,response_nonce,assoc_handle",
            "openid.sig": signature,
        }
        joiner = "&" if "?" in query["openid.return_to"] else "?"
        return f"{query['openid.return_to']}{joiner}{urlencode(answer)}"

    def steam_check(self, form: dict) -> str:
        valid = form.get("openid.mode") == "check_authentication" and form.get("openid.sig") in self.assertions
        self.assertions.discard(form.get("openid.sig"))
        return f"ns:http://specs.openid.net/auth/2.0\nis_valid:{'true' if valid else 'false'}\n"

    def public_keys(self) -> dict:
        return KeySet([self.key]).as_dict(private=False)


def _handler(idp: Provider):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def answer(self, status: int, body, content_type: str = "application/json", location: str = "") -> None:
            data = (json.dumps(body) if content_type == "application/json" else body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            if location:
                self.send_header("Location", location)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                return self.answer(200, idp.discovery())
            if url.path == "/jwks":
                return self.answer(200, idp.public_keys())
            if url.path == "/authorize":
                return self.answer(302, {}, location=idp.authorize(query))
            if url.path == "/discord/authorize":
                return self.answer(302, {}, location=idp.authorize({**query, "discord": True}))
            if url.path == "/discord/users/@me":
                user = idp.access_tokens.get(self.headers.get("Authorization", "").removeprefix("Bearer "))
                return self.answer(200, user) if user else self.answer(401, {"message": "401: Unauthorized"})
            if url.path == "/steam/login":
                return self.answer(302, {}, location=idp.steam_login(query))
            return self.answer(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            path = urlparse(self.path).path
            if path in ("/token", "/discord/oauth2/token"):
                return self.answer(*idp.token(form, self.headers.get("Authorization", "")))
            if path == "/steam/login":
                return self.answer(200, idp.steam_check(form), content_type="text/plain")
            return self.answer(404, {"error": "not_found"})

    return Handler
