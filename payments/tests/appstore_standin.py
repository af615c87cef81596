"""A local stand-in for the App Store Server API, started by the tests, reached at Apple's own address.

Apple's library has no public setting for its address (it picks ``api.storekit-sandbox.apple.com``
or ``api.storekit.apple.com`` from the environment), and it calls ``requests``, which honours the
standard proxy and certificate variables. So the stand-in is what a corporate proxy in front of
Apple would be: the tests set ``HTTPS_PROXY`` to it and ``REQUESTS_CA_BUNDLE`` to its certificate
authority; it answers ``CONNECT api.storekit-sandbox.apple.com:443``, terminates TLS with a
certificate for that name (signed by its authority), and serves the API on the tunnel. The library
talks to it unchanged, as it talks to Apple.

It checks what Apple checks of a call
(https://developer.apple.com/documentation/appstoreserverapi/generating-json-web-tokens-for-api-requests):
``Authorization: Bearer`` a JWT signed ES256 with the In-App Purchase key whose public half it holds,
``kid`` that key's id, ``iss`` the issuer id, ``aud`` ``appstoreconnect-v1``, ``bid`` the app's
bundle id, ``exp`` not passed; else 401. ``PUT /inApps/v2/transactions/consumption/{transactionId}``
(Send Consumption Information) takes a ConsumptionRequest (customerConsented true, a known
deliveryStatus, sampleContentProvided, consumptionPercentage 0 to 100000, a known refundPreference),
answers 202 and records it; a body that is not one is Apple's 400 error body.
"""

import datetime
import ipaddress
import json
import ssl
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "api.storekit-sandbox.apple.com"
CONSUMPTION = "/inApps/v2/transactions/consumption/"
DELIVERY_STATUSES = {
    "DELIVERED",
    "UNDELIVERED_QUALITY_ISSUE",
    "UNDELIVERED_WRONG_ITEM",
    "UNDELIVERED_SERVER_OUTAGE",
    "UNDELIVERED_OTHER",
}
REFUND_PREFERENCES = {"DECLINE", "GRANT_FULL", "GRANT_PRORATED"}


def _ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool, dns: str | None = None):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if dns is not None:
        names = [x509.DNSName(dns), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


class AppStoreStandIn:
    def __init__(self, directory: Path, *, bundle_id: str) -> None:
        self.bundle_id = bundle_id
        self.iap_key = _ec_key()  # the In-App Purchase key: the studio holds it, Apple its public half
        self.key_id = "STANDIN01"
        self.issuer_id = str(uuid.uuid4())
        self.received: list[tuple[str, dict]] = []  # (transaction id, body) of each accepted answer
        self.refused: list[int] = []  # the status of each refused call
        self.fail_next = 0  # answer the next calls 500, as Apple does when it cannot take one
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)
        ca_key, tls_key = _ec_key(), _ec_key()
        ca = _certificate("Stand-in CA", ca_key, "Stand-in CA", ca_key, ca=True)
        leaf = _certificate(HOST, tls_key, "Stand-in CA", ca_key, ca=False, dns=HOST)
        self.ca_path = directory / "appstore-standin-ca.pem"
        self.ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        chain, key = directory / "appstore-standin-tls.pem", directory / "appstore-standin-tls.key"
        chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        key.write_bytes(_pem(tls_key))
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(chain, key)

    def private_key_pem(self) -> str:
        return _pem(self.iap_key).decode()

    def __enter__(self) -> "AppStoreStandIn":
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.standin = self
        self.proxy = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 10) -> list[tuple[str, dict]]:
        """The accepted answers once there are ``count`` (or what came within ``timeout``)."""
        with self._answered:
            self._answered.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)

    # What Apple checks of a call's bearer token.
    def authorized(self, header: str) -> bool:
        if not header.startswith("Bearer "):
            return False
        token = header.removeprefix("Bearer ")
        try:
            if jwt.get_unverified_header(token).get("kid") != self.key_id:
                return False
            claims = jwt.decode(
                token,
                self.iap_key.public_key(),
                algorithms=["ES256"],
                audience="appstoreconnect-v1",
                issuer=self.issuer_id,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError:
            return False
        return claims.get("bid") == self.bundle_id

    def answer(self, transaction_id: str, body) -> tuple[int, dict | None]:
        with self._answered:
            if self.fail_next:
                self.fail_next -= 1
                return 500, {"errorCode": 5000000, "errorMessage": "An unknown error occurred."}
            problem = _consumption_problem(body)
            if problem:
                return 400, {"errorCode": 4000000, "errorMessage": problem}
            self.received.append((transaction_id, body))
            self._answered.notify_all()
        return 202, None


def _consumption_problem(body) -> str:
    if not isinstance(body, dict):
        return "The request body is not a ConsumptionRequest."
    if body.get("customerConsented") is not True:
        return "customerConsented must be true."
    if not isinstance(body.get("sampleContentProvided"), bool):
        return "sampleContentProvided is required."
    if body.get("deliveryStatus") not in DELIVERY_STATUSES:
        return "Invalid delivery status."
    share = body.get("consumptionPercentage")
    if share is not None and not (type(share) is int and 0 <= share <= 100_000):
        return "Invalid consumption percentage."
    if body.get("refundPreference") is not None and body["refundPreference"] not in REFUND_PREFERENCES:
        return "Invalid refund preference."
    return ""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    @property
    def standin(self) -> AppStoreStandIn:
        return self.server.standin

    def do_CONNECT(self) -> None:
        if self.path != f"{HOST}:443":
            self.send_error(502, "The stand-in serves only the App Store Server API (sandbox).")
            return
        self.send_response(200, "Connection Established")
        self.end_headers()
        self.wfile.flush()
        # Serve the tunnel's requests over TLS as api.storekit-sandbox.apple.com.
        self.connection = self.standin.tls.wrap_socket(self.connection, server_side=True)
        self.rfile = self.connection.makefile("rb")
        self.wfile = self.connection.makefile("wb", buffering=0)
        self.close_connection = False

    def _reply(self, status: int, body: dict | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not isinstance(self.connection, ssl.SSLSocket) or not self.path.startswith(CONSUMPTION):
            self._reply(404, {"errorCode": 4040000, "errorMessage": "Not found."})
            return
        if not self.standin.authorized(self.headers.get("Authorization", "")):
            self.standin.refused.append(401)
            self._reply(401)
            return
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        status, answer = self.standin.answer(self.path.removeprefix(CONSUMPTION), body)
        if status != 202:
            self.standin.refused.append(status)
        self._reply(status, answer)
