"""A local stand-in for Google, started by the tests: the OAuth token endpoint a service
account's key names, the Play Developer API's one-time product purchases, and the certificates
Google signs Pub/Sub push id tokens with.

It speaks Google's documented protocols, so Google's own libraries talk to it unchanged:
- ``POST /token`` takes the JWT-bearer grant (RFC 7523): an assertion signed RS256 with the
  service account's private key, issued by its ``client_email``, for Google's token endpoint, asking
  the androidpublisher scope; it checks the signature with the account's public key and answers
  ``{access_token, expires_in, token_type}``.
- ``GET /androidpublisher/v3/applications/{package}/purchases/products/{product}/tokens/{token}``
  answers the ProductPurchase resource; ``POST ...:acknowledge`` acknowledges it. Both want the
  access token; a token unknown for that package and product is Google's 400 error body.
- ``GET .../purchases/subscriptionsv2/tokens/{token}`` answers the SubscriptionPurchaseV2 resource
  as it is now (``subscribe`` and ``subscription_move`` change it as Play would), and
  ``POST .../purchases/subscriptions/{subscriptionId}/tokens/{token}:acknowledge`` acknowledges it.
- ``POST .../orders/{orderId}:reviewrefund`` takes the answer to a refund review
  (``chargeback`` opens one), records the first per order and answers later ones OK, as Google does.
- ``GET /certs`` serves ``{key id: PEM certificate}`` (the format of Google's
  ``oauth2/v1/certs``); ``push_token`` signs id tokens with that key as Google signs a push's.
"""

import datetime
import itertools
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt
from google.auth import jwt as google_jwt

PACKAGE = "com.example.game"
SCOPE = "https://www.googleapis.com/auth/androidpublisher"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# The audience Google's token endpoint requires of an assertion, wherever the key's token_uri points.
TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
SERVICE_ACCOUNT = "play-api@example-project.iam.gserviceaccount.com"
PUSH_SERVICE_ACCOUNT = "play-push@example-project.iam.gserviceaccount.com"
API_PREFIX = "/androidpublisher/v3/applications/"

_orders = itertools.count(1000)


def _private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _certificate_pem(key: rsa.RSAPrivateKey, name: str) -> str:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class GoogleStandIn:
    def __init__(self) -> None:
        self.account_key = _new_key()
        self.account_key_id = secrets.token_hex(20)
        self.push_key = _new_key()
        self.push_key_id = secrets.token_hex(20)
        self.push_certificate = _certificate_pem(self.push_key, "standin-push-signer")
        self.purchases: dict[tuple[str, str, str], dict] = {}
        self.subscriptions: dict[tuple[str, str], dict] = {}
        self.lock = threading.Lock()
        self.access_tokens: set[str] = set()
        self.requests: list[tuple[str, str]] = []
        self.unavailable = False  # answer the API with 503s (Google down)
        self.pending_refunds: dict[str, str] = {}  # pendingRefundToken -> order id (a chargeback under review)
        self.refund_reviews: list[tuple[str, dict]] = []  # (order id, body) of each answer Google recorded
        self.refund_reviews_ignored = 0  # later answers to a review: OK, and ignored
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                standin.requests.append(("GET", self.path))
                if self.path == "/certs":
                    return self.answer(200, {standin.push_key_id: standin.push_certificate})
                self.api("GET")

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                standin.requests.append(("POST", self.path))
                if self.path == "/token":
                    return self.answer(*standin.token(dict(parse_qsl(body))))
                self.api("POST", body)

            def api(self, method: str, body: str = "") -> None:
                if standin.unavailable:
                    return self.answer(503, _error(503, "The service is currently unavailable.", "backendError"))
                auth = self.headers.get("Authorization", "")
                if auth.removeprefix("Bearer ") not in standin.access_tokens:
                    return self.answer(401, _error(401, "Request had invalid authentication credentials.", "authError"))
                path = urlsplit(self.path).path
                if method == "POST" and path.endswith(":reviewrefund"):
                    return self.answer(*standin.review_refund_call(path, body))
                self.answer(*standin.purchase_call(method, path))

            def answer(self, status: int, body: dict | None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                if body is not None:
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> "GoogleStandIn":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    # --- the service account ----------------------------------------------------------------

    def service_account_key(self) -> dict:
        """The JSON key the Play Console's service account would download, its token endpoint here."""
        return {
            "type": "service_account",
            "project_id": "example-project",
            "private_key_id": self.account_key_id,
            "private_key": _private_pem(self.account_key),
            "client_email": SERVICE_ACCOUNT,
            "client_id": "100000000000000000001",
            "token_uri": self.base + "token",
            "universe_domain": "googleapis.com",
        }

    def token(self, form: dict) -> tuple[int, dict]:
        if form.get("grant_type") != JWT_BEARER:
            return 400, {"error": "unsupported_grant_type"}
        public = _certificate_pem(self.account_key, SERVICE_ACCOUNT)
        try:
            claims = google_jwt.decode(form.get("assertion", ""), certs={self.account_key_id: public})
        except ValueError as exc:
            return 400, {"error": "invalid_grant", "error_description": f"Invalid JWT Signature. ({exc})"}
        if claims.get("iss") != SERVICE_ACCOUNT or claims.get("aud") != TOKEN_AUDIENCE:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT: iss or aud."}
        if SCOPE not in (claims.get("scope") or "").split():
            return 400, {"error": "invalid_scope"}
        access = "ya29." + secrets.token_urlsafe(32)
        self.access_tokens.add(access)
        return 200, {"access_token": access, "expires_in": 3599, "token_type": "Bearer"}

    # --- purchases -----------------------------------------------------------------------

    def buy(self, product_id: str, *, package: str = PACKAGE, **fields) -> str:
        """A player bought the product in the app: its purchase token (the ProductPurchase's
        fields as given, else a fresh purchase not yet acknowledged)."""
        token = secrets.token_urlsafe(90) + ".AO-J1O" + secrets.token_urlsafe(40)
        self.purchases[(package, product_id, token)] = {
            "kind": "androidpublisher#productPurchase",
            "purchaseTimeMillis": str(int(time.time() * 1000)),
            "purchaseState": 0,
            "consumptionState": 0,
            "orderId": f"GPA.3300-{next(_orders):04d}-{secrets.randbelow(10**4):04d}-{secrets.randbelow(10**5):05d}",
            "acknowledgementState": 0,
            "productId": product_id,
            "regionCode": "US",
            "purchaseType": 0,  # a license tester's purchase
        } | fields
        return token

    def purchase(self, product_id: str, token: str, *, package: str = PACKAGE) -> dict:
        return self.purchases[(package, product_id, token)]

    # --- subscriptions -----------------------------------------------------------------------

    def subscribe(self, product_id: str, *, days: int = 30, package: str = PACKAGE) -> str:
        """A player subscribed in the app: the purchase token of an active, auto-renewing
        subscription not yet acknowledged."""
        token = secrets.token_urlsafe(90) + ".AO-J1O" + secrets.token_urlsafe(40)
        self.subscriptions[(package, token)] = {
            "kind": "androidpublisher#subscriptionPurchaseV2",
            "regionCode": "US",
            "startTime": _rfc3339(time.time()),
            "subscriptionState": "SUBSCRIPTION_STATE_ACTIVE",
            "latestOrderId": f"GPA.3300-{next(_orders):04d}-0000-00000",
            "acknowledgementState": "ACKNOWLEDGEMENT_STATE_PENDING",
            "lineItems": [
                {
                    "productId": product_id,
                    "expiryTime": _rfc3339(time.time() + days * 86400),
                    "autoRenewingPlan": {"autoRenewEnabled": True},
                }
            ],
        }
        return token

    def subscription_move(self, token: str, state: str, *, expires_in: float, auto_renew: bool = True) -> None:
        """Play moved the subscription on (renewed, in grace, on hold, canceled, expired): its
        ``subscriptionState`` and its line item's ``expiryTime`` ``expires_in`` seconds from now."""
        with self.lock:
            subscription = self.subscriptions[(PACKAGE, token)]
            subscription["subscriptionState"] = state
            item = subscription["lineItems"][0]
            item["expiryTime"] = _rfc3339(time.time() + expires_in)
            item["autoRenewingPlan"] = {"autoRenewEnabled": auto_renew}

    def subscription(self, token: str) -> dict:
        with self.lock:
            return json.loads(json.dumps(self.subscriptions[(PACKAGE, token)]))

    def subscription_call(self, method: str, parts: list[str]) -> tuple[int, dict | None]:
        package = unquote(parts[0])
        if method == "GET" and len(parts) == 5 and parts[1:4] == ["purchases", "subscriptionsv2", "tokens"]:
            token = unquote(parts[4])
        elif method == "POST" and len(parts) == 6 and parts[1:3] == ["purchases", "subscriptions"]:
            token = unquote(parts[5])
        else:
            return 404, _error(404, "Not found.", "notFound")
        if (package, token) not in self.subscriptions:
            return 400, _error(400, "The purchase token is invalid.", "purchaseTokenInvalid")
        if method == "POST":
            with self.lock:
                self.subscriptions[(package, token)]["acknowledgementState"] = "ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED"
            return 204, None
        return 200, self.subscription(token)

    def purchase_call(self, method: str, path: str) -> tuple[int, dict | None]:
        acknowledge = method == "POST" and path.endswith(":acknowledge")
        parts = path.removeprefix(API_PREFIX).removesuffix(":acknowledge").split("/")
        if path.startswith(API_PREFIX) and len(parts) > 2 and parts[2] in ("subscriptionsv2", "subscriptions"):
            return self.subscription_call(method, parts)
        if not path.startswith(API_PREFIX) or len(parts) != 6 or parts[1:3] != ["purchases", "products"]:
            return 404, _error(404, "Not found.", "notFound")
        package, product_id, token = unquote(parts[0]), unquote(parts[3]), unquote(parts[5])
        purchase = self.purchases.get((package, product_id, token))
        if purchase is None:
            return 400, _error(400, "The purchase token is invalid.", "purchaseTokenInvalid")
        if acknowledge:
            purchase["acknowledgementState"] = 1
            return 204, None
        return 200, dict(purchase)

    # --- refund reviews (orders.reviewrefund) -----------------------------------------------

    def chargeback(self, order_id: str) -> str:
        """A buyer's bank charged an order back and Play asks the developer: the review's token (as
        the pendingRefundReviewNotification carries it)."""
        token = secrets.token_urlsafe(60)
        self.pending_refunds[token] = order_id
        return token

    def review_refund_call(self, path: str, raw: str) -> tuple[int, dict | None]:
        """``POST .../orders/{orderId}:reviewrefund``: an OrdersReviewRefundRequest for a pending
        review of that order; Google records the first and answers later ones OK without recording."""
        parts = path.removeprefix(API_PREFIX).removesuffix(":reviewrefund").split("/")
        if not path.startswith(API_PREFIX) or len(parts) != 3 or parts[1] != "orders" or unquote(parts[0]) != PACKAGE:
            return 404, _error(404, "Not found.", "notFound")
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, _error(400, "Invalid JSON payload received.", "badRequest")
        order_id = unquote(parts[2])
        if not isinstance(body, dict) or self.pending_refunds.get(body.get("pendingRefundToken")) != order_id:
            return 400, _error(400, "The pending refund token is invalid.", "invalid")
        share = body.get("consumptionPercentageMilliunits")
        if (
            body.get("refundPreference") not in ("APPROVE", "DECLINE", "NEUTRAL")
            or not isinstance(body.get("sampleContentProvided"), bool)
            or (share is not None and not (type(share) is int and 0 <= share <= 100_000))
        ):
            return 400, _error(400, "Request contains an invalid argument.", "invalid")
        with self.lock:
            if any(order == order_id for order, _ in self.refund_reviews):
                self.refund_reviews_ignored += 1
            else:
                self.refund_reviews.append((order_id, body))
        return 200, {}

    # --- Pub/Sub push ------------------------------------------------------------------------

    def push_token(self, audience: str, *, email: str = PUSH_SERVICE_ACCOUNT, key=None, **claims) -> str:
        """The id token Pub/Sub puts in a push's ``Authorization: Bearer``, signed as Google signs it."""
        now = int(time.time())
        payload = {
            "iss": "https://accounts.google.com",
            "aud": audience,
            "azp": "100000000000000000002",
            "sub": "100000000000000000002",
            "email": email,
            "email_verified": True,
            "iat": now,
            "exp": now + 3600,
        } | claims
        signer = crypt.RSASigner.from_string(_private_pem(key or self.push_key), self.push_key_id)
        return google_jwt.encode(signer, payload).decode()


def _rfc3339(seconds: float) -> str:
    return (
        datetime.datetime.fromtimestamp(seconds, datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _error(code: int, message: str, reason: str) -> dict:
    status = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 404: "NOT_FOUND", 503: "UNAVAILABLE"}[code]
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "androidpublisher", "reason": reason}],
            "status": status,
        }
    }
