"""Stripe subscriptions: Checkout in subscription mode, then Stripe's webhooks carry the
subscription through its life, and the player's premium follows it exactly; every event applied
once, in whatever order, at once on two connections too."""

import random
import time
from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import User
from conftest import requires_postgres
from gameplatform.testhelpers import run_at_once
from payments.models import Entitlement, StoreEvent, Subscription
from payments.selectors import entitlement_held
from payments.subscriptions import graces_end
from payments.tests.conftest import deliver

pytestmark = pytest.mark.django_db
SUBSCRIPTIONS = "/api/payments/subscriptions/"


def applied(events: list[dict]) -> list[str]:
    outcomes = []
    for event in events:
        response = deliver(event)
        assert response.status_code == 200, response.content
        outcomes.append(response.json()["outcome"])
    return outcomes


def premium(user) -> tuple[bool, datetime | None]:
    user = User.objects.get(pk=user.pk)
    return user.is_premium, user.premium_until


def at(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp, tz=UTC)


@pytest.fixture
def subscribed(alice, products, stripe, checkout):
    """Alice bought the monthly premium: the Stripe subscription's id."""
    events = stripe.subscribe(checkout(alice, "premium-monthly"))
    applied(events)
    return events[0]["data"]["object"]["subscription"]


def test_products_list_a_subscription_with_its_period_and_entitlement(api_client, products, stripe):
    listed = {p["id"]: p for p in api_client.get("/api/payments/products/").json()["results"]}
    monthly = listed["premium-monthly"]
    assert (monthly["kind"], monthly["period"], monthly["entitlement"]) == ("subscription", "P1M", "premium")
    assert monthly["grants"] == {"entitlement": "premium", "period": "P1M"}


def test_checkout_of_a_subscription_is_stripe_checkout_in_subscription_mode(alice, products, stripe, checkout):
    checkout(alice, "premium-monthly")
    params = stripe.requests[-1]["params"]
    assert params["mode"] == "subscription"
    assert params["line_items"][0]["price_data"]["recurring"] == {"interval": "month", "interval_count": "1"}
    assert params["subscription_data"]["metadata"] == {"product_id": "premium-monthly", "user_id": str(alice.pk)}


def test_a_subscription_bought_renewed_failing_in_grace_cancelled_and_expiring(client_for, alice, subscribed, stripe):
    """The player sees premium while the subscription is paid or in grace, and not once it ends."""
    client = client_for(alice)
    [listed] = client.get(SUBSCRIPTIONS).json()["results"]
    assert (listed["store"], listed["status"], listed["will_renew"]) == ("stripe", "active", True)
    assert premium(alice) == (True, at(stripe.period_end(subscribed)))

    assert applied(stripe.renew(subscribed)) == ["active", "unchanged"]
    assert premium(alice) == (True, at(stripe.period_end(subscribed)))

    assert applied(stripe.fail_renewal(subscribed)) == ["grace", "unchanged"]
    row = Subscription.objects.get()
    assert row.status == "grace" and premium(alice) == (True, row.grace_until)
    assert entitlement_held(user=alice, name="premium")

    applied(stripe.renew(subscribed))  # Stripe's retry paid
    cancelled = client.post(f"{SUBSCRIPTIONS}{row.pk}/cancel/")
    assert cancelled.status_code == 200, cancelled.content
    assert (cancelled.json()["status"], cancelled.json()["will_renew"]) == ("active", False)
    assert stripe.subscription(subscribed)["cancel_at_period_end"] is True
    assert premium(alice) == (True, at(stripe.period_end(subscribed)))  # runs to its period's end

    assert applied(stripe.end(subscribed)) == ["expired"]
    assert premium(alice) == (False, None)
    assert not entitlement_held(user=alice, name="premium")
    assert client.get(SUBSCRIPTIONS).json()["results"][0]["status"] == "expired"


def test_a_failed_renewal_past_its_grace_is_past_due_and_ends_premium(alice, subscribed, stripe, settings):
    settings.STRIPE_GRACE_DAYS = 0
    a_minute_ago = int(time.time()) - 60  # the renewal failed then; with no grace it is past due now
    assert applied(stripe.fail_renewal(subscribed, tried_at=a_minute_ago)) == ["past_due", "unchanged"]
    assert premium(alice) == (False, None)


def test_a_subscription_cancelled_at_once_is_cancelled_and_ends_premium(alice, subscribed, stripe):
    assert applied(stripe.end(subscribed, early=True)) == ["cancelled"]
    assert premium(alice) == (False, None)


def test_a_one_time_pass_outlives_a_subscription_that_ends(alice, subscribed, stripe, checkout):
    """Premium bought once (30 days) still runs when the subscription beside it ends."""
    session = checkout(alice, "premium-30d")
    applied([stripe.pay(session)])
    applied(stripe.end(subscribed, early=True))
    held, until = premium(alice)
    assert held and until == Entitlement.objects.get(user=alice).granted_until


def test_events_in_any_order_end_in_stripes_latest_state(alice, products, stripe, checkout):
    """A renewal delivered before the purchase's events: each applies Stripe's latest state."""
    bought = stripe.subscribe(checkout(alice, "premium-monthly"))
    sub_id = bought[0]["data"]["object"]["subscription"]
    renewed = stripe.renew(sub_id)
    outcomes = applied([*reversed(renewed), *reversed(bought)])
    assert outcomes[0] == "active" and set(outcomes[1:]) == {"unchanged"}
    assert premium(alice) == (True, at(stripe.period_end(sub_id)))


def test_a_repeated_event_changes_nothing(alice, subscribed, stripe):
    renewal = stripe.renew(subscribed)
    applied(renewal)
    assert applied(renewal) == ["duplicate", "duplicate"]
    assert Subscription.objects.count() == 1


def test_the_stores_own_subscriptions_and_others_cannot_be_cancelled_here(client_for, alice, bob, subscribed):
    row = Subscription.objects.get()
    assert client_for(bob).post(f"{SUBSCRIPTIONS}{row.pk}/cancel/").json()["code"] == "subscription_not_found"
    Subscription.objects.filter(pk=row.pk).update(store="apple")
    refused = client_for(alice).post(f"{SUBSCRIPTIONS}{row.pk}/cancel/")
    assert (refused.status_code, refused.json()["code"]) == (409, "cancel_in_store")


def test_the_customer_portal_opens_for_a_subscriber_only(client_for, alice, bob, subscribed, stripe):
    opened = client_for(alice).post("/api/payments/portal/")
    assert opened.status_code == 201, opened.content
    assert opened.json()["url"].startswith("https://billing.stripe.com/")
    assert stripe.requests[-1]["params"]["customer"] == stripe.subscription(subscribed)["customer"]
    assert client_for(bob).post("/api/payments/portal/").json()["code"] == "no_subscription"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_subscriptions_events_at_once_and_twice_apply_once_to_stripes_latest(make_user, products, stripe, client_for):
    """Every event of a subscription's life, each delivered twice, all at once in a shuffled order
    on separate connections: one subscription, each event recorded once, premium until Stripe's
    latest period's end."""
    alice = make_user("alice")
    response = client_for(alice).post("/api/payments/checkout/", {"product_id": "premium-monthly"})
    bought = stripe.subscribe(response.json()["session_id"])
    sub_id = bought[0]["data"]["object"]["subscription"]
    events = [*bought, *stripe.fail_renewal(sub_id), *stripe.renew(sub_id)]
    deliveries = events * 2
    random.Random(7).shuffle(deliveries)
    results = run_at_once(*[lambda e=e: deliver(e).status_code for e in deliveries])
    assert results == [200] * len(deliveries)
    assert StoreEvent.objects.count() == len(events)
    row = Subscription.objects.get()
    assert (row.status, row.user_id) == ("active", alice.pk)
    assert premium(alice) == (True, at(stripe.period_end(sub_id)))


def test_premium_without_an_end_is_held_and_outlives_a_subscription(alice, subscribed, stripe):
    """An operator's premium without an end (on the account) holds the entitlement, and the
    subscription ending beside it takes nothing away."""
    User.objects.filter(pk=alice.pk).update(is_premium=True, premium_until=None)
    applied(stripe.end(subscribed, early=True))
    assert premium(alice) == (True, None)
    assert entitlement_held(user=alice, name="premium")


def test_a_grace_that_ends_without_a_word_from_the_store_is_past_due(alice, subscribed, stripe, client_for):
    """The renewal failed and Stripe said no more: once the grace is over, the listed status is
    ``past_due`` (premium ended on time already: it was held until the grace's end)."""
    assert applied(stripe.fail_renewal(subscribed)) == ["grace", "unchanged"]
    row = Subscription.objects.get()
    assert graces_end(now=row.grace_until - timedelta(seconds=1)) == 0  # still in grace
    assert graces_end(now=row.grace_until) == 1
    row.refresh_from_db()
    assert (row.status, row.grace_until) == ("past_due", None)
    listed = client_for(alice).get(SUBSCRIPTIONS).json()["results"][0]
    assert listed["status"] == "past_due"
    assert not entitlement_held(user=alice, name="premium")
    assert graces_end(now=row.updated_at + timedelta(days=30)) == 0  # moved once
