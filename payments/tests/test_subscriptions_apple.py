"""App Store auto-renewable subscriptions: the app redeems the first transaction, App Store Server
Notifications v2 (verified with Apple's library) carry it through its life; premium follows it
exactly, each notification applied once, older signed data never over newer."""

import time
from datetime import UTC, datetime

import pytest

from accounts.models import User
from conftest import requires_postgres
from gameplatform.testhelpers import run_at_once
from payments.models import Subscription

pytestmark = pytest.mark.django_db
DAY_MS = 86_400_000
ORIGINAL = "2000000123456789"


def now_ms() -> int:
    return int(time.time() * 1000)


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def premium(user):
    user = User.objects.get(pk=user.pk)
    return user.is_premium, user.premium_until


def notify(client, apple, kind, *, expires_ms, subtype=None, signed_ms=None, **renewal):
    """Deliver Apple's notification about the subscription; its outcome."""
    signed = {"signedDate": signed_ms} if signed_ms else {}
    transaction = apple.subscription_transaction("premium-monthly", ORIGINAL, expires_ms=expires_ms)
    info = apple.renewal_info("premium-monthly", ORIGINAL, **renewal)
    payload = apple.notification(kind, transaction, renewal=info, subtype=subtype, **signed)
    response = client.post("/api/payments/apple/notifications/", {"signedPayload": payload}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["outcome"]


def test_an_app_store_subscription_runs_its_life(api_client, client_for, alice, apple, products):
    """Bought, renewed, failing into grace, grace over, renewed, turned off, expired, refunded."""
    first_end = now_ms() + 30 * DAY_MS
    redeemed = client_for(alice).post(
        "/api/payments/apple/",
        {
            "signed_transaction": apple.subscription_transaction("premium-monthly", ORIGINAL, expires_ms=first_end),
            "product_id": "premium-monthly",
        },
        format="json",
    )
    assert redeemed.status_code == 200, redeemed.content
    assert redeemed.json()["subscription"]["status"] == "active"
    assert premium(alice) == (True, at(first_end))

    second_end = first_end + 30 * DAY_MS
    assert notify(api_client, apple, "DID_RENEW", expires_ms=second_end) == "active"
    assert premium(alice) == (True, at(second_end))

    grace_end = now_ms() + 6 * DAY_MS
    lapsed = now_ms() - 1000
    assert (
        notify(
            api_client,
            apple,
            "DID_FAIL_TO_RENEW",
            expires_ms=lapsed,
            subtype="GRACE_PERIOD",
            gracePeriodExpiresDate=grace_end,
            isInBillingRetryPeriod=True,
        )
        == "grace"
    )
    assert premium(alice) == (True, at(grace_end))

    assert notify(api_client, apple, "GRACE_PERIOD_EXPIRED", expires_ms=lapsed, isInBillingRetryPeriod=True) == (
        "past_due"
    )
    assert premium(alice) == (False, None)

    third_end = now_ms() + 30 * DAY_MS
    assert notify(api_client, apple, "DID_RENEW", expires_ms=third_end) == "active"
    assert (
        notify(
            api_client,
            apple,
            "DID_CHANGE_RENEWAL_STATUS",
            expires_ms=third_end,
            subtype="AUTO_RENEW_DISABLED",
            autoRenewStatus=0,
        )
        == "active"
    )
    row = Subscription.objects.get()
    assert (row.will_renew, premium(alice)) == (False, (True, at(third_end)))

    assert notify(api_client, apple, "EXPIRED", expires_ms=now_ms() - 1000, subtype="VOLUNTARY", autoRenewStatus=0) == (
        "expired"
    )
    assert premium(alice) == (False, None)


def test_a_refund_of_a_subscription_ends_premium_once(api_client, alice, apple, products, client_for):
    end = now_ms() + 30 * DAY_MS
    signed = apple.subscription_transaction("premium-monthly", ORIGINAL, expires_ms=end)
    client_for(alice).post("/api/payments/apple/", {"signed_transaction": signed, "product_id": "premium-monthly"})
    refunded = apple.subscription_transaction("premium-monthly", ORIGINAL, expires_ms=end, revocationDate=now_ms())
    payload = apple.notification("REFUND", refunded, renewal=apple.renewal_info("premium-monthly", ORIGINAL))
    post = lambda: api_client.post("/api/payments/apple/notifications/", {"signedPayload": payload}, format="json")  # noqa: E731
    assert post().json()["outcome"] == "refunded"
    assert post().json()["outcome"] == "duplicate"
    assert premium(alice) == (False, None)


def test_a_renewal_before_the_app_redeems_is_kept_for_the_player(api_client, client_for, alice, apple, products):
    """Apple's DID_RENEW arrives before the app presents the purchase: the subscription waits
    without an owner, and the redemption gives the player the renewed period, not the first."""
    first_end, renewed_end = now_ms() + DAY_MS, now_ms() + 31 * DAY_MS
    assert notify(api_client, apple, "DID_RENEW", expires_ms=renewed_end) == "active_unclaimed"
    signed = apple.subscription_transaction(
        "premium-monthly", ORIGINAL, expires_ms=first_end, signedDate=now_ms() - 60_000
    )
    response = client_for(alice).post(
        "/api/payments/apple/", {"signed_transaction": signed, "product_id": "premium-monthly"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert premium(alice) == (True, at(renewed_end))


def test_older_signed_data_never_overwrites_newer(api_client, client_for, alice, apple, products):
    end = now_ms() + 30 * DAY_MS
    assert notify(api_client, apple, "EXPIRED", expires_ms=now_ms() - 1000, signed_ms=now_ms()) == "expired_unclaimed"
    assert notify(api_client, apple, "SUBSCRIBED", expires_ms=end, signed_ms=now_ms() - 60_000) == "stale"
    assert Subscription.objects.get().status == "expired"


def test_another_player_cannot_redeem_a_redeemed_subscription(client_for, alice, bob, apple, products):
    signed = apple.subscription_transaction("premium-monthly", ORIGINAL, expires_ms=now_ms() + DAY_MS)
    body = {"signed_transaction": signed, "product_id": "premium-monthly"}
    assert client_for(alice).post("/api/payments/apple/", body, format="json").status_code == 200
    assert client_for(bob).post("/api/payments/apple/", body, format="json").json()["code"] == "already_redeemed"
    assert premium(bob) == (False, None)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_notifications_at_once_in_any_order_end_in_the_newest(make_user, apple, products, client_for):
    """An expiry signed last and three older renewals, all at once on separate connections: the
    subscription ends expired, whichever commits first."""
    from rest_framework.test import APIClient

    alice = make_user("alice")
    client_for(alice).post(
        "/api/payments/apple/",
        {
            "signed_transaction": apple.subscription_transaction(
                "premium-monthly", ORIGINAL, expires_ms=now_ms() + DAY_MS, signedDate=now_ms() - 120_000
            ),
            "product_id": "premium-monthly",
        },
        format="json",
    )
    base = now_ms() - 100_000
    calls = [
        lambda i=i: notify(APIClient(), apple, "DID_RENEW", expires_ms=now_ms() + (i + 2) * DAY_MS, signed_ms=base + i)
        for i in range(3)
    ]
    calls.append(lambda: notify(APIClient(), apple, "EXPIRED", expires_ms=now_ms() - 1000, signed_ms=base + 50))
    run_at_once(*calls)
    assert Subscription.objects.get().status == "expired"
    assert premium(alice) == (False, None)
