"""The shop's real-money disclosures: gem prices shown in money at the cheapest gem pack, and the
gem pack a player who lacks gems is offered (EU CPC network's principles on in-game virtual
currencies, 2025; docs/payments.md, "The shop and the law")."""

import pytest

from payments.models import Product
from progression.models import ItemTemplate, Player, ShopItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def packs(settings):
    """Three gem packs: 100 for 1.99, 550 for 7.99 (the cheapest per gem), 30 for 0.99."""
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_x", "whsec_x"
    for pk, gems, price in (("gems-100", 100, 199), ("gems-550", 550, 799), ("gems-30", 30, 99)):
        Product.objects.create(id=pk, name=f"{gems} gems", kind="gems", price=price, gems=gems)


@pytest.fixture
def make_shop_item():
    def make(price_gold=None, price_gems=None):
        item = ItemTemplate.objects.create(name=f"Sword {ItemTemplate.objects.count()}", slot="weapon")
        return ShopItem.objects.create(item=item, price_gold=price_gold, price_gems=price_gems)

    return make


def _listed(client, shop_item):
    return next(entry for entry in client.get("/api/shop/items/").json()["results"] if entry["id"] == shop_item.pk)


def test_a_gem_priced_item_shows_its_money_price_at_the_cheapest_pack(client_for, alice, packs, make_shop_item):
    """A player sees what 120 gems cost in money: 120 × 7.99 / 550 = 1.74 (rounded half up)."""
    shop_item = make_shop_item(price_gold=None, price_gems=120)
    entry = _listed(client_for(alice), shop_item)
    assert entry["real_price"] == {"amount": 174, "currency": "usd"}


def test_a_gold_only_item_and_a_shop_without_gem_packs_show_no_real_price(client_for, alice, make_shop_item):
    gold_only = make_shop_item(price_gold=50)
    gem_priced = make_shop_item(price_gold=None, price_gems=120)
    client = client_for(alice)
    assert _listed(client, gold_only)["real_price"] is None
    assert _listed(client, gem_priced)["real_price"] is None  # no store configured: nothing sells gems


def test_a_player_short_of_gems_is_offered_the_smallest_pack_that_covers_it_with_the_leftover(
    client_for, alice, packs, make_shop_item
):
    """Alice has 10 gems; an item of 120 lacks 110: the 550 pack covers it (100 would not), 440 left."""
    shop_item = make_shop_item(price_gold=None, price_gems=120)
    client = client_for(alice)
    offer = _listed(client, shop_item)["gem_offer"]
    assert Player.objects.get(pk=alice.pk).gems == 10
    assert offer == {
        "product_id": "gems-550",
        "gems": 550,
        "packs_needed": 1,
        "missing": 110,
        "leftover": 440,
        "price": {"amount": 799, "currency": "usd"},
    }
    cheap = make_shop_item(price_gold=None, price_gems=35)
    assert _listed(client, cheap)["gem_offer"]["product_id"] == "gems-30"  # 25 missing: the 30 pack
    Player.objects.filter(pk=alice.pk).update(gems=200)
    assert _listed(client, shop_item)["gem_offer"] is None  # enough gems: no offer


def test_an_item_dearer_than_the_largest_pack_is_offered_several(client_for, alice, packs, make_shop_item):
    shop_item = make_shop_item(price_gold=None, price_gems=1200)
    offer = _listed(client_for(alice), shop_item)["gem_offer"]
    assert (offer["product_id"], offer["packs_needed"], offer["leftover"]) == ("gems-550", 3, 3 * 550 - 1190)
