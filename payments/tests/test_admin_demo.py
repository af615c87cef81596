"""The demo catalog, and what the admin shows of products, purchases and store events."""

import io

import pytest
from django.core.management import call_command

from payments.models import Product
from payments.tests.conftest import deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def test_seed_demo_creates_the_premium_gem_and_subscription_products():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # idempotent
    assert {p.pk: p.grants for p in Product.objects.all()} == {
        "premium-30d": {"premium_days": 30},
        "gems-100": {"gems": 100},
        "premium-monthly": {"entitlement": "premium", "period": "P1M"},
    }
    call_command("seed_demo", "--clear", stdout=io.StringIO())
    assert Product.objects.count() == 3


def test_the_admin_shows_a_users_purchases_on_their_page(admin_client, alice, stripe, checkout, products):
    session_id = checkout(alice, "gems-100")
    deliver(stripe.pay(session_id))
    page = admin_client.get(f"/admin/accounts/user/{alice.pk}/change/").content.decode()
    assert session_id in page and "100 gems" in page
    for name in ["product", "purchase", "storeevent", "storepayment"]:
        assert admin_client.get(f"/admin/payments/{name}/").status_code == 200


def test_the_admin_lists_refunds_whose_gems_were_spent(admin_client, alice, stripe, checkout, products):
    from progression.services import player_grant

    session_id = checkout(alice, "gems-100")
    deliver(stripe.pay(session_id))
    player_grant(user=alice, reason="purchase", gems=-100)
    deliver(stripe.refund(session_id))
    listed = admin_client.get("/admin/payments/purchase/?unrecovered=yes").content.decode()
    assert "refunded after the gems were spent" in listed and ">90<" in listed


def test_the_admin_lists_refunds_still_waiting_for_their_purchase(admin_client, alice, stripe, checkout, products):
    waiting, done = checkout(alice, "gems-100"), checkout(alice, "gems-100")
    stripe.pay(waiting)
    deliver(stripe.refund(waiting))  # its purchase has not come
    deliver(stripe.pay(done))
    deliver(stripe.refund(done))
    listed = admin_client.get("/admin/payments/storepayment/?waiting=yes").content.decode()
    payment_of = {session: stripe.sessions[session]["payment_intent"] for session in (waiting, done)}
    assert payment_of[waiting] in listed and payment_of[done] not in listed


def test_the_admin_lists_subscriptions_and_entitlements(admin_client, alice, stripe, checkout, products):
    for event in stripe.subscribe(checkout(alice, "premium-monthly")):
        deliver(event)
    for name, shown in [("subscription", "Premium, monthly"), ("entitlement", "premium")]:
        page = admin_client.get(f"/admin/payments/{name}/")
        assert page.status_code == 200 and shown in page.content.decode() and "alice" in page.content.decode()
