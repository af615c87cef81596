"""Refund requests answered: an App Store CONSUMPTION_REQUEST is answered once with Send
Consumption Information, through Apple's library, to a stand-in of the App Store Server API that
checks the call's signed token as Apple does; the consumption is what the ledger says was spent."""

import pytest
from rest_framework.test import APIClient

from conftest import requires_postgres
from gameplatform.operations import timers
from gameplatform.testhelpers import run_at_once
from payments.models import RefundRequest
from payments.tests.apple_chain import BUNDLE_ID
from payments.tests.appstore_standin import AppStoreStandIn, _ec_key, _pem
from progression.services import balance_change, player_lock, player_sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def appstore(apple, settings, monkeypatch, tmp_path):
    """The App Store Server API's stand-in, reached at Apple's address through HTTPS_PROXY, and the
    server holding the In-App Purchase key it knows; the customer consented."""
    with AppStoreStandIn(tmp_path, bundle_id=BUNDLE_ID) as standin:
        monkeypatch.setenv("HTTPS_PROXY", standin.proxy)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(standin.ca_path))
        settings.APPLE_IAP_KEY_ID = standin.key_id
        settings.APPLE_IAP_ISSUER_ID = standin.issuer_id
        settings.APPLE_IAP_PRIVATE_KEY = standin.private_key_pem()
        settings.APPLE_CONSUMPTION_CONSENT = True
        yield standin


def notify(signed_payload: str):
    return APIClient().post("/api/payments/apple/notifications/", {"signedPayload": signed_payload}, format="json")


def bought_gems(client_for, user, apple) -> tuple[str, str]:
    """``user`` bought gems-100 with the App Store: (the signed transaction, its id)."""
    signed = apple.transaction("gems-100")
    response = client_for(user).post(
        "/api/payments/apple/", {"signed_transaction": signed, "product_id": "gems-100"}, format="json"
    )
    assert response.status_code == 200, response.content
    return signed, response.json()["purchase"]["id"]


def spend(user, gems: int) -> None:
    balance_change(player=player_lock(user_id=user.pk), reason="shop", gems=-gems)


def consumption_request(apple, signed: str) -> str:
    data = {
        "bundleId": BUNDLE_ID,
        "environment": "Sandbox",
        "signedTransactionInfo": signed,
        "consumptionRequestReason": "UNINTENDED_PURCHASE",
    }
    return apple.notification("CONSUMPTION_REQUEST", signed, data=data)


def transaction_id_of(signed: str) -> str:
    import jwt

    return jwt.decode(signed, options={"verify_signature": False})["transactionId"]


def test_a_consumption_request_is_answered_once_with_what_the_ledger_says_was_spent(
    client_for, alice, apple, appstore, products, django_capture_on_commit_callbacks
):
    signed, _ = bought_gems(client_for, alice, apple)
    spend(alice, 30)  # 30 of the 100 gems the purchase granted
    request = apple.notification("CONSUMPTION_REQUEST", signed)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(request).json() == {"outcome": "answer_pending"}
    [(transaction_id, body)] = appstore.wait_for(1)
    assert transaction_id == transaction_id_of(signed)
    assert body == {
        "customerConsented": True,
        "sampleContentProvided": False,
        "deliveryStatus": "DELIVERED",
        "consumptionPercentage": 30_000,  # 30.000 %, in Apple's milliunits
    }
    row = RefundRequest.objects.get()
    assert (row.status, row.store_status, row.body, row.attempts) == ("sent", "accepted", body, 1)
    assert row.sent_at is not None and row.purchase is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(request).json() == {"outcome": "duplicate"}  # Apple resends it
    assert len(appstore.received) == 1 and RefundRequest.objects.count() == 1


def test_the_studios_refund_preference_and_all_spent_are_sent(
    client_for, alice, apple, appstore, products, settings, django_capture_on_commit_callbacks
):
    settings.APPLE_REFUND_PREFERENCE = "decline"
    settings.REFUND_SAMPLE_CONTENT_PROVIDED = True
    signed, _ = bought_gems(client_for, alice, apple)
    spend(alice, 105)  # more than the purchase granted: all of it was spent
    with django_capture_on_commit_callbacks(execute=True):
        notify(consumption_request(apple, signed))
    [(_, body)] = appstore.wait_for(1)
    assert body["consumptionPercentage"] == 100_000
    assert (body["refundPreference"], body["sampleContentProvided"]) == ("DECLINE", True)
    assert RefundRequest.objects.get().customer_reason == "UNINTENDED_PURCHASE"


def test_nothing_spent_since_the_purchase_is_zero_percent(
    client_for, alice, apple, appstore, products, django_capture_on_commit_callbacks
):
    spend(alice, 5)  # before the purchase: not the purchase's gems
    signed, _ = bought_gems(client_for, alice, apple)
    with django_capture_on_commit_callbacks(execute=True):
        notify(consumption_request(apple, signed))
    assert appstore.wait_for(1)[0][1]["consumptionPercentage"] == 0


def test_a_transaction_never_redeemed_is_answered_undelivered(
    apple, appstore, products, django_capture_on_commit_callbacks
):
    signed = apple.transaction("gems-100")
    with django_capture_on_commit_callbacks(execute=True):
        notify(consumption_request(apple, signed))
    [(_, body)] = appstore.wait_for(1)
    assert body["deliveryStatus"] == "UNDELIVERED_OTHER" and "consumptionPercentage" not in body


def test_a_failed_answer_is_sent_again_by_the_timer_and_only_once(
    client_for, alice, apple, appstore, products, django_capture_on_commit_callbacks
):
    signed, _ = bought_gems(client_for, alice, apple)
    appstore.fail_next = 1
    with django_capture_on_commit_callbacks(execute=True):
        notify(consumption_request(apple, signed))
    row = RefundRequest.objects.get()
    assert (row.status, row.store_status, appstore.refused) == ("pending", "500 5000000", [500])
    due = timers.discover()["payments.refund_answers_due"].func
    assert due() == 0  # its backoff has not passed
    RefundRequest.objects.filter(pk=row.pk).update(next_attempt_at=row.received_at)  # the backoff passes
    assert due() == 1
    assert due() == 0
    assert len(appstore.wait_for(1)) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)


def test_past_apples_window_an_unsent_answer_expires(
    client_for, alice, apple, appstore, products, django_capture_on_commit_callbacks
):
    import time

    signed, _ = bought_gems(client_for, alice, apple)
    appstore.fail_next = 1
    thirteen_hours_ago = int((time.time() - 13 * 3600) * 1000)
    with django_capture_on_commit_callbacks(execute=True):
        notify(apple.notification("CONSUMPTION_REQUEST", signed, signedDate=thirteen_hours_ago))
    assert timers.discover()["payments.refund_answers_due"].func() == 0
    assert RefundRequest.objects.get().status == "expired"
    assert appstore.received == [] and appstore.refused == []  # never sent: the window had closed


def test_apple_refuses_an_answer_signed_with_another_key(
    client_for, alice, apple, appstore, products, settings, django_capture_on_commit_callbacks
):
    settings.APPLE_IAP_PRIVATE_KEY = _pem(_ec_key()).decode()
    signed, _ = bought_gems(client_for, alice, apple)
    with django_capture_on_commit_callbacks(execute=True):
        notify(consumption_request(apple, signed))
    row = RefundRequest.objects.get()
    assert (row.status, row.store_status, appstore.refused, appstore.received) == ("pending", "401", [401], [])


def test_without_the_customers_consent_nothing_is_sent(
    client_for, alice, apple, appstore, products, settings, django_capture_on_commit_callbacks
):
    settings.APPLE_CONSUMPTION_CONSENT = False
    signed, _ = bought_gems(client_for, alice, apple)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(consumption_request(apple, signed)).json() == {"outcome": "not_answered_no_consent"}
    assert (RefundRequest.objects.get().status, appstore.received) == ("not_sent", [])


def test_without_the_in_app_purchase_key_the_request_is_only_recorded(client_for, alice, apple, products):
    signed, _ = bought_gems(client_for, alice, apple)
    assert notify(consumption_request(apple, signed)).json() == {"outcome": "not_answered_not_configured"}
    assert RefundRequest.objects.get().reason == "not_configured"


def test_the_admin_lists_refund_answers(
    client, admin_user, client_for, alice, apple, appstore, products, django_capture_on_commit_callbacks
):
    signed, _ = bought_gems(client_for, alice, apple)
    spend(alice, 25)
    with django_capture_on_commit_callbacks(execute=True):
        notify(consumption_request(apple, signed))
    client.force_login(admin_user)
    page = client.get("/admin/payments/refundrequest/").content.decode()
    assert "25%" in page and "accepted" in page and "UNINTENDED_PURCHASE" in page


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_request_delivered_to_two_processes_at_once_is_answered_once(
    client_for, make_user, apple, appstore, products
):
    alice = make_user("alice")
    signed, _ = bought_gems(client_for, alice, apple)
    assert player_sync(user_id=alice.pk).gems == 110
    request = consumption_request(apple, signed)
    outcomes = sorted(r.json()["outcome"] for r in run_at_once(lambda: notify(request), lambda: notify(request)))
    assert outcomes == ["answer_pending", "duplicate"]
    assert len(appstore.wait_for(1)) == 1
    assert RefundRequest.objects.get().status == "sent"
    assert len(appstore.received) == 1


# --- Google Play: a refund review (a chargeback Google asks the developer about) -------------


def refund_review(order_id: str, review_token: str, *, event_ms: int | None = None) -> dict:
    import time

    from payments.tests.google_standin import PACKAGE

    return {
        "version": "1.0",
        "packageName": PACKAGE,
        "eventTimeMillis": str(event_ms or int(time.time() * 1000)),
        "pendingRefundReviewNotification": {
            "version": "1.0",
            "pendingRefundToken": review_token,
            "orderId": order_id,
            "refundReason": 1,
        },
    }


def bought_on_play(client_for, user, google) -> str:
    """``user`` bought gems-100 on Google Play: the order id."""
    token = google.buy("gems-100")
    response = client_for(user).post(
        "/api/payments/google/", {"purchase_token": token, "product_id": "gems-100"}, format="json"
    )
    assert response.status_code == 200, response.content
    return google.purchase("gems-100", token)["orderId"]


def test_a_play_refund_review_is_answered_once_with_what_the_ledger_says_was_spent(
    client_for, alice, google, products, settings, django_capture_on_commit_callbacks
):
    from payments.tests.test_google import push, push_envelope

    settings.GOOGLE_REFUND_PREFERENCE = "decline"
    order_id = bought_on_play(client_for, alice, google)
    spend(alice, 40)
    review = google.chargeback(order_id)
    envelope = push_envelope(refund_review(order_id, review))
    with django_capture_on_commit_callbacks(execute=True):
        assert push(google, envelope).json() == {"outcome": "answer_pending"}
    assert google.refund_reviews == [
        (
            order_id,
            {
                "pendingRefundToken": review,
                "sampleContentProvided": False,
                "refundPreference": "DECLINE",
                "consumptionPercentageMilliunits": 40_000,
            },
        )
    ]
    row = RefundRequest.objects.get()
    assert (row.store, row.status, row.store_status, row.purchase.store_payment_id) == (
        "google",
        "sent",
        "accepted",
        order_id,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert push(google, envelope).json() == {"outcome": "duplicate"}  # Pub/Sub redelivers
        # Play publishes the same review again (a new message): answered already, nothing sent.
        assert push(google, push_envelope(refund_review(order_id, review))).json() == {"outcome": "already_answered"}
    assert len(google.refund_reviews) == 1 and google.refund_reviews_ignored == 0


def test_a_play_refund_review_google_could_not_take_is_sent_again_by_the_timer(
    client_for, alice, google, products, django_capture_on_commit_callbacks
):
    from payments.tests.test_google import push, push_envelope

    order_id = bought_on_play(client_for, alice, google)
    google.unavailable = True
    with django_capture_on_commit_callbacks(execute=True):
        push(google, push_envelope(refund_review(order_id, google.chargeback(order_id))))
    row = RefundRequest.objects.get()
    assert (row.status, row.store_status) == ("pending", "503")
    google.unavailable = False
    RefundRequest.objects.filter(pk=row.pk).update(next_attempt_at=row.received_at)  # the backoff passes
    assert timers.discover()["payments.refund_answers_due"].func() == 1
    [(_, body)] = google.refund_reviews
    assert (body["refundPreference"], body["consumptionPercentageMilliunits"]) == ("NEUTRAL", 0)
