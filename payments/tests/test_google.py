"""Google Play purchases: a purchase token, verified through Google's Play Developer API client
against a local stand-in of Google, grants its product once, whoever presents it; a voided
purchase, announced by a Pub/Sub push that Google signed, takes it back once."""

import base64
import itertools
import json

import pytest
from rest_framework.test import APIClient

from conftest import requires_postgres
from gameplatform.testhelpers import run_at_once
from payments.models import Purchase
from payments.tests.conftest import GOOGLE_PUSH_AUDIENCE
from payments.tests.google_standin import PACKAGE, _new_key
from progression.rules import STARTING_GEMS
from progression.services import player_sync

pytestmark = pytest.mark.django_db
GOOGLE = "/api/payments/google/"
NOTIFICATIONS = "/api/payments/google/notifications/"


def redeem(client, token: str, product_id: str = "gems-100"):
    return client.post(GOOGLE, {"purchase_token": token, "product_id": product_id}, format="json")


def test_a_purchase_token_grants_its_product_and_is_acknowledged(client_for, alice, google, products):
    token = google.buy("gems-100")
    response = redeem(client_for(alice), token)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["grants"] == {"gems": 100}
    assert (body["purchase"]["store"], body["purchase"]["status"]) == ("google", "granted")
    assert player_sync(user_id=alice.pk).gems == STARTING_GEMS + 100
    assert google.purchase("gems-100", token)["acknowledgementState"] == 1


def test_premium_bought_on_google_play_shows_in_me(client_for, alice, google, products):
    assert redeem(client_for(alice), google.buy("premium-30d"), "premium-30d").status_code == 200
    assert client_for(alice).get("/api/me/").json()["premium_until"] is not None


def test_an_acknowledged_purchase_is_not_acknowledged_again(client_for, alice, google, products):
    token = google.buy("gems-100", acknowledgementState=1)
    assert redeem(client_for(alice), token).status_code == 200
    assert not [path for method, path in google.requests if path.endswith(":acknowledge")]


def test_a_replayed_purchase_token_credits_nothing_twice(client_for, alice, bob, google, products):
    token = google.buy("gems-100")
    assert redeem(client_for(alice), token).status_code == 200
    for player in (alice, bob):
        again = redeem(client_for(player), token)
        assert again.status_code == 409
        assert again.json()["code"] == "already_redeemed"
    assert player_sync(user_id=alice.pk).gems == STARTING_GEMS + 100
    assert player_sync(user_id=bob.pk).gems == STARTING_GEMS


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_purchase_token_redeemed_by_two_players_at_once_credits_one(client_for, make_user, google, products):
    alice, bob = make_user("alice"), make_user("bob")
    token = google.buy("gems-100")
    statuses = sorted(
        r.status_code for r in run_at_once(*[lambda u=u: redeem(client_for(u), token) for u in (alice, bob)])
    )
    assert statuses == [200, 409]
    assert Purchase.objects.count() == 1
    assert player_sync(user_id=alice.pk).gems + player_sync(user_id=bob.pk).gems == 2 * STARTING_GEMS + 100


@pytest.mark.parametrize(
    "buy",
    [
        lambda google: google.buy("gems-100", purchaseState=1),  # canceled
        lambda google: google.buy("gems-100", purchaseState=2),  # pending (cash not paid yet)
        lambda google: google.buy("gems-100", package="com.someone.else"),
        lambda google: google.buy("premium-30d"),  # a token of another product
        lambda google: "made-up-token",
    ],
    ids=["canceled", "pending", "another app", "another product", "unknown token"],
)
def test_a_purchase_not_paid_or_not_ours_is_invalid_receipt(client_for, alice, google, products, buy):
    response = redeem(client_for(alice), buy(google))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_receipt"
    assert not Purchase.objects.exists()
    assert player_sync(user_id=alice.pk).gems == STARTING_GEMS


def test_google_down_is_502_and_sells_nothing(client_for, alice, google, products):
    token = google.buy("gems-100")
    google.unavailable = True
    response = redeem(client_for(alice), token)
    assert response.status_code == 502
    assert response.json()["code"] == "payment_provider_error"
    assert not Purchase.objects.exists()


def test_a_product_with_its_own_play_console_id_is_asked_for_by_that_id(client_for, alice, google, products):
    products["gems-100"].google_product_id = "com.example.game.gems100"
    products["gems-100"].save()
    response = redeem(client_for(alice), google.buy("com.example.game.gems100"))
    assert response.status_code == 200, response.content


def test_without_googles_settings_the_route_is_404_not_configured(client_for, alice, products, settings):
    settings.GOOGLE_PLAY_PACKAGE = ""
    response = redeem(client_for(alice), "x")
    assert response.status_code == 404
    assert response.json()["code"] == "not_configured"


# --- real-time developer notifications ---------------------------------------------------------

_message_ids = itertools.count(9_000_000_000)


def push_envelope(notification: dict, *, message_id: str | None = None) -> dict:
    """The body of a Pub/Sub push: the developer notification, base64, in ``message.data``."""
    message_id = message_id or str(next(_message_ids))
    return {
        "message": {
            "data": base64.b64encode(json.dumps(notification).encode()).decode(),
            "messageId": message_id,
            "message_id": message_id,
            "publishTime": "2026-03-01T12:00:00.000Z",
        },
        "subscription": "projects/example-project/subscriptions/play-rtdn",
    }


def voided(token: str, **fields) -> dict:
    return {
        "version": "1.0",
        "packageName": PACKAGE,
        "eventTimeMillis": "1772366400000",
        "voidedPurchaseNotification": {"purchaseToken": token, "orderId": "GPA.1", "productType": 2, "refundType": 1}
        | fields,
    }


def push(google, envelope: dict, *, id_token: str | None = None):
    token = google.push_token(GOOGLE_PUSH_AUDIENCE) if id_token is None else id_token
    return APIClient().post(NOTIFICATIONS, envelope, format="json", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_voided_purchase_takes_the_gems_back_once(client_for, alice, google, products):
    token = google.buy("gems-100")
    redeem(client_for(alice), token)
    envelope = push_envelope(voided(token))
    response = push(google, envelope)
    assert response.status_code == 200, response.content
    assert response.json() == {"outcome": "revoked"}
    assert player_sync(user_id=alice.pk).gems == STARTING_GEMS
    assert push(google, envelope).json() == {"outcome": "duplicate"}  # Pub/Sub redelivers
    assert push(google, push_envelope(voided(token))).json() == {"outcome": "already_revoked"}
    [purchase] = client_for(alice).get("/api/payments/purchases/").json()["results"]
    assert purchase["status"] == "refunded"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_voided_purchase_pushed_to_two_processes_at_once_revokes_once(client_for, make_user, google, products):
    alice = make_user("alice")
    token = google.buy("gems-100")
    redeem(client_for(alice), token)
    envelope = push_envelope(voided(token))
    id_tokens = [google.push_token(GOOGLE_PUSH_AUDIENCE) for _ in range(2)]
    outcomes = run_at_once(*[lambda t=t: push(google, envelope, id_token=t).json()["outcome"] for t in id_tokens])
    assert sorted(outcomes) == ["duplicate", "revoked"]
    assert player_sync(user_id=alice.pk).gems == STARTING_GEMS


def test_other_notifications_change_nothing(client_for, alice, google, products):
    token = google.buy("gems-100")
    redeem(client_for(alice), token)
    test_notification = {"version": "1.0", "packageName": PACKAGE, "testNotification": {"version": "1.0"}}
    assert push(google, push_envelope(test_notification)).json() == {"outcome": "ignored"}
    assert push(google, push_envelope(voided(token, refundType=2))).json() == {"outcome": "partial_refund"}
    assert push(google, push_envelope(voided(token) | {"packageName": "com.someone.else"})).json() == {
        "outcome": "another_package"
    }
    assert player_sync(user_id=alice.pk).gems == STARTING_GEMS + 100


@pytest.mark.parametrize(
    "forge",
    [
        lambda google: google.push_token(GOOGLE_PUSH_AUDIENCE, key=_new_key()),  # signed by another key
        lambda google: google.push_token("https://someone.else/push"),
        lambda google: google.push_token(GOOGLE_PUSH_AUDIENCE, exp=1_700_000_000, iat=1_699_996_400),
        lambda google: google.push_token(GOOGLE_PUSH_AUDIENCE, iss="https://evil.example"),
        lambda google: google.push_token(GOOGLE_PUSH_AUDIENCE, email="someone@else.iam.gserviceaccount.com"),
        lambda google: "not.a.jwt",
        lambda google: "",
    ],
    ids=["another key", "another audience", "expired", "another issuer", "another account", "garbage", "none"],
)
def test_a_push_not_signed_by_google_for_us_is_refused(client_for, alice, google, products, forge):
    token = google.buy("gems-100")
    redeem(client_for(alice), token)
    response = push(google, push_envelope(voided(token)), id_token=forge(google))
    assert response.status_code == 400
    assert response.json()["code"] == "bad_signature"
    assert player_sync(user_id=alice.pk).gems == STARTING_GEMS + 100


@pytest.mark.parametrize(
    "envelope",
    [{}, {"message": {"messageId": "1", "data": "%%%"}}, {"message": {"messageId": "1", "data": "WzFd"}}],
    ids=["no message", "not base64", "not an object"],
)
def test_a_push_that_is_no_notification_is_invalid(google, envelope):
    response = push(google, envelope)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_without_a_push_audience_notifications_are_404_not_configured(google, settings):
    settings.GOOGLE_PLAY_PUSH_AUDIENCE = ""
    response = push(google, push_envelope(voided("x")))
    assert response.status_code == 404
    assert response.json()["code"] == "not_configured"
