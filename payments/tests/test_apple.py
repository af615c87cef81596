"""App Store purchases: a StoreKit 2 signed transaction, verified by Apple's library against a
certificate chain the tests make, grants its product once, whoever presents it."""

import pytest

from conftest import requires_postgres
from gameplatform.testhelpers import run_at_once
from payments.models import Purchase
from payments.tests.apple_chain import AppleChain
from progression.rules import STARTING_GEMS
from progression.services import player_sync

pytestmark = pytest.mark.django_db
APPLE = "/api/payments/apple/"


def redeem(client, signed: str, product_id: str = "gems-100"):
    return client.post(APPLE, {"signed_transaction": signed, "product_id": product_id}, format="json")


def test_a_signed_transaction_grants_its_product(client_for, alice, apple, products):
    response = redeem(client_for(alice), apple.transaction("gems-100"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["grants"] == {"gems": 100}
    assert (body["purchase"]["store"], body["purchase"]["status"]) == ("apple", "granted")
    assert player_sync(user_id=alice.pk).gems == STARTING_GEMS + 100


def test_a_replayed_transaction_credits_nothing_twice(client_for, alice, bob, apple, products):
    signed = apple.transaction("gems-100")
    assert redeem(client_for(alice), signed).status_code == 200
    for player in (alice, bob):
        again = redeem(client_for(player), signed)
        assert again.status_code == 409
        assert again.json()["code"] == "already_redeemed"
    assert player_sync(user_id=alice.pk).gems == STARTING_GEMS + 100
    assert player_sync(user_id=bob.pk).gems == STARTING_GEMS


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_transaction_redeemed_by_two_players_at_once_credits_one(client_for, make_user, apple, products):
    alice, bob = make_user("alice"), make_user("bob")
    signed = apple.transaction("gems-100")
    statuses = sorted(
        r.status_code for r in run_at_once(*[lambda u=u: redeem(client_for(u), signed) for u in (alice, bob)])
    )
    assert statuses == [200, 409]
    assert Purchase.objects.count() == 1
    assert player_sync(user_id=alice.pk).gems + player_sync(user_id=bob.pk).gems == 2 * STARTING_GEMS + 100


@pytest.mark.parametrize(
    "forge",
    [
        lambda chain: AppleChain().transaction("gems-100"),  # a chain whose root the server does not trust
        lambda chain: chain.sign({"productId": "gems-100", "bundleId": "com.example.game"}, key=AppleChain().leaf_key),
        lambda chain: chain.transaction("gems-100", bundleId="com.someone.else"),
        lambda chain: chain.transaction("gems-100", environment="Production"),
        lambda chain: "not.a.jws",
    ],
    ids=["untrusted root", "signed by another key", "another app", "another environment", "garbage"],
)
def test_a_forged_or_foreign_transaction_is_invalid_receipt(client_for, alice, apple, products, forge):
    response = redeem(client_for(alice), forge(apple))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_receipt"
    assert not Purchase.objects.exists()


def test_a_transaction_for_another_product_is_refused(client_for, alice, apple, products):
    response = redeem(client_for(alice), apple.transaction("gems-100"), product_id="premium-30d")
    assert response.json()["code"] == "invalid_receipt"


def test_a_revoked_transaction_is_refused(client_for, alice, apple, products):
    response = redeem(client_for(alice), apple.transaction("gems-100", revocationDate=1_700_000_000_000))
    assert response.json()["code"] == "invalid_receipt"


def test_without_apples_settings_the_route_is_404_not_configured(client_for, alice, products, settings):
    settings.APPLE_ROOT_CERTIFICATES, settings.APPLE_BUNDLE_ID = [], ""
    response = redeem(client_for(alice), "x")
    assert response.status_code == 404
    assert response.json()["code"] == "not_configured"


NOTIFICATIONS = "/api/payments/apple/notifications/"


def notify(signed_payload: str):
    from rest_framework.test import APIClient

    return APIClient().post(NOTIFICATIONS, {"signedPayload": signed_payload}, format="json")


def test_an_app_store_refund_takes_the_gems_back_once(client_for, alice, apple, products):
    signed = apple.transaction("gems-100")
    redeem(client_for(alice), signed)
    refund = apple.notification("REFUND", signed)
    response = notify(refund)
    assert response.status_code == 200
    assert response.json() == {"outcome": "revoked"}
    assert player_sync(user_id=alice.pk).gems == STARTING_GEMS
    assert notify(refund).json() == {"outcome": "duplicate"}  # Apple retries
    assert notify(apple.notification("REFUND", signed)).json() == {"outcome": "already_revoked"}
    [purchase] = client_for(alice).get("/api/payments/purchases/").json()["results"]
    assert purchase["status"] == "refunded"


def test_other_app_store_notifications_change_nothing(client_for, alice, apple, products):
    signed = apple.transaction("gems-100")
    redeem(client_for(alice), signed)
    assert notify(apple.notification("REFUND_DECLINED", signed)).json() == {"outcome": "ignored"}
    assert player_sync(user_id=alice.pk).gems == STARTING_GEMS + 100


def test_a_forged_app_store_notification_is_refused(client_for, alice, apple, products):
    signed = apple.transaction("gems-100")
    redeem(client_for(alice), signed)
    forged = AppleChain().notification("REFUND", signed)  # signed by a chain the server does not trust
    response = notify(forged)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_signature"
    assert player_sync(user_id=alice.pk).gems == STARTING_GEMS + 100
