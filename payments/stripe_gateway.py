"""The one module that talks to Stripe, through its official library's public API.

``StripeClient(base_addresses={"api": STRIPE_API_BASE})`` sends every call to Stripe, or to
the local stand-in a test starts; ``stripe.Webhook.construct_event`` checks a webhook's
``Stripe-Signature`` (HMAC-SHA256 of ``"{t}.{payload}"`` with the endpoint's secret, and the
timestamp no older than the tolerance, so an old delivery cannot be replayed). The library does
not bound the timestamp the other way; ``event_verify`` does: a delivery stamped further ahead
than the tolerance is refused too (a signature made ahead of time would otherwise be good for as
long as its stamp is ahead, plus the tolerance).
"""

import json
import time

import stripe
from django.conf import settings

from gameplatform.core.errors import ApplicationError, NotFound

# The library retries a call that failed on the network (with the same idempotency key).
NETWORK_RETRIES = 2

# How far a webhook's signed timestamp may be from this server's clock, either way: Stripe's
# default, the library's own (seconds).
SIGNATURE_TOLERANCE = stripe.Webhook.DEFAULT_TOLERANCE


def stripe_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)


def stripe_require() -> None:
    if not stripe_configured():
        raise NotFound("Payments with Stripe are not configured on this server.", code="not_configured")


def _client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=NETWORK_RETRIES,
    )


def checkout_session_create(*, params: dict) -> tuple[str, str]:
    """A Checkout session (``POST /v1/checkout/sessions``): its ``(id, url)``.

    Stripe refusing or not answering is a 502 ``payment_provider_error`` (nothing was sold)."""
    try:
        session = _client().v1.checkout.sessions.create(params=params)
    except stripe.StripeError as exc:
        raise ApplicationError(
            f"Stripe did not create the checkout session: {exc.user_message or type(exc).__name__}",
            code="payment_provider_error",
            status_code=502,
        ) from exc
    return session.id, session.url


def event_verify(*, payload: bytes, signature: str) -> dict:
    """The webhook's event as a dict, once its signature checks out; 400 ``bad_signature`` otherwise.

    A body that is not a JSON object is no Stripe event, signed or not: 400 ``invalid`` before the
    check (the library's event builder assumes an object)."""
    try:
        body = json.loads(payload)
    except ValueError:  # not JSON, or not UTF-8
        body = None
    if not isinstance(body, dict):
        raise ApplicationError("The webhook's body is not a Stripe event.", code="invalid")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=SIGNATURE_TOLERANCE
        )
    except stripe.SignatureVerificationError as exc:
        raise ApplicationError("The Stripe-Signature header does not match.", code="bad_signature") from exc
    except ValueError as exc:  # signed, yet not an event (JSON the library cannot read)
        raise ApplicationError("The webhook's body is not a Stripe event.", code="invalid") from exc
    if _stamped_ahead(signature, now=time.time()):
        raise ApplicationError(
            f"The Stripe-Signature header's timestamp is more than {SIGNATURE_TOLERANCE} seconds ahead.",
            code="bad_signature",
        )
    return event.to_dict()


def _stamped_ahead(header: str, *, now: float) -> bool:
    """Whether a timestamp (``t=``) of a ``Stripe-Signature`` header is further ahead of ``now``
    than the tolerance. Stripe sends one; the library signs with the first. Every one is looked
    at, read as the library reads them (``t=<integer>``), so no second ``t`` hides the signed one."""
    for item in header.split(","):
        key, *value = item.split("=")
        if key.strip() != "t" or not value:
            continue
        try:
            stamp = int(value[0])
        except ValueError:
            continue
        if stamp > now + SIGNATURE_TOLERANCE:
            return True
    return False


def _call(what: str, call):
    """A Stripe API call; Stripe refusing or not answering is a 502 ``payment_provider_error``."""
    try:
        return call(_client())
    except stripe.StripeError as exc:
        raise ApplicationError(
            f"Stripe did not {what}: {exc.user_message or type(exc).__name__}",
            code="payment_provider_error",
            status_code=502,
        ) from exc


def subscription_retrieve(*, subscription_id: str) -> dict:
    """``GET /v1/subscriptions/{id}``: the subscription as Stripe holds it now (events may come in
    any order; the state applied is always Stripe's latest)."""
    return _call("return the subscription", lambda c: c.v1.subscriptions.retrieve(subscription_id)).to_dict()


def subscription_stop_renewing(*, subscription_id: str) -> dict:
    """``POST /v1/subscriptions/{id}`` with ``cancel_at_period_end``: it runs to its period's end."""
    return _call(
        "cancel the subscription",
        lambda c: c.v1.subscriptions.update(subscription_id, params={"cancel_at_period_end": True}),
    ).to_dict()


def portal_session_create(*, customer_id: str, return_url: str) -> str:
    """``POST /v1/billing_portal/sessions``: the customer portal's address for this customer."""
    session = _call(
        "open the customer portal",
        lambda c: c.v1.billing_portal.sessions.create(params={"customer": customer_id, "return_url": return_url}),
    )
    return session.url
