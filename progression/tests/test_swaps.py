"""The trade swap refuses what no offer can hold (a negative quantity or gold), whoever calls it."""

import pytest

from gameplatform.core.errors import ApplicationError
from progression.models import InventoryItem, LedgerEntry, Player
from progression.services import Gift, inventory_grant, player_ensure, trade_swap

pytestmark = pytest.mark.django_db


@pytest.fixture
def players(alice, bob):
    for user in (alice, bob):
        player_ensure(user_id=user.pk)
    return alice, bob


def test_negative_gold_in_a_gift_takes_nothing_from_the_other_side(players):
    alice, bob = players
    before = {p.pk: p.gold for p in Player.objects.filter(pk__in=[alice.pk, bob.pk])}
    with pytest.raises(ApplicationError) as refused:
        trade_swap(first=Gift(alice.pk, gold=-50), second=Gift(bob.pk), reference="trade:test")
    assert refused.value.code == "invalid"
    assert {p.pk: p.gold for p in Player.objects.filter(pk__in=[alice.pk, bob.pk])} == before
    assert not LedgerEntry.objects.filter(reference="trade:test").exists()


@pytest.mark.parametrize("quantity", [0, -5])
def test_a_quantity_below_one_is_refused_and_moves_nothing(players, make_item, quantity):
    alice, bob = players
    item = inventory_grant(player=Player.objects.get(pk=alice.pk), template=make_item("Trade Axe"), quantity=1)
    with pytest.raises(ApplicationError) as refused:
        trade_swap(first=Gift(alice.pk, items={item.pk: quantity}), second=Gift(bob.pk), reference="trade:test")
    assert refused.value.code == "invalid"
    assert InventoryItem.objects.get(pk=item.pk).quantity == 1
    assert not InventoryItem.objects.filter(player_id=bob.pk).exists()
