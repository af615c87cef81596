"""The catalog and Stripe Checkout, against the local stand-in of Stripe's API."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_products_list_what_can_be_bought_with_what_it_grants(stripe, products):
    body = APIClient().get("/api/payments/products/").json()
    assert body["results"] == [
        {
            "id": "gems-100",
            "name": "100 gems",
            "kind": "gems",
            "price": 199,
            "currency": "usd",
            "grants": {"gems": 100},
            "period": "",
            "entitlement": "",
        },
        {
            "id": "premium-30d",
            "name": "Premium for 30 days",
            "kind": "premium",
            "price": 499,
            "currency": "usd",
            "grants": {"premium_days": 30},
            "period": "",
            "entitlement": "",
        },
        {
            "id": "premium-monthly",
            "name": "Premium, monthly",
            "kind": "subscription",
            "price": 499,
            "currency": "usd",
            "grants": {"entitlement": "premium", "period": "P1M"},
            "period": "P1M",
            "entitlement": "premium",
        },
    ]


def test_checkout_returns_stripes_url_for_a_session_naming_the_buyer_and_product(client_for, alice, stripe, products):
    response = client_for(alice).post("/api/payments/checkout/", {"product_id": "premium-30d"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {"url": f"https://checkout.stripe.com/c/pay/{body['session_id']}", "session_id": body["session_id"]}
    [sent] = stripe.requests
    assert sent["path"] == "/v1/checkout/sessions"
    params = sent["params"]
    assert params["client_reference_id"] == str(alice.pk)
    assert params["metadata"] == {"product_id": "premium-30d"}
    assert params["mode"] == "payment"
    assert params["line_items"] == [
        {
            "quantity": "1",
            "price_data": {"currency": "usd", "unit_amount": "499", "product_data": {"name": "Premium for 30 days"}},
        }
    ]
    assert params["success_url"].startswith("http://testserver/play/?checkout=success")


def test_checkout_of_an_unknown_product_is_404_and_asks_stripe_nothing(client_for, alice, stripe, products):
    response = client_for(alice).post("/api/payments/checkout/", {"product_id": "gold-bar"})
    assert response.status_code == 404
    assert response.json()["code"] == "product_not_found"
    assert stripe.requests == []


def test_checkout_needs_a_signed_in_player(stripe, products):
    response = APIClient().post("/api/payments/checkout/", {"product_id": "gems-100"}, format="json")
    assert response.status_code == 401


def test_stripe_refusing_the_session_is_a_502_not_a_500(client_for, alice, stripe, products, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_wrong"
    response = client_for(alice).post("/api/payments/checkout/", {"product_id": "gems-100"})
    assert response.status_code == 502
    assert response.json()["code"] == "payment_provider_error"


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/payments/products/"),
        ("post", "/api/payments/checkout/"),
        ("post", "/api/payments/stripe/webhook/"),
        ("get", "/api/payments/purchases/"),
    ],
)
def test_without_stripes_settings_every_payment_route_is_404_not_configured(client_for, alice, settings, method, path):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    response = getattr(client_for(alice), method)(path, {"product_id": "gems-100"} if method == "post" else None)
    assert response.status_code == 404
    assert response.json()["code"] == "not_configured"


@pytest.mark.parametrize("product_id", ["gems\u0000100", 100, None, "x" * 65])
def test_a_bad_product_id_is_400_naming_the_field(client_for, alice, stripe, products, product_id):
    response = client_for(alice).post("/api/payments/checkout/", {"product_id": product_id}, format="json")
    assert response.status_code == 400
    assert "product_id" in str(response.json())  # the field is named (the kit says NUL in its own words)
    assert stripe.requests == []
