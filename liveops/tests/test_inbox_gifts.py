"""Inbox gifts: a message may carry ``grants`` (gold, gems, items) and ``expires_at``; its player
claims them once, through progression's ledger, before it expires, even when claims race."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import requires_postgres
from gameplatform.testhelpers import run_at_once
from liveops.inbox import services
from liveops.models import Message
from progression.models import InventoryItem, ItemTemplate, LedgerEntry, Player
from progression.services import player_ensure
from progression.tests.conftest import assert_ledger_matches

pytestmark = pytest.mark.django_db

ADMIN_URL = "/api/liveops/admin/messages/"


@pytest.fixture
def sword():
    return ItemTemplate.objects.create(name="Sword", slot="weapon")


def gift(*, grants, expires_at=None, **fields) -> Message:
    """A gift for everyone, delivered."""
    sent = services.message_create(staff=None, title="Gift", grants=grants, expires_at=expires_at, **fields)
    services.message_deliver(message_id=sent.pk)
    return sent


def claim_url(message: Message) -> str:
    return f"/api/liveops/messages/{message.pk}/claim/"


def test_claiming_a_gift_grants_it_through_the_ledger_once(client_for, alice, sword):
    player_ensure(user_id=alice.pk)
    before = Player.objects.get(pk=alice.pk)
    sent = gift(grants={"gold": 100, "gems": 5, "items": [{"item_id": sword.pk, "quantity": 2}]})
    client = client_for(alice)
    listed = client.get("/api/liveops/messages/").json()["results"][0]
    assert (listed["grants"], listed["claimed_at"], listed["expires_at"]) == (
        {"gold": 100, "gems": 5, "items": [{"item_id": sword.pk, "quantity": 2}]},
        None,
        None,
    )
    claimed = client.post(claim_url(sent))
    assert claimed.status_code == 200, claimed.content
    assert claimed.json() == {
        "grants": {"gold": 100, "gems": 5, "items": [{"item_id": sword.pk, "quantity": 2}]},
        "gold": before.gold + 100,
        "gems": before.gems + 5,
    }
    again = client.post(claim_url(sent))
    assert (again.status_code, again.json()["code"]) == (409, "already_claimed")
    ledger = LedgerEntry.objects.filter(player_id=alice.pk, reference=f"message:{sent.pk}")
    assert sorted(ledger.values_list("currency", "amount")) == [("gems", 5), ("gold", 100)]
    assert InventoryItem.objects.get(player_id=alice.pk, template=sword).quantity == 2
    listed = client.get("/api/liveops/messages/").json()["results"][0]
    assert listed["claimed_at"] is not None and listed["read_at"] is not None  # claiming reads it
    assert_ledger_matches(alice.pk)


def test_an_expired_gift_is_410_and_grants_nothing(client_for, alice):
    sent = gift(grants={"gold": 100}, expires_at=timezone.now() + timedelta(minutes=5))
    now = timezone.now()
    Message.objects.filter(pk=sent.pk).update(send_at=now - timedelta(hours=1), expires_at=now - timedelta(seconds=1))
    answer = client_for(alice).post(claim_url(sent))
    assert (answer.status_code, answer.json()["code"]) == (410, "expired")
    assert not LedgerEntry.objects.filter(reference=f"message:{sent.pk}").exists()


def test_a_gift_not_in_my_inbox_is_404_and_a_message_without_grants_409(client_for, alice, bob):
    sent = gift(grants={"gems": 1}, condition={"username": "alice"})
    plain = gift(grants=None)
    answer = client_for(bob).post(claim_url(sent))
    assert (answer.status_code, answer.json()["code"]) == (404, "message_not_found")
    answer = client_for(alice).post(claim_url(plain))
    assert (answer.status_code, answer.json()["code"]) == (409, "nothing_to_claim")
    assert client_for(alice).get("/api/liveops/messages/").json()["results"][0]["grants"] is None


def test_staff_set_grants_and_expiry_and_bad_ones_are_refused_naming_the_field(client_for, operator, sword):
    client = client_for(operator)
    expires = (timezone.now() + timedelta(days=7)).isoformat()
    body = {"title": "Sorry", "grants": {"gems": 50, "items": [{"item_id": sword.pk, "quantity": 1}]}}
    made = client.post(ADMIN_URL, {**body, "expires_at": expires}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["grants"] == {"gold": 0, "gems": 50, "items": [{"item_id": sword.pk, "quantity": 1}]}
    assert made.json()["expires_at"] is not None
    for grants in (
        [1],
        {"gold": -1},
        {"gold": True},
        {"rubies": 3},
        {"items": [{"item_id": 999999, "quantity": 1}]},
        {"items": [{"item_id": sword.pk, "quantity": 0}]},
        {"items": "sword"},
    ):
        refused = client.post(ADMIN_URL, {"title": "x", "grants": grants}, format="json")
        assert refused.status_code == 400 and "grants" in refused.json(), (grants, refused.content)
    past = (timezone.now() - timedelta(minutes=1)).isoformat()
    refused = client.post(ADMIN_URL, {"title": "x", "grants": {"gold": 1}, "expires_at": past}, format="json")
    assert refused.status_code == 400 and "expires_at" in refused.json()
    assert Message.objects.count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_claims_racing_grant_the_gift_once(alice, sword):
    player_ensure(user_id=alice.pk)
    gold = Player.objects.get(pk=alice.pk).gold
    sent = gift(grants={"gold": 100, "items": [{"item_id": sword.pk, "quantity": 1}]})
    results = run_at_once(*[lambda: services.message_claim(user=alice, message_id=sent.pk)] * 8)
    claimed = [r for r in results if not isinstance(r, str)]
    assert len(claimed) == 1, results
    assert [r for r in results if isinstance(r, str)] == ["already_claimed"] * 7
    assert Player.objects.get(pk=alice.pk).gold == gold + 100
    assert LedgerEntry.objects.filter(player_id=alice.pk, reference=f"message:{sent.pk}").count() == 1
    assert InventoryItem.objects.get(player_id=alice.pk, template=sword).quantity == 1
    assert_ledger_matches(alice.pk)
