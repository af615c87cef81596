"""The one module that talks to Stripe, through its official library's public API.

``StripeClient(base_addresses={"api": STRIPE_API_BASE})`` sends every call to Stripe, or to
the local stand-in a test starts; ``stripe.Webhook.construct_event`` checks a webhook's
``Stripe-Signature`` (HMAC-SHA256 of ``"{t}.{payload}"`` with the endpoint's secret, and the
timestamp within the library's tolerance of 5 minutes, so an old delivery cannot be replayed).
"""

import json

import stripe
from django.conf import settings

from gameplatform.errors import ApplicationError, NotFound

# The library retries a call that failed on the network (with the same idempotency key).
NETWORK_RETRIES = 2


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
        event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except stripe.SignatureVerificationError as exc:
        raise ApplicationError("The Stripe-Signature header does not match.", code="bad_signature") from exc
    except ValueError as exc:  # signed, yet not an event (JSON the library cannot read)
        raise ApplicationError("The webhook's body is not a Stripe event.", code="invalid") from exc
    return event.to_dict()
