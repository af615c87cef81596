"""Google Play subscriptions: the app redeems the purchase token, real-time developer
notifications carry the subscription through its life, each read from the Play Developer API
(``subscriptionsv2.get``) and acknowledged as Google requires; premium follows it exactly."""

from datetime import datetime

import pytest

from accounts.models import User
from conftest import requires_postgres
from gameplatform.testhelpers import run_at_once
from payments.models import StoreEvent, Subscription
from payments.tests.google_standin import PACKAGE
from payments.tests.test_google import push, push_envelope

pytestmark = pytest.mark.django_db
DAY = 86_400


def premium(user):
    user = User.objects.get(pk=user.pk)
    return user.is_premium, user.premium_until


def expiry(google, token) -> datetime:
    return datetime.fromisoformat(google.subscription(token)["lineItems"][0]["expiryTime"].replace("Z", "+00:00"))


def changed(google, token: str, kind: int, **envelope) -> str:
    """Push a subscriptionNotification (``kind``: Google's notificationType) about ``token``."""
    notification = {
        "version": "1.0",
        "packageName": PACKAGE,
        "eventTimeMillis": "1772366400000",
        "subscriptionNotification": {"version": "1.0", "notificationType": kind, "purchaseToken": token},
    }
    response = push(google, push_envelope(notification, **envelope))
    assert response.status_code == 200, response.content
    return response.json()["outcome"]


def redeem(client, token):
    return client.post(
        "/api/payments/google/", {"purchase_token": token, "product_id": "premium-monthly"}, format="json"
    )


def test_a_google_play_subscription_runs_its_life(client_for, alice, google, products):
    """Bought (and acknowledged), renewed, in grace, on hold, recovered, canceled, expired, revoked."""
    token = google.subscribe("premium-monthly")
    response = redeem(client_for(alice), token)
    assert response.status_code == 200, response.content
    assert response.json()["subscription"]["status"] == "active"
    assert premium(alice) == (True, expiry(google, token))
    assert google.subscription(token)["acknowledgementState"] == "ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED"

    google.subscription_move(token, "SUBSCRIPTION_STATE_ACTIVE", expires_in=60 * DAY)
    assert changed(google, token, 2) == "active"  # SUBSCRIPTION_RENEWED
    assert premium(alice) == (True, expiry(google, token))

    google.subscription_move(token, "SUBSCRIPTION_STATE_IN_GRACE_PERIOD", expires_in=3 * DAY)
    assert changed(google, token, 6) == "grace"  # SUBSCRIPTION_IN_GRACE_PERIOD
    assert premium(alice) == (True, expiry(google, token))

    google.subscription_move(token, "SUBSCRIPTION_STATE_ON_HOLD", expires_in=-1)
    assert changed(google, token, 5) == "past_due"  # SUBSCRIPTION_ON_HOLD
    assert premium(alice) == (False, None)

    google.subscription_move(token, "SUBSCRIPTION_STATE_ACTIVE", expires_in=30 * DAY)
    assert changed(google, token, 1) == "active"  # SUBSCRIPTION_RECOVERED
    google.subscription_move(token, "SUBSCRIPTION_STATE_CANCELED", expires_in=30 * DAY, auto_renew=False)
    assert changed(google, token, 3) == "active"  # SUBSCRIPTION_CANCELED: runs to its end
    row = Subscription.objects.get()
    assert (row.will_renew, premium(alice)) == (False, (True, expiry(google, token)))
    refused = client_for(alice).post(f"/api/payments/subscriptions/{row.pk}/cancel/")
    assert (refused.status_code, refused.json()["code"]) == (409, "cancel_in_store")

    google.subscription_move(token, "SUBSCRIPTION_STATE_EXPIRED", expires_in=-1, auto_renew=False)
    assert changed(google, token, 13) == "expired"  # SUBSCRIPTION_EXPIRED
    assert premium(alice) == (False, None)


def test_a_revoked_subscription_is_refunded_and_ends_premium_once(client_for, alice, google, products):
    token = google.subscribe("premium-monthly")
    redeem(client_for(alice), token)
    google.subscription_move(token, "SUBSCRIPTION_STATE_EXPIRED", expires_in=-1, auto_renew=False)
    assert changed(google, token, 12, message_id="revoked-1") == "refunded"  # SUBSCRIPTION_REVOKED
    assert changed(google, token, 12, message_id="revoked-1") == "duplicate"
    assert changed(google, token, 13) == "unchanged"  # the expiry after it: still refunded
    assert Subscription.objects.get().status == "refunded"
    assert premium(alice) == (False, None)


def test_a_notification_before_the_app_redeems_is_kept_for_the_player(
    client_for, alice, bob, google, products, django_capture_on_commit_callbacks
):
    token = google.subscribe("premium-monthly")
    google.subscription_move(token, "SUBSCRIPTION_STATE_ACTIVE", expires_in=40 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        assert changed(google, token, 4) == "active_unclaimed"  # SUBSCRIPTION_PURCHASED
    assert google.subscription(token)["acknowledgementState"] == "ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED"
    assert redeem(client_for(alice), token).status_code == 200
    assert premium(alice) == (True, expiry(google, token))
    assert redeem(client_for(bob), token).json()["code"] == "already_redeemed"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_notifications_and_the_redemption_at_once_apply_once(client_for, make_user, google, products):
    """The redemption and the same notification pushed to three processes at once: one row, one
    event, the player's premium until Google's expiry."""
    alice = make_user("alice")
    token = google.subscribe("premium-monthly")
    calls = [lambda: redeem(client_for(alice), token).status_code]
    calls += [lambda: changed(google, token, 4, message_id="purchased-1") for _ in range(3)]
    results = run_at_once(*calls)
    # One push applies it (or finds the redemption did); the others find it applied or a duplicate.
    pushed = results[1:]
    assert results[0] == 200 and set(pushed) <= {"active", "active_unclaimed", "unchanged", "duplicate"}
    assert any(outcome != "duplicate" for outcome in pushed)
    assert StoreEvent.objects.count() == 1 and Subscription.objects.count() == 1
    assert premium(alice) == (True, expiry(google, token))
