"""Stripe's signed webhook grants each purchase once and takes refunded ones back, through the
economy's ledger and accounts' premium; events come from the stand-in, signed as Stripe signs."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from conftest import requires_postgres
from gameplatform.operations import timers
from gameplatform.testhelpers import run_at_once
from payments.models import Product, Purchase, StoreEvent
from payments.tests import stripe_standin
from payments.tests.conftest import WEBHOOK, deliver
from progression.models import ItemTemplate, LedgerEntry
from progression.rules import STARTING_GEMS
from progression.services import player_grant, player_sync

pytestmark = pytest.mark.django_db


def gems_of(user) -> int:
    return player_sync(user_id=user.pk).gems


def gem_ledger(user) -> list[tuple[int, str]]:
    rows = LedgerEntry.objects.filter(player_id=user.pk, currency="gems").exclude(reason="start").order_by("id")
    return [(row.amount, row.reason) for row in rows]


def test_a_paid_session_grants_its_gems_once_with_a_ledger_row(client_for, alice, stripe, checkout, products):
    session_id = checkout(alice, "gems-100")
    response = deliver(stripe.pay(session_id))
    assert response.status_code == 200
    assert response.json() == {"outcome": "granted"}
    assert gems_of(alice) == STARTING_GEMS + 100
    assert gem_ledger(alice) == [(100, "store_purchase")]
    [purchase] = client_for(alice).get("/api/payments/purchases/").json()["results"]
    assert purchase["product"]["id"] == "gems-100"
    assert (purchase["store"], purchase["status"]) == ("stripe", "granted")


def test_a_repeated_event_is_200_and_changes_nothing(alice, stripe, checkout, products):
    event = stripe.pay(checkout(alice, "gems-100"))
    assert deliver(event).json() == {"outcome": "granted"}
    again = deliver(event)  # Stripe retries a delivery it did not see acknowledged
    assert again.status_code == 200
    assert again.json() == {"outcome": "duplicate"}
    assert gems_of(alice) == STARTING_GEMS + 100
    assert Purchase.objects.count() == 1


def test_a_second_event_for_the_same_session_grants_nothing_more(alice, stripe, checkout, products):
    session_id = checkout(alice, "gems-100")
    deliver(stripe.pay(session_id))
    late = stripe.pay(session_id)
    late["type"] = "checkout.session.async_payment_succeeded"
    assert deliver(late).json() == {"outcome": "already_granted"}
    assert gems_of(alice) == STARTING_GEMS + 100


def test_an_unpaid_completed_session_grants_nothing_until_its_payment_succeeds(alice, stripe, checkout, products):
    session_id = checkout(alice, "gems-100")
    completed = stripe.pay(session_id)
    completed["data"]["object"]["payment_status"] = "unpaid"  # a bank debit still on its way
    assert deliver(completed).json() == {"outcome": "awaiting_payment"}
    assert gems_of(alice) == STARTING_GEMS
    succeeded = stripe.pay(session_id)
    succeeded["type"] = "checkout.session.async_payment_succeeded"
    assert deliver(succeeded).json() == {"outcome": "granted"}
    assert gems_of(alice) == STARTING_GEMS + 100


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_event_delivered_to_two_processes_at_once_grants_once(make_user, stripe, checkout, products):
    alice = make_user("alice")
    event = stripe.pay(checkout(alice, "gems-100"))
    for _ in range(3):  # and again, after the first grant, in case the first two did not overlap
        results = run_at_once(*[lambda: deliver(event) for _ in range(4)])
    assert all(result.status_code == 200 for result in results)
    assert Purchase.objects.count() == 1 and StoreEvent.objects.count() == 1
    assert gems_of(alice) == STARTING_GEMS + 100
    assert gem_ledger(alice) == [(100, "store_purchase")]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_events_of_one_session_at_once_grant_once(make_user, stripe, checkout, products):
    alice = make_user("alice")
    session_id = checkout(alice, "premium-30d")
    completed, succeeded = stripe.pay(session_id), stripe.pay(session_id)
    succeeded["type"] = "checkout.session.async_payment_succeeded"
    outcomes = sorted(r.json()["outcome"] for r in run_at_once(lambda: deliver(completed), lambda: deliver(succeeded)))
    assert outcomes == ["already_granted", "granted"]
    alice.refresh_from_db()
    assert timedelta(days=29, hours=23) < alice.premium_until - timezone.now() <= timedelta(days=30)


@pytest.mark.parametrize(
    "signing",
    [
        {"secret": "whsec_not_the_endpoints"},
        {"at": int(time.time()) - 3600},  # an old delivery replayed: outside the 5 minute tolerance
        {"at": int(time.time()) + 600},  # stamped ten minutes ahead: the tolerance holds both ways
    ],
    ids=["wrong secret", "old timestamp", "future timestamp"],
)
def test_a_badly_signed_event_is_refused_and_grants_nothing(alice, stripe, checkout, products, signing):
    response = deliver(stripe.pay(checkout(alice, "gems-100")), **signing)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_signature"
    assert gems_of(alice) == STARTING_GEMS and not Purchase.objects.exists()


@pytest.mark.parametrize("skew", [-240, 240], ids=["4 minutes old", "4 minutes ahead"])
def test_a_delivery_stamped_within_the_tolerance_either_way_is_applied(alice, stripe, checkout, products, skew):
    response = deliver(stripe.pay(checkout(alice, "gems-100")), at=int(time.time()) + skew)
    assert response.json() == {"outcome": "granted"}
    assert gems_of(alice) == STARTING_GEMS + 100


def test_a_future_stamp_is_refused_even_beside_a_current_one(alice, stripe, checkout, products):
    """The header's first ``t`` is the one its signature covers: a second, current ``t`` added to a
    future-stamped header does not bring it within the tolerance."""
    payload, signature = stripe_standin.signed(stripe.pay(checkout(alice, "gems-100")), at=int(time.time()) + 600)
    stamp, mac = signature.split(",")
    response = APIClient().post(
        WEBHOOK,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=f"{stamp},t={int(time.time())},{mac}",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_signature"
    assert not Purchase.objects.exists()


def test_an_unsigned_event_is_refused(alice, stripe, checkout, products):
    from rest_framework.test import APIClient

    event = stripe.pay(checkout(alice, "gems-100"))
    response = APIClient().post("/api/payments/stripe/webhook/", event, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_signature"


def test_a_refund_takes_the_gems_back_with_a_ledger_row(client_for, alice, stripe, checkout, products):
    session_id = checkout(alice, "gems-100")
    deliver(stripe.pay(session_id))
    response = deliver(stripe.refund(session_id))
    assert response.json() == {"outcome": "revoked"}
    assert gems_of(alice) == STARTING_GEMS
    assert gem_ledger(alice) == [(100, "store_purchase"), (-100, "store_refund")]
    [purchase] = client_for(alice).get("/api/payments/purchases/").json()["results"]
    assert purchase["status"] == "refunded" and purchase["refunded_at"]
    assert deliver(stripe.refund(session_id)).json() == {"outcome": "already_revoked"}
    assert gems_of(alice) == STARTING_GEMS


def test_a_refund_after_the_gems_were_spent_takes_what_is_left_and_records_the_rest(alice, stripe, checkout, products):
    session_id = checkout(alice, "gems-100")
    deliver(stripe.pay(session_id))
    player_grant(user=alice, reason="purchase", gems=-(STARTING_GEMS + 70))  # spent in the shop
    deliver(stripe.refund(session_id))
    assert gems_of(alice) == 0  # never below zero
    assert gem_ledger(alice)[-1] == (-30, "store_refund")
    assert Purchase.objects.get().unrecovered_gems == 70


def test_a_partial_refund_leaves_the_grant(alice, stripe, checkout, products):
    session_id = checkout(alice, "gems-100")
    deliver(stripe.pay(session_id))
    assert deliver(stripe.refund(session_id, whole=False)).json() == {"outcome": "partial_refund"}
    assert gems_of(alice) == STARTING_GEMS + 100


def test_a_lost_dispute_ends_the_premium_it_bought(client_for, alice, stripe, checkout, products):
    session_id = checkout(alice, "premium-30d")
    deliver(stripe.pay(session_id))
    assert client_for(alice).get("/api/me/").json()["is_premium"] is True
    assert deliver(stripe.dispute_closed(session_id, status="won")).json() == {"outcome": "dispute_won"}
    assert client_for(alice).get("/api/me/").json()["is_premium"] is True
    assert deliver(stripe.dispute_closed(session_id, status="lost")).json() == {"outcome": "revoked"}
    me = client_for(alice).get("/api/me/").json()
    assert me["is_premium"] is False and me["premium_until"] is None


def test_buying_premium_again_extends_it_from_its_end(client_for, alice, stripe, checkout, products):
    deliver(stripe.pay(checkout(alice, "premium-30d")))
    first = User.objects.get(pk=alice.pk).premium_until
    deliver(stripe.pay(checkout(alice, "premium-30d")))
    assert User.objects.get(pk=alice.pk).premium_until - first == timedelta(days=30)
    assert len(client_for(alice).get("/api/payments/purchases/").json()["results"]) == 2


def test_bought_premium_ends_by_itself_at_its_time(client_for, alice, stripe, checkout, products):
    deliver(stripe.pay(checkout(alice, "premium-30d")))
    me = client_for(alice).get("/api/me/").json()
    assert me["is_premium"] is True and me["premium_until"]
    User.objects.filter(pk=alice.pk).update(premium_until=timezone.now() - timedelta(seconds=1))  # 30 days on
    timers.discover()["accounts.expire_premium"].func()
    me = client_for(alice).get("/api/me/").json()
    assert me["is_premium"] is False and me["premium_until"] is None
    lobby = client_for(alice).post("/api/lobbies/", {"name": "mine", "max_participants": 4})
    assert lobby.json()["code"] == "premium_required"


def test_an_event_for_a_session_this_server_did_not_make_changes_nothing(alice, stripe, products):
    foreign = stripe.create_session({"mode": "payment", "metadata": {"product_id": "something-else"}})
    assert deliver(stripe.pay(foreign["id"])).json() == {"outcome": "not_ours"}
    assert not Purchase.objects.exists()


def test_a_refund_of_a_payment_without_a_purchase_is_kept_and_changes_nothing(alice, stripe, products):
    foreign = stripe.create_session({"mode": "payment"})
    stripe.pay(foreign["id"])
    # Kept in case its purchase comes later (Stripe does not promise the order of events).
    assert deliver(stripe.refund(foreign["id"])).json() == {"outcome": "kept_for_purchase"}
    assert not Purchase.objects.exists() and gems_of(alice) == STARTING_GEMS


def test_a_refund_of_a_charge_without_a_payment_intent_finds_no_purchase(stripe, products):
    refund = stripe.refund(stripe.create_session({"mode": "payment"})["id"])  # never paid: no PaymentIntent
    assert refund["data"]["object"]["payment_intent"] is None
    assert deliver(refund).json() == {"outcome": "no_purchase"}


def test_an_item_product_lands_in_the_inventory_and_a_refund_takes_it_back(client_for, alice, stripe, checkout):
    blade = ItemTemplate.objects.create(name="Storm Blade", slot="weapon", rarity="epic", strength=14)
    Product.objects.create(id="storm-blade", name="Storm Blade", kind="item", price=299, item=blade)
    session_id = checkout(alice, "storm-blade")
    assert deliver(stripe.pay(session_id)).json() == {"outcome": "granted"}
    [stack] = client_for(alice).get("/api/inventory/").json()["results"]
    assert stack["quantity"] == 1
    assert deliver(stripe.refund(session_id)).json() == {"outcome": "revoked"}
    assert client_for(alice).get("/api/inventory/").json()["results"] == []


@pytest.mark.parametrize(
    "signature",
    ["", "t=abc,v1=00", "v1=00", "t=1,v1=", "garbage", "t=" + "9" * 400 + ",v1=ff", "t=\u0000,v1=\u00e9"],
)
def test_a_malformed_signature_header_is_400_bad_signature(stripe, signature):
    from rest_framework.test import APIClient

    response = APIClient().post(
        "/api/payments/stripe/webhook/", data=b"{}", content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_signature"


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"id": 5}', b'{"id": "evt_1", "type": "x"}', b"\xff\xfe"])
def test_a_signed_body_that_is_no_event_is_400_invalid(stripe, body):
    import hashlib
    import hmac

    from rest_framework.test import APIClient

    from payments.tests.stripe_standin import WEBHOOK_SECRET

    at = int(time.time())
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    response = APIClient().post(
        "/api/payments/stripe/webhook/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=f"t={at},v1={mac}",
    )
    assert response.status_code == 400
    assert response.json()["code"] in ("invalid", "bad_signature")


def test_a_signed_event_whose_id_is_too_long_is_400_invalid_and_records_nothing(alice, stripe, checkout, products):
    event = stripe.pay(checkout(alice, "gems-100"))
    event["id"] = "evt_" + "x" * 296  # 300 characters: no id of Stripe's, and more than an event id is kept
    response = deliver(event)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not StoreEvent.objects.exists() and not Purchase.objects.exists()
    assert gems_of(alice) == STARTING_GEMS


@pytest.mark.parametrize(
    "field, value",
    [
        ("id", "cs_" + "x" * 1000),
        ("payment_intent", "pi_" + "x" * 300),
        ("payment_intent", {"id": "pi_1"}),
        ("currency", "dollars"),
        ("amount_total", -1),
        ("amount_total", "499"),
        ("amount_total", 10**20),
    ],
)
def test_a_signed_paid_session_out_of_shape_is_400_invalid_and_records_nothing(
    alice, stripe, checkout, products, field, value
):
    event = stripe.pay(checkout(alice, "gems-100"))
    event["data"]["object"][field] = value
    response = deliver(event)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not StoreEvent.objects.exists() and not Purchase.objects.exists()
    assert gems_of(alice) == STARTING_GEMS
