"""Random boxes: declared odds served beside the box, draws by those odds from a secure source,
each draw kept with the purchase, and LOOTBOX_RULES refusing by country and age band."""

import pytest

from liveops.models import PlayerAttributes
from progression.models import BoxDraw, BoxOutcome, InventoryItem, Player, ShopItem
from progression.services.shop import box_draw, box_outcomes
from progression.tests.conftest import assert_ledger_matches

pytestmark = pytest.mark.django_db

WEIGHTS = {"Common Sword": 70, "Rare Shield": 25, "Legendary Crown": 5}


@pytest.fixture
def box(make_item):
    shop_item = ShopItem.objects.create(box_name="Mystery Box", price_gold=None, price_gems=3)
    for name, weight in WEIGHTS.items():
        BoxOutcome.objects.create(shop_item=shop_item, item=make_item(name), weight=weight)
    return shop_item


@pytest.fixture
def adult(alice):
    alice.age_band = "adult"
    alice.save(update_fields=["age_band"])
    return alice


def _buy(client, box, **headers):
    return client.post("/api/shop/purchase/", {"shop_item_id": box.pk}, **headers)


def test_a_box_serves_its_odds_beside_it(client_for, alice, box):
    """The shop lists each outcome with its probability: the weights over their total."""
    entry = client_for(alice).get("/api/shop/items/").json()["results"][0]
    assert (entry["kind"], entry["name"], entry["item"]) == ("box", "Mystery Box", None)
    assert entry["odds"] == [
        {"outcome": "Common Sword", "probability": 0.7},
        {"outcome": "Rare Shield", "probability": 0.25},
        {"outcome": "Legendary Crown", "probability": 0.05},
    ]


def test_draws_follow_the_declared_odds(box):
    """20 000 draws against 70/25/5: Pearson's chi-square with 2 degrees of freedom stays under
    13.82 (p = 0.001), and every outcome comes up."""
    draws = 20_000
    counts = dict.fromkeys(WEIGHTS, 0)
    outcomes = box_outcomes(shop_item=box)  # the purchase's own read: one for all its draws
    for _ in range(draws):
        counts[box_draw(outcomes).item.name] += 1
    chi_square = sum((counts[name] - draws * w / 100) ** 2 / (draws * w / 100) for name, w in WEIGHTS.items())
    assert chi_square < 13.82, counts
    assert all(counts.values())


def test_buying_a_box_grants_its_draw_and_keeps_it_with_the_purchase(client_for, adult, box):
    response = _buy(client_for(adult), box)
    assert response.status_code == 201, response.content
    purchase = response.json()["purchase"]
    (drawn,) = purchase["outcomes"]
    assert drawn in WEIGHTS
    draw = BoxDraw.objects.get(purchase_id=purchase["id"])
    assert draw.outcome.item.name == drawn
    assert InventoryItem.objects.get(player_id=adult.pk).template.name == drawn
    assert response.json()["gems"] == 10 - 3
    assert_ledger_matches(adult.pk)


@pytest.mark.parametrize("country", ["BE", "nl"])
def test_a_box_is_refused_where_the_rules_say_none_by_the_balancers_header(client_for, adult, box, settings, country):
    """Belgium and the Netherlands (the default rules): 403 not_allowed_in_country, nothing charged."""
    settings.GEO_COUNTRY_HEADER = "CF-IPCountry"
    response = _buy(client_for(adult), box, HTTP_CF_IPCOUNTRY=country)
    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed_in_country"
    assert not BoxDraw.objects.exists()
    assert Player.objects.get(pk=adult.pk).gems == 10


def test_without_a_header_the_players_declared_country_decides(client_for, adult, box):
    PlayerAttributes.objects.create(user=adult, country="BE")
    assert _buy(client_for(adult), box).json()["code"] == "not_allowed_in_country"


def test_the_balancers_header_wins_over_the_declared_country(client_for, adult, box, settings):
    settings.GEO_COUNTRY_HEADER = "X-Country-Code"
    PlayerAttributes.objects.create(user=adult, country="BE")
    assert _buy(client_for(adult), box, HTTP_X_COUNTRY_CODE="FR").status_code == 201


@pytest.mark.parametrize("band", ["16_17", "unknown"])
def test_in_brazil_a_minor_or_an_unknown_age_is_refused(client_for, alice, box, settings, band):
    """Brazil's rule is ``adults``: a minor, and a player who never said their age, get 403 not_allowed_for_age."""
    settings.GEO_COUNTRY_HEADER = "CF-IPCountry"
    alice.age_band = band
    alice.save(update_fields=["age_band"])
    response = _buy(client_for(alice), box, HTTP_CF_IPCOUNTRY="BR")
    assert (response.status_code, response.json()["code"]) == (403, "not_allowed_for_age")


def test_in_brazil_an_adult_may_buy_and_rules_are_the_studios_to_set(client_for, adult, alice, box, settings):
    settings.GEO_COUNTRY_HEADER = "CF-IPCountry"
    assert _buy(client_for(adult), box, HTTP_CF_IPCOUNTRY="BR").status_code == 201
    settings.LOOTBOX_RULES = {"FR": "none"}
    assert _buy(client_for(alice), box, HTTP_CF_IPCOUNTRY="BE").status_code == 201
    assert _buy(client_for(alice), box, HTTP_CF_IPCOUNTRY="FR").json()["code"] == "not_allowed_in_country"


def test_a_plain_item_is_sold_whatever_the_country(client_for, alice, make_shop_item, settings):
    settings.GEO_COUNTRY_HEADER = "CF-IPCountry"
    shop_item = make_shop_item(price_gold=10)
    response = client_for(alice).post("/api/shop/purchase/", {"shop_item_id": shop_item.pk}, HTTP_CF_IPCOUNTRY="BE")
    assert response.status_code == 201
