"""A local stand-in for Stripe, started by the tests: its API's Checkout sessions, and webhook
events signed as Stripe signs them.

Stripe Billing too: Checkout in subscription mode makes a subscription (``GET /v1/subscriptions/{id}``
returns it as it is now, ``POST /v1/subscriptions/{id}`` updates ``cancel_at_period_end``), and
``POST /v1/billing_portal/sessions`` opens the customer portal; ``subscribe``, ``renew``,
``fail_renewal`` and ``end`` move a subscription through its life and return the events Stripe
sends for each step (the current period on the subscription's items, as API versions since
2025-03-31 put it).

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
        self.subscriptions: dict[str, dict] = {}
        self.lock = threading.Lock()
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
                if self.path == "/v1/checkout/sessions":
                    return self.answer(200, standin.create_session(params))
                if self.path == "/v1/billing_portal/sessions":
                    return self.answer(200, standin.portal_session(params))
                if self.path.startswith("/v1/subscriptions/"):
                    return self.answer(
                        *standin.subscription_update(self.path.removeprefix("/v1/subscriptions/"), params)
                    )
                self.answer(404, _error(f"Unrecognized request URL (POST: {self.path}).", "invalid_request_error"))

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self.path.startswith("/v1/"):
                    standin.requests.append({"path": self.path, "headers": dict(self.headers), "params": {}})
                    if self.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
                        return self.answer(401, _error("Invalid API Key provided.", "invalid_request_error"))
                    subscription = standin.subscriptions.get(self.path.removeprefix("/v1/subscriptions/"))
                    if subscription is None:
                        return self.answer(404, _error("No such subscription.", "invalid_request_error"))
                    with standin.lock:
                        return self.answer(200, json.loads(json.dumps(subscription)))
                if self.path.startswith("/p/session/"):
                    page = "<!doctype html><title>Stripe customer portal (stand-in)</title><h1>Billing</h1>"
                else:
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
            "subscription": None,
            "subscription_data": params.get("subscription_data") or {},
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

    # --- Stripe Billing ------------------------------------------------------------------

    def subscribe(self, session_id: str, *, period_days: int = 30) -> list[dict]:
        """The buyer paid a subscription's Checkout: the subscription, active for its first
        period; the events Stripe sends (session completed, subscription created, invoice paid)."""
        session = self.sessions[session_id]
        now = int(time.time())
        subscription = {
            "id": new_id("sub"),
            "object": "subscription",
            "customer": new_id("cus"),
            "status": "active",
            "cancel_at_period_end": False,
            "ended_at": None,
            "metadata": session["subscription_data"].get("metadata") or {},
            "items": {
                "object": "list",
                "data": [
                    {"id": new_id("si"), "current_period_start": now, "current_period_end": now + period_days * 86400}
                ],
            },
        }
        self.subscriptions[subscription["id"]] = subscription
        session.update(status="complete", payment_status="paid", subscription=subscription["id"])
        return [
            event("checkout.session.completed", dict(session)),
            event("customer.subscription.created", self.subscription(subscription["id"])),
            event("invoice.paid", self._invoice(subscription, paid=True)),
        ]

    def subscription(self, subscription_id: str) -> dict:
        with self.lock:
            return json.loads(json.dumps(self.subscriptions[subscription_id]))

    def period_end(self, subscription_id: str) -> int:
        return self.subscriptions[subscription_id]["items"]["data"][0]["current_period_end"]

    def _new_period(self, subscription: dict, *, days: int = 30, started: int | None = None) -> None:
        """A new period from ``started`` (now by default): always a later start than the last one, so
        two renewals within one second are still two periods, as they are at Stripe."""
        item = subscription["items"]["data"][0]
        start = started if started is not None else max(int(time.time()), item["current_period_start"] + 1)
        item.update(current_period_start=start, current_period_end=start + days * 86400)

    def _invoice(self, subscription: dict, *, paid: bool) -> dict:
        return {
            "id": new_id("in"),
            "object": "invoice",
            "customer": subscription["customer"],
            "status": "paid" if paid else "open",
            "parent": {"type": "subscription_details", "subscription_details": {"subscription": subscription["id"]}},
        }

    def renew(self, subscription_id: str) -> list[dict]:
        """The period came round and the card paid: a new period; invoice paid, subscription updated."""
        with self.lock:
            subscription = self.subscriptions[subscription_id]
            self._new_period(subscription)
            subscription["status"] = "active"
        return [
            event("invoice.paid", self._invoice(subscription, paid=True)),
            event("customer.subscription.updated", self.subscription(subscription_id)),
        ]

    def fail_renewal(self, subscription_id: str, *, tried_at: int | None = None) -> list[dict]:
        """The period came round (at ``tried_at``, now by default) and the card was declined: Stripe
        starts the new period, marks the subscription ``past_due`` and retries; invoice payment
        failed, subscription updated."""
        with self.lock:
            subscription = self.subscriptions[subscription_id]
            self._new_period(subscription, started=tried_at)
            subscription["status"] = "past_due"
        return [
            event("invoice.payment_failed", self._invoice(subscription, paid=False)),
            event("customer.subscription.updated", self.subscription(subscription_id)),
        ]

    def end(self, subscription_id: str, *, early: bool = False) -> list[dict]:
        """The subscription ends: at its period's end (the period ran out: it is over now), or
        ``early`` (cancelled at once from the Dashboard); subscription deleted."""
        with self.lock:
            subscription = self.subscriptions[subscription_id]
            now = int(time.time())
            if not early:
                subscription["items"]["data"][0]["current_period_end"] = now
            subscription.update(status="canceled", ended_at=now)
        return [event("customer.subscription.deleted", self.subscription(subscription_id))]

    def subscription_update(self, subscription_id: str, params: dict) -> tuple[int, dict]:
        if subscription_id not in self.subscriptions:
            return 404, _error("No such subscription.", "invalid_request_error")
        with self.lock:
            if "cancel_at_period_end" in params:
                self.subscriptions[subscription_id]["cancel_at_period_end"] = params["cancel_at_period_end"] == "true"
        return 200, self.subscription(subscription_id)

    def portal_session(self, params: dict) -> dict:
        page = f"/p/session/{new_id('test')}"
        return {
            "id": new_id("bps"),
            "object": "billing_portal.session",
            "customer": params.get("customer"),
            "return_url": params.get("return_url"),
            "url": f"{self.base}{page}" if self.local_checkout else f"https://billing.stripe.com{page}",
        }


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
