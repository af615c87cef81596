from datetime import timedelta

import pytest
from django.db import transaction

from conftest import requires_postgres
from gameplatform.testhelpers import run_at_once
from progression.models import IdempotencyKey, InventoryItem, LedgerEntry, Player, Purchase, ShopItem
from progression.services import player_ensure, shop_purchase
from progression.tests.conftest import assert_ledger_matches

pytestmark = pytest.mark.django_db


def test_catalog_lists_items_and_eggs_with_prices_and_stock(client_for, alice, make_shop_item, make_species):
    make_shop_item(price_gold=50)
    make_shop_item(egg_species=make_species("Fox", "rare"), price_gold=None, price_gems=5, stock=3)
    body = client_for(alice).get("/api/shop/items/").json()
    item, egg = body["results"]
    assert set(item) == {
        "id",
        "kind",
        "name",
        "item",
        "egg",
        "price_gold",
        "price_gems",
        "real_price",
        "gem_offer",
        "odds",
        "stock",
    }
    assert (item["kind"], item["item"]["name"], item["price_gold"], item["stock"]) == ("item", "Sword", 50, None)
    assert (egg["kind"], egg["name"], egg["egg"]["rarity"], egg["price_gems"], egg["stock"]) == (
        "egg",
        "Fox Egg",
        "rare",
        5,
        3,
    )


def test_inactive_shop_items_are_hidden(client_for, alice, make_shop_item):
    ShopItem.objects.filter(pk=make_shop_item().pk).update(is_active=False)
    assert client_for(alice).get("/api/shop/items/").json()["results"] == []


def test_a_new_player_can_afford_the_cheapest_gold_item_of_the_demo_catalog(client_for, alice):
    from progression import demo

    cheapest = min(price for *_, price, _gems, _stock in demo.ITEMS if price)
    assert client_for(alice).get("/api/player/me/").json()["gold"] >= cheapest


def test_purchase_debits_grants_and_writes_the_ledger(client_for, alice, make_shop_item):
    shop_item = make_shop_item(price_gold=40, stock=5)
    response = client_for(alice).post("/api/shop/purchase/", {"shop_item_id": shop_item.pk, "quantity": 2})
    assert response.status_code == 201
    body = response.json()
    assert (body["gold"], body["gems"]) == (250 - 80, 10)
    assert body["purchase"]["total_price"] == 80 and body["purchase"]["currency"] == "gold"
    assert InventoryItem.objects.get(player_id=alice.pk).quantity == 2
    shop_item.refresh_from_db()
    assert shop_item.stock == 3
    entry = LedgerEntry.objects.filter(player_id=alice.pk, reason="purchase").get()
    assert (entry.amount, entry.balance_after, entry.reference) == (-80, 170, f"purchase:{body['purchase']['id']}")
    assert_ledger_matches(alice.pk)


def test_buying_an_egg_puts_it_in_the_pets_list(client_for, alice, make_shop_item, make_species):
    shop_item = make_shop_item(egg_species=make_species("Griffin"), price_gold=None, price_gems=4)
    client = client_for(alice)
    body = client.post("/api/shop/purchase/", {"shop_item_id": shop_item.pk}).json()
    assert body["gems"] == 6 and body["purchase"]["currency"] == "gems"
    assert [e["species"]["name"] for e in client.get("/api/pets/").json()["eggs"]] == ["Griffin"]


def test_an_item_priced_in_both_can_be_paid_with_gems(client_for, alice, make_shop_item):
    shop_item = make_shop_item(price_gold=100, price_gems=3)
    body = client_for(alice).post("/api/shop/purchase/", {"shop_item_id": shop_item.pk, "pay_with": "gems"}).json()
    assert (body["gold"], body["gems"]) == (250, 7)


def test_paying_in_a_currency_the_item_has_no_price_in_is_refused(client_for, alice, make_shop_item):
    shop_item = make_shop_item(price_gold=10)
    response = client_for(alice).post("/api/shop/purchase/", {"shop_item_id": shop_item.pk, "pay_with": "gems"})
    assert response.status_code == 400 and response.json()["code"] == "not_for_sale_in_currency"


def test_insufficient_funds_changes_nothing(client_for, alice, player_of, make_shop_item):
    player_of(alice)
    shop_item = make_shop_item(price_gold=200, stock=4)
    response = client_for(alice).post("/api/shop/purchase/", {"shop_item_id": shop_item.pk, "quantity": 2})
    assert response.status_code == 400 and response.json()["code"] == "insufficient_funds"
    shop_item.refresh_from_db()
    assert shop_item.stock == 4
    assert Player.objects.get(pk=alice.pk).gold == 250
    assert not Purchase.objects.exists() and not InventoryItem.objects.exists()
    assert_ledger_matches(alice.pk)


def test_out_of_stock_changes_nothing(client_for, alice, player_of, make_shop_item):
    player_of(alice)
    shop_item = make_shop_item(price_gold=10, stock=1)
    response = client_for(alice).post("/api/shop/purchase/", {"shop_item_id": shop_item.pk, "quantity": 2})
    assert response.status_code == 400 and response.json()["code"] == "out_of_stock"
    assert Player.objects.get(pk=alice.pk).gold == 250
    shop_item.refresh_from_db()
    assert shop_item.stock == 1


def test_unknown_shop_item_and_bad_quantity(client_for, alice):
    client = client_for(alice)
    assert client.post("/api/shop/purchase/", {"shop_item_id": 999}).json()["code"] == "not_found"
    assert "quantity" in client.post("/api/shop/purchase/", {"shop_item_id": 1, "quantity": 0}).json()


def test_repeated_idempotency_key_returns_the_first_answer_and_charges_once(client_for, alice, make_shop_item):
    shop_item = make_shop_item(price_gold=30)
    client = client_for(alice)
    first = client.post("/api/shop/purchase/", {"shop_item_id": shop_item.pk}, HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/shop/purchase/", {"shop_item_id": shop_item.pk}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Player.objects.get(pk=alice.pk).gold == 220
    assert Purchase.objects.count() == 1
    other = client.post("/api/shop/purchase/", {"shop_item_id": shop_item.pk}, HTTP_IDEMPOTENCY_KEY="k-2")
    assert other.json()["gold"] == 190


def test_idempotency_keys_belong_to_one_user(client_for, alice, bob, make_shop_item):
    shop_item = make_shop_item(price_gold=30)
    client_for(alice).post("/api/shop/purchase/", {"shop_item_id": shop_item.pk}, HTTP_IDEMPOTENCY_KEY="same")
    response = client_for(bob).post("/api/shop/purchase/", {"shop_item_id": shop_item.pk}, HTTP_IDEMPOTENCY_KEY="same")
    assert response.status_code == 201
    assert Player.objects.get(pk=bob.pk).gold == 220


def test_reusing_a_key_for_another_request_is_refused(client_for, alice, make_shop_item):
    shop_item = make_shop_item(price_gold=30)
    client = client_for(alice)
    client.post("/api/shop/purchase/", {"shop_item_id": shop_item.pk}, HTTP_IDEMPOTENCY_KEY="k")
    response = client.post(
        "/api/shop/purchase/", {"shop_item_id": shop_item.pk, "quantity": 2}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 409 and response.json()["code"] == "idempotency_key_reused"


def test_a_failed_purchase_is_not_remembered_under_its_key(client_for, alice, make_shop_item):
    shop_item = make_shop_item(price_gold=300)
    client = client_for(alice)
    assert (
        client.post("/api/shop/purchase/", {"shop_item_id": shop_item.pk}, HTTP_IDEMPOTENCY_KEY="k").status_code == 400
    )
    assert not IdempotencyKey.objects.exists()


def test_database_refuses_negative_gold_and_stock(alice, player_of, make_shop_item):
    from django.db import IntegrityError

    player_of(alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Player.objects.filter(pk=alice.pk).update(gold=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ShopItem.objects.filter(pk=make_shop_item(stock=1).pk).update(stock=-1)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_purchases_beyond_the_balance_never_overdraw(alice, make_shop_item):
    shop_item = make_shop_item(price_gold=60)
    player_ensure(user_id=alice.pk)
    results = run_at_once(*[lambda: shop_purchase(user=alice, shop_item_id=shop_item.pk)] * 8)
    bought = [r for r in results if isinstance(r, Purchase)]
    refused = [r for r in results if not isinstance(r, Purchase)]
    assert len(bought) == 4  # 250 // 60
    assert all(r == "insufficient_funds" for r in refused), refused
    assert Player.objects.get(pk=alice.pk).gold == 10
    assert_ledger_matches(alice.pk)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_last_unit_in_stock_is_sold_once(alice, bob, carol, make_shop_item):
    shop_item = make_shop_item(price_gold=10, stock=1)
    users = [alice, bob, carol]
    for user in users:
        player_ensure(user_id=user.pk)
    results = run_at_once(*[lambda u=u: shop_purchase(user=u, shop_item_id=shop_item.pk) for u in users])
    assert sum(isinstance(r, Purchase) for r in results) == 1
    assert sorted(r for r in results if isinstance(r, str)) == ["out_of_stock", "out_of_stock"]
    assert ShopItem.objects.get(pk=shop_item.pk).stock == 0
    for user in users:
        assert_ledger_matches(user.pk)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_same_idempotency_key_sent_twice_at_once_charges_once(client_for, alice, make_shop_item):
    shop_item = make_shop_item(price_gold=25)
    player_ensure(user_id=alice.pk)

    def buy():
        return client_for(alice).post(
            "/api/shop/purchase/", {"shop_item_id": shop_item.pk}, HTTP_IDEMPOTENCY_KEY="race"
        )

    responses = run_at_once(*[buy] * 4)
    assert [r.status_code for r in responses] == [201] * 4, responses
    assert all(r.json() == responses[0].json() for r in responses)
    assert Purchase.objects.count() == 1
    assert Player.objects.get(pk=alice.pk).gold == 225
    assert_ledger_matches(alice.pk)


def test_purchase_answer_shows_the_stock_left(client_for, alice, make_shop_item):
    shop_item = make_shop_item(price_gold=5, stock=3)
    body = client_for(alice).post("/api/shop/purchase/", {"shop_item_id": shop_item.pk}).json()
    assert body["purchase"]["shop_item"]["stock"] == 2


def test_stored_answers_expire_after_a_day(client_for, alice, make_shop_item, frozen_clock):
    from progression.timers import expire_idempotency_keys

    shop_item = make_shop_item(price_gold=5)
    client_for(alice).post("/api/shop/purchase/", {"shop_item_id": shop_item.pk}, HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyKey.objects.update(created_at=frozen_clock() - timedelta(hours=25))
    client_for(alice).post("/api/shop/purchase/", {"shop_item_id": shop_item.pk}, HTTP_IDEMPOTENCY_KEY="new")
    IdempotencyKey.objects.filter(key="new").update(created_at=frozen_clock())
    assert expire_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_writes_are_rate_limited_per_user(client_for, alice, make_shop_item, monkeypatch):
    from gameplatform.data.ratelimit import Budget
    from progression.apis import ProgressionWriteThrottle

    monkeypatch.setattr(ProgressionWriteThrottle, "budget", Budget("progression_write", limit=2, window=60.0))
    shop_item = make_shop_item(price_gold=1)
    client = client_for(alice)
    for _ in range(2):
        assert client.post("/api/shop/purchase/", {"shop_item_id": shop_item.pk}).status_code == 201
    refused = client.post("/api/shop/purchase/", {"shop_item_id": shop_item.pk})
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert refused.json()["detail"] == "At most 2 requests per minute." and refused.json()["retry_after"] > 0
    assert Player.objects.get(pk=alice.pk).gold == 248


def test_long_idempotency_keys_count_whole_not_by_their_first_128_characters(client_for, alice, make_shop_item):
    shop_item = make_shop_item(price_gold=30)
    client = client_for(alice)
    prefix = "p" * 128
    first = client.post("/api/shop/purchase/", {"shop_item_id": shop_item.pk}, HTTP_IDEMPOTENCY_KEY=prefix + "-one")
    second = client.post("/api/shop/purchase/", {"shop_item_id": shop_item.pk}, HTTP_IDEMPOTENCY_KEY=prefix + "-two")
    assert first.status_code == second.status_code == 201
    assert first.json()["purchase"]["id"] != second.json()["purchase"]["id"]
    assert Purchase.objects.count() == 2
    again = client.post("/api/shop/purchase/", {"shop_item_id": shop_item.pk}, HTTP_IDEMPOTENCY_KEY=prefix + "-two")
    assert again.json() == second.json()
    assert Purchase.objects.count() == 2 and Player.objects.get(pk=alice.pk).gold == 190
