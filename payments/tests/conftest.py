"""The Stripe stand-in, the catalog, and a way to deliver webhook events as Stripe does."""

import pytest
from rest_framework.test import APIClient

from payments.models import Product
from payments.tests import stripe_standin
from payments.tests.stripe_standin import StripeStandIn, signed

WEBHOOK = "/api/payments/stripe/webhook/"


@pytest.fixture
def stripe(settings):
    """A running stand-in of Stripe's API, and the server configured to use it."""
    with StripeStandIn() as standin:
        settings.STRIPE_SECRET_KEY = stripe_standin.SECRET_KEY
        settings.STRIPE_WEBHOOK_SECRET = stripe_standin.WEBHOOK_SECRET
        settings.STRIPE_API_BASE = standin.base
        yield standin


@pytest.fixture
def products(db):
    return {
        "premium-30d": Product.objects.create(
            id="premium-30d", name="Premium for 30 days", kind="premium", price=499, premium_days=30
        ),
        "gems-100": Product.objects.create(id="gems-100", name="100 gems", kind="gems", price=199, gems=100),
        "premium-monthly": Product.objects.create(
            id="premium-monthly",
            name="Premium, monthly",
            kind="subscription",
            price=499,
            period="P1M",
            entitlement="premium",
        ),
    }


def deliver(event: dict, **signing):
    """POST one webhook delivery, signed (by default) with the endpoint's secret; the answer."""
    payload, signature = signed(event, **signing)
    return APIClient().post(WEBHOOK, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)


@pytest.fixture
def checkout(client_for, stripe):
    """Start a checkout as ``user`` for a product: the session's id (the stand-in holds it)."""

    def start(user, product_id: str) -> str:
        response = client_for(user).post("/api/payments/checkout/", {"product_id": product_id})
        assert response.status_code == 201, response.content
        return response.json()["session_id"]

    return start


@pytest.fixture
def apple(settings, tmp_path):
    """A certificate chain of the test's own, its root the one the server trusts (Sandbox)."""
    from payments.tests.apple_chain import BUNDLE_ID, AppleChain

    chain = AppleChain()
    root = tmp_path / "root.pem"
    root.write_bytes(chain.root_pem())
    settings.APPLE_ROOT_CERTIFICATES = [str(root)]
    settings.APPLE_BUNDLE_ID = BUNDLE_ID
    settings.APPLE_ENVIRONMENT = "Sandbox"
    settings.APPLE_ONLINE_CHECKS = False  # nothing reaches Apple's OCSP responders from the tests
    return chain


GOOGLE_PUSH_AUDIENCE = "https://game.example.com/api/payments/google/notifications/"


@pytest.fixture
def google(settings, tmp_path):
    """A running stand-in of Google (token endpoint, Play Developer API, push certificates), and
    the server configured with a service account key whose token endpoint is the stand-in's."""
    import json

    from payments.tests.google_standin import PACKAGE, PUSH_SERVICE_ACCOUNT, GoogleStandIn

    with GoogleStandIn() as standin:
        key = tmp_path / "play-service-account.json"
        key.write_text(json.dumps(standin.service_account_key()))
        settings.GOOGLE_PLAY_PACKAGE = PACKAGE
        settings.GOOGLE_PLAY_SERVICE_ACCOUNT = str(key)
        settings.GOOGLE_PLAY_API_BASE = standin.base
        settings.GOOGLE_PLAY_PUSH_AUDIENCE = GOOGLE_PUSH_AUDIENCE
        settings.GOOGLE_PLAY_PUSH_SERVICE_ACCOUNT = PUSH_SERVICE_ACCOUNT
        settings.GOOGLE_PLAY_PUSH_CERTS_URL = standin.base + "certs"
        yield standin
