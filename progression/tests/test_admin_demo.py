import io

import pytest
from django.core.management import call_command

from progression import demo
from progression.models import Battle, Egg, ItemTemplate, LedgerEntry, Pet, Player, ShopItem
from progression.services import inventory_grant
from progression.tests.conftest import assert_ledger_matches

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def test_seed_demo_builds_a_catalog_across_rarities_battles_eggs_pets_and_gold():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # idempotent
    assert set(ItemTemplate.objects.values_list("rarity", flat=True)) == {
        "common",
        "uncommon",
        "rare",
        "epic",
        "legendary",
    }
    assert ShopItem.objects.filter(egg_species__isnull=False).count() == len(demo.PETS)
    assert Battle.objects.filter(status="open").count() == len(demo.ENEMIES)
    player = Player.objects.get(user__username="user_1")
    assert player.gold == 250 + demo.DEMO_GOLD
    assert Egg.objects.filter(player=player).count() == 1 and Pet.objects.filter(player=player).count() == 1
    assert LedgerEntry.objects.filter(player=player, reason="demo_grant").count() == 2
    assert_ledger_matches(player.pk)
    call_command("seed_demo", "--clear", stdout=io.StringIO())
    assert Player.objects.get(user__username="user_1").gold == 250 + demo.DEMO_GOLD


def test_admin_pages_for_templates_shop_battles_and_players(admin_client, alice, player_of, make_battle, make_item):
    call_command("seed_demo", stdout=io.StringIO())
    player = player_of(alice)
    inventory_grant(player=player, template=make_item("Admin Blade"))
    battle = make_battle()
    for name in [
        "itemtemplate",
        "petspecies",
        "enemytemplate",
        "shopitem",
        "battle",
        "player",
        "purchase",
        "ledgerentry",
    ]:
        assert admin_client.get(f"/admin/progression/{name}/").status_code == 200, name
    page = admin_client.get(f"/admin/progression/player/{alice.pk}/change/")
    assert page.status_code == 200 and b"Ledger entries" in page.content
    assert admin_client.get(f"/admin/progression/battle/{battle.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/progression/enemytemplate/{battle.enemy_id}/change/").status_code == 200


def test_admin_grant_action_writes_the_ledger(admin_client, alice, player_of):
    player_of(alice)
    response = admin_client.post(
        "/admin/progression/player/", {"action": "grant_100_gold", "_selected_action": [alice.pk]}
    )
    assert response.status_code == 302
    assert Player.objects.get(pk=alice.pk).gold == 350
    assert LedgerEntry.objects.get(player_id=alice.pk, reason="admin_grant").amount == 100
    assert_ledger_matches(alice.pk)


def test_admin_opens_a_battle_for_an_enemy(admin_client, make_battle):
    enemy = make_battle().enemy
    admin_client.post("/admin/progression/enemytemplate/", {"action": "open_battle", "_selected_action": [enemy.pk]})
    assert Battle.objects.filter(enemy=enemy, status="open").count() == 2


def test_openapi_schema_has_every_progression_route():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for route in [
        "/api/player/me/",
        "/api/player/allocate-stats/",
        "/api/player/regenerate-stamina/",
        "/api/player/ledger/",
        "/api/inventory/",
        "/api/inventory/equip/{inventory_id}/",
        "/api/inventory/unequip/{slot}/",
        "/api/pets/",
        "/api/pets/hatch/{egg_id}/",
        "/api/pets/feed/{pet_id}/",
        "/api/pets/equip/{pet_id}/",
        "/api/shop/items/",
        "/api/shop/purchase/",
        "/api/battles/available/",
        "/api/battles/join/{battle_id}/",
        "/api/battles/attack/{battle_id}/",
        "/api/battles/claim-loot/{battle_id}/",
        "/api/battles/history/",
    ]:
        assert route in paths, route


def test_admin_shop_form_refuses_an_entry_without_a_price(admin_client, make_item):
    item = make_item("Priceless")
    response = admin_client.post(
        "/admin/progression/shopitem/add/", {"item": item.pk, "sort_order": 0, "is_active": "on"}
    )
    assert response.status_code == 200  # the form again, with the constraint's error
    assert not ShopItem.objects.exists()
