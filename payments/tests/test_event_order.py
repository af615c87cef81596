"""Stripe does not promise the order of its events: a refund or a lost dispute may reach the
webhook before the purchase it takes back. Whichever comes first, and when both come at once,
the purchase ends refunded and the goods are not kept."""

import threading
import time

import pytest
from django.db import connection, transaction

from conftest import requires_postgres
from gameplatform.testhelpers import run_at_once
from payments.models import Product, Purchase
from payments.tests.conftest import deliver
from progression.models import ItemTemplate, LedgerEntry, Player
from progression.rules import STARTING_GEMS
from progression.services import player_sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def blade(products):
    template = ItemTemplate.objects.create(name="Storm Blade", slot="weapon", rarity="epic", strength=14)
    return Product.objects.create(id="storm-blade", name="Storm Blade", kind="item", price=299, item=template)


def what_they_hold(client_for, user) -> dict:
    """What the buyer sees of their purchases, wallet, premium and inventory."""
    client = client_for(user)
    me = client.get("/api/me/").json()
    return {
        "purchases": [
            (p["product"]["id"], p["status"], bool(p["refunded_at"]))
            for p in client.get("/api/payments/purchases/").json()["results"]
        ],
        "gems": player_sync(user_id=user.pk).gems,
        "premium": (me["is_premium"], me["premium_until"]),
        "inventory": [(s["item"]["name"], s["quantity"]) for s in client.get("/api/inventory/").json()["results"]],
    }


def gem_ledger(user) -> list[tuple[int, str]]:
    rows = LedgerEntry.objects.filter(player_id=user.pk, currency="gems").exclude(reason="start").order_by("id")
    return [(row.amount, row.reason) for row in rows]


def reversal_of(stripe, session_id: str, kind: str) -> dict:
    return stripe.refund(session_id) if kind == "refund" else stripe.dispute_closed(session_id, status="lost")


@pytest.mark.parametrize("reversal_first", [False, True], ids=["purchase first", "reversal first"])
@pytest.mark.parametrize(
    "product_id, kind", [("gems-100", "refund"), ("premium-30d", "dispute"), ("storm-blade", "refund")]
)
def test_a_reversed_purchase_ends_refunded_with_nothing_kept_in_either_order(
    client_for, alice, stripe, checkout, blade, product_id, kind, reversal_first
):
    session_id = checkout(alice, product_id)
    paid = stripe.pay(session_id)
    reversal = reversal_of(stripe, session_id, kind)
    for event in [reversal, paid] if reversal_first else [paid, reversal]:
        assert deliver(event).status_code == 200
    assert what_they_hold(client_for, alice) == {
        "purchases": [(product_id, "refunded", True)],
        "gems": STARTING_GEMS,
        "premium": (False, None),
        "inventory": [],
    }


def test_a_refund_that_comes_first_is_kept_and_its_purchase_is_never_granted(alice, stripe, checkout, products):
    session_id = checkout(alice, "gems-100")
    paid, refund = stripe.pay(session_id), stripe.refund(session_id)
    assert deliver(refund).json() == {"outcome": "kept_for_purchase"}
    assert deliver(paid).json() == {"outcome": "reversed_before_grant"}
    assert gem_ledger(alice) == []  # never granted: no grant and no reversal in the ledger
    purchase = Purchase.objects.get()
    assert (purchase.status, purchase.unrecovered_gems) == ("refunded", 0)

    # Each event applied again changes nothing (by its id), and another refund event of the
    # same payment finds the purchase already refunded.
    assert deliver(refund).json() == {"outcome": "duplicate"}
    assert deliver(paid).json() == {"outcome": "duplicate"}
    assert deliver(stripe.refund(session_id)).json() == {"outcome": "already_revoked"}
    assert gem_ledger(alice) == [] and player_sync(user_id=alice.pk).gems == STARTING_GEMS


def test_a_second_reversal_before_the_purchase_is_kept_once(alice, stripe, checkout, products):
    session_id = checkout(alice, "gems-100")
    paid = stripe.pay(session_id)
    assert deliver(stripe.refund(session_id)).json() == {"outcome": "kept_for_purchase"}
    assert deliver(stripe.dispute_closed(session_id, status="lost")).json() == {"outcome": "already_kept"}
    assert deliver(paid).json() == {"outcome": "reversed_before_grant"}
    assert Purchase.objects.get().status == "refunded"


@pytest.mark.parametrize("status", ["won", "under_review"])
def test_a_dispute_not_lost_before_the_purchase_leaves_the_grant(alice, stripe, checkout, products, status):
    session_id = checkout(alice, "gems-100")
    paid = stripe.pay(session_id)
    deliver(stripe.dispute_closed(session_id, status=status))
    deliver(stripe.refund(session_id, whole=False))  # a partial refund is the operator's call
    assert deliver(paid).json() == {"outcome": "granted"}
    assert player_sync(user_id=alice.pk).gems == STARTING_GEMS + 100


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_purchase_and_its_refund_at_the_same_moment_end_refunded(make_user, stripe, checkout, products):
    alice = make_user("alice")
    rounds = 8
    for _ in range(rounds):
        session_id = checkout(alice, "gems-100")
        paid, refund = stripe.pay(session_id), stripe.refund(session_id)
        answers = run_at_once(lambda: deliver(paid), lambda: deliver(refund))  # noqa: B023 - run here
        outcomes = tuple(answer.json()["outcome"] for answer in answers)
        assert outcomes in {("granted", "revoked"), ("reversed_before_grant", "kept_for_purchase")}
    assert list(Purchase.objects.values_list("status", flat=True)) == ["refunded"] * rounds
    assert player_sync(user_id=alice.pk).gems == STARTING_GEMS
    assert sum(amount for amount, _ in gem_ledger(alice)) == 0


def lock_waits() -> int:
    """Backends of this database waiting for a lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def wait_for(condition, *, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_refund_that_comes_while_its_purchase_is_being_granted_takes_it_back(make_user, stripe, checkout, products):
    """The purchase's transaction is held open (this test holds the buyer's wallet, which the grant
    locks last): the refund must wait for it, not conclude there is no purchase."""
    alice = make_user("alice")
    player_sync(user_id=alice.pk)  # her wallet exists
    session_id = checkout(alice, "gems-100")
    paid, refund = stripe.pay(session_id), stripe.refund(session_id)
    answers: dict = {}

    def send(name: str, event: dict) -> None:
        try:
            answers[name] = deliver(event)
        finally:
            connection.close()

    threads = {
        name: threading.Thread(target=send, args=(name, event)) for name, event in [("paid", paid), ("refund", refund)]
    }
    with transaction.atomic():
        Player.objects.select_for_update().get(pk=alice.pk)
        threads["paid"].start()
        wait_for(lambda: lock_waits() == 1, what="the grant to wait for the wallet")
        threads["refund"].start()
        wait_for(lambda: "refund" in answers or lock_waits() == 2, what="the refund to answer or to wait")
    for thread in threads.values():
        thread.join(30)
    assert answers["paid"].json() == {"outcome": "granted"}
    assert answers["refund"].json() == {"outcome": "revoked"}
    assert Purchase.objects.get().status == "refunded"
    assert player_sync(user_id=alice.pk).gems == STARTING_GEMS
    assert gem_ledger(alice) == [(100, "store_purchase"), (-100, "store_refund")]
