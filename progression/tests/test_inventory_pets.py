import pytest

from progression import rules
from progression.models import Egg, InventoryItem, Pet, Player
from progression.services import egg_grant, inventory_grant
from progression.tests.conftest import assert_ledger_matches

pytestmark = pytest.mark.django_db


@pytest.fixture
def gear(alice, player_of, make_item):
    player = player_of(alice)
    return {
        "sword": inventory_grant(player=player, template=make_item("Sword", "weapon", "common", strength=2)),
        "axe": inventory_grant(player=player, template=make_item("Axe", "weapon", "epic", strength=9)),
        "cap": inventory_grant(player=player, template=make_item("Cap", "head", "rare", vitality=1)),
    }


def test_inventory_lists_items_with_template_and_flags(client_for, alice, gear):
    body = client_for(alice).get("/api/inventory/").json()
    assert [row["item"]["name"] for row in body["results"]] == ["Sword", "Axe", "Cap"]
    row = body["results"][1]
    assert set(row) == {"id", "item", "quantity", "equipped"}
    assert row["item"]["rarity"] == "epic" and row["item"]["slot"] == "weapon"
    assert row["item"]["stats"] == {"strength": 9, "agility": 0, "intelligence": 0, "vitality": 0}


def test_granting_the_same_template_stacks(alice, player_of, gear):
    stack = inventory_grant(player=player_of(alice), template=gear["sword"].template, quantity=2)
    assert stack.pk == gear["sword"].pk and stack.quantity == 3


def test_equipping_replaces_the_item_in_that_slot_only(client_for, alice, gear):
    client = client_for(alice)
    assert client.post(f"/api/inventory/equip/{gear['sword'].pk}/").json()["equipped"] is True
    client.post(f"/api/inventory/equip/{gear['cap'].pk}/")
    client.post(f"/api/inventory/equip/{gear['axe'].pk}/")
    equipped = set(InventoryItem.objects.filter(equipped=True).values_list("template__name", flat=True))
    assert equipped == {"Axe", "Cap"}


def test_equipping_twice_is_harmless(client_for, alice, gear):
    client = client_for(alice)
    client.post(f"/api/inventory/equip/{gear['sword'].pk}/")
    assert client.post(f"/api/inventory/equip/{gear['sword'].pk}/").status_code == 200


def test_cannot_equip_someone_elses_item(client_for, bob, gear):
    response = client_for(bob).post(f"/api/inventory/equip/{gear['sword'].pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not InventoryItem.objects.filter(equipped=True).exists()


def test_unequip_frees_the_slot(client_for, alice, gear):
    client = client_for(alice)
    client.post(f"/api/inventory/equip/{gear['cap'].pk}/")
    response = client.post("/api/inventory/unequip/head/")
    assert response.status_code == 200 and response.json()["equipped"] is False
    again = client.post("/api/inventory/unequip/head/")
    assert again.status_code == 404 and again.json()["code"] == "not_equipped"


def test_unequip_unknown_slot_is_refused(client_for, alice, gear):
    response = client_for(alice).post("/api/inventory/unequip/wings/")
    assert response.status_code == 400 and response.json()["code"] == "invalid_slot"


def test_eggs_hatch_at_once_into_pets(client_for, alice, player_of, make_species):
    egg = egg_grant(player=player_of(alice), species=make_species("Fox", "rare", 8))[0]
    client = client_for(alice)
    listing = client.get("/api/pets/").json()
    assert listing["results"] == [] and listing["eggs"][0]["species"]["name"] == "Fox"
    response = client.post(f"/api/pets/hatch/{egg.pk}/")
    assert response.status_code == 201
    pet = response.json()
    assert (pet["species"]["name"], pet["level"], pet["equipped"], pet["power"]) == ("Fox", 1, False, 8)
    assert not Egg.objects.exists()
    listing = client.get("/api/pets/").json()
    assert [p["id"] for p in listing["results"]] == [pet["id"]] and listing["eggs"] == []
    assert listing["equipped_max"] == rules.PETS_EQUIPPED_MAX


def test_hatching_another_players_egg_is_not_found(client_for, alice, bob, player_of, make_species):
    egg = egg_grant(player=player_of(alice), species=make_species())[0]
    assert client_for(bob).post(f"/api/pets/hatch/{egg.pk}/").status_code == 404
    assert Egg.objects.filter(pk=egg.pk).exists()


def test_feeding_costs_gold_and_levels_the_pet(client_for, alice, player_of, make_species):
    pet = Pet.objects.create(player=player_of(alice), species=make_species(base_power=5))
    client = client_for(alice)
    first = client.post(f"/api/pets/feed/{pet.pk}/").json()
    assert first["gold"] == 250 - rules.PET_FEED_COST_GOLD
    assert (first["pet"]["level"], first["pet"]["xp"]) == (1, 40)
    second = client.post(f"/api/pets/feed/{pet.pk}/").json()
    assert (second["pet"]["level"], second["pet"]["xp"], second["pet"]["power"]) == (2, 30, 7)
    assert_ledger_matches(alice.pk)


def test_feeding_without_gold_changes_nothing(client_for, alice, player_of, make_species):
    player = player_of(alice)
    pet = Pet.objects.create(player=player, species=make_species())
    Player.objects.filter(pk=player.pk).update(gold=0)
    response = client_for(alice).post(f"/api/pets/feed/{pet.pk}/")
    assert response.status_code == 400 and response.json()["code"] == "insufficient_funds"
    pet.refresh_from_db()
    assert pet.xp == 0


def test_feeding_a_max_level_pet_is_refused(client_for, alice, player_of, make_species):
    pet = Pet.objects.create(player=player_of(alice), species=make_species(), level=rules.PET_MAX_LEVEL)
    response = client_for(alice).post(f"/api/pets/feed/{pet.pk}/")
    assert response.status_code == 409 and response.json()["code"] == "pet_max_level"


def test_at_most_n_pets_are_equipped(client_for, alice, player_of, make_species):
    species = make_species()
    player = player_of(alice)
    pets = [Pet.objects.create(player=player, species=species) for _ in range(rules.PETS_EQUIPPED_MAX + 1)]
    client = client_for(alice)
    for pet in pets[:-1]:
        assert client.post(f"/api/pets/equip/{pet.pk}/").json()["equipped"] is True
    response = client.post(f"/api/pets/equip/{pets[-1].pk}/")
    assert response.status_code == 409 and response.json()["code"] == "too_many_pets"
    assert client.post(f"/api/pets/unequip/{pets[0].pk}/").json()["equipped"] is False
    assert client.post(f"/api/pets/equip/{pets[-1].pk}/").status_code == 200


def test_cannot_feed_or_equip_someone_elses_pet(client_for, alice, bob, player_of, make_species):
    pet = Pet.objects.create(player=player_of(alice), species=make_species())
    client = client_for(bob)
    assert client.post(f"/api/pets/feed/{pet.pk}/").status_code == 404
    assert client.post(f"/api/pets/equip/{pet.pk}/").status_code == 404
    assert client.post(f"/api/pets/unequip/{pet.pk}/").status_code == 404
