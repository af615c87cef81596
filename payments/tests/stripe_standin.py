"""A local stand-in for Stripe, started by the tests: its API's Checkout sessions, and webhook
events signed as Stripe signs them.

The stand-in answers ``POST /v1/checkout/sessions`` as Stripe does (a form-encoded body with
nested ``a[b][c]`` keys, a bearer secret key, a JSON session object back), so the stripe library
parses its answer unchanged. Webhook deliveries carry ``Stripe-Signature: t=<unix time>,v1=<hex
HMAC-SHA256 of "<t>.<payload>" keyed with the endpoint's secret>``, Stripe's documented scheme.
"""

import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

SECRET_KEY = "sk_test_standin"
WEBHOOK_SECRET = "whsec_standin"
API_VERSION = "2026-01-28.clover"

_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    return f"{prefix}_test_{next(_ids):06d}{secrets.token_hex(6)}"


def nested(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding back to objects: ``line_items[0][price_data][unit_amount]=499``."""
    root: dict = {}
    for key, value in pairs:
        head, *rest = key.replace("]", "").split("[")
        node, parts = root, [head, *rest]
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node):
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_lists(node[key]) for key in sorted(node, key=int)]
    return {key: _lists(value) for key, value in node.items()}


class StripeStandIn:
    def __init__(self, *, local_checkout: bool = False) -> None:
        """``local_checkout``: the sessions' ``url`` is a page this stand-in serves (for a browser
        test that follows it) rather than Stripe's own address."""
        self.sessions: dict[str, dict] = {}
        self.local_checkout = local_checkout
        self.requests: list[dict] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                params = nested(parse_qsl(body, keep_blank_values=True))
                standin.requests.append({"path": self.path, "headers": dict(self.headers), "params": params})
                if self.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
                    return self.answer(401, _error("Invalid API Key provided.", "invalid_request_error"))
                if self.path != "/v1/checkout/sessions":
                    return self.answer(
                        404, _error(f"Unrecognized request URL (POST: {self.path}).", "invalid_request_error")
                    )
                self.answer(200, standin.create_session(params))

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                session = standin.sessions.get(self.path.removeprefix("/c/pay/"))
                if session is None:
                    return self.answer(404, _error("No such checkout page.", "invalid_request_error"))
                page = f"<!doctype html><title>Stripe Checkout (stand-in)</title><h1>Pay {session['id']}</h1>"
                data = page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", new_id("req"))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "StripeStandIn":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def create_session(self, params: dict) -> dict:
        session_id = new_id("cs")
        items = params.get("line_items") or []
        amount = sum(int(i["price_data"]["unit_amount"]) * int(i.get("quantity", 1)) for i in items)
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_total": amount,
            "client_reference_id": params.get("client_reference_id"),
            "currency": items[0]["price_data"]["currency"] if items else "usd",
            "livemode": False,
            "metadata": params.get("metadata") or {},
            "mode": params.get("mode"),
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "url": f"{self.base if self.local_checkout else 'https://checkout.stripe.com'}/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return session

    # --- what Stripe sends after the buyer paid, was refunded, disputed ------------------

    def pay(self, session_id: str) -> dict:
        """The buyer paid: the session is complete; its ``checkout.session.completed`` event."""
        session = self.sessions[session_id]
        session.update(status="complete", payment_status="paid", payment_intent=new_id("pi"))
        return event("checkout.session.completed", dict(session))

    def refund(self, session_id: str, *, whole: bool = True) -> dict:
        session = self.sessions[session_id]
        amount = session["amount_total"]
        charge = {
            "id": new_id("ch"),
            "object": "charge",
            "amount": amount,
            "amount_refunded": amount if whole else amount // 2,
            "currency": session["currency"],
            "payment_intent": session["payment_intent"],
            "refunded": whole,
        }
        return event("charge.refunded", charge)

    def dispute_closed(self, session_id: str, *, status: str = "lost") -> dict:
        session = self.sessions[session_id]
        dispute = {
            "id": new_id("dp"),
            "object": "dispute",
            "amount": session["amount_total"],
            "charge": new_id("ch"),
            "currency": session["currency"],
            "payment_intent": session["payment_intent"],
            "status": status,
        }
        return event("charge.dispute.closed", dispute)


def _error(message: str, kind: str) -> dict:
    return {"error": {"message": message, "type": kind}}


def event(event_type: str, obj: dict) -> dict:
    return {
        "id": new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def signed(event_body: dict, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> tuple[bytes, str]:
    """The delivery's body and its ``Stripe-Signature`` header, as Stripe makes them."""
    payload = json.dumps(event_body, indent=2)
    timestamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return payload.encode(), f"t={timestamp},v1={mac}"
