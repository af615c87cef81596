"""Characters: create, list, select and delete with the contract's rules, raced on PostgreSQL."""

import pytest

from conftest import requires_postgres
from gameplatform.testhelpers import run_at_once
from world import services
from world.models import Character, Combat, Enemy, Faction, Trade

pytestmark = pytest.mark.django_db


def azure() -> Faction:
    return Faction.objects.get(name="Azure Order")


def create(client, name, faction="Crimson Covenant"):
    return client.post("/api/characters/", {"name": name, "faction": faction}, format="json")


def test_a_first_character_starts_at_its_factions_home_and_is_selected(world, client_for, alice):
    answer = create(client_for(alice), "Aria Dawn")
    assert answer.status_code == 201
    home = Faction.objects.get(name="Crimson Covenant").home_location_id
    assert answer.json() | {"id": 0, "created_at": ""} == {
        "id": 0,
        "name": "Aria Dawn",
        "faction": "Crimson Covenant",
        "level": 1,
        "xp": 0,
        "health": 100,
        "max_health": 100,
        "location_id": home,
        "selected": True,
        "created_at": "",
    }


def test_a_second_character_is_not_selected_and_a_faction_may_be_given_by_id(world, client_for, alice):
    client = client_for(alice)
    create(client, "First")
    azure = Faction.objects.get(name="Azure Order")
    answer = create(client, "Second", faction=azure.pk)
    assert answer.status_code == 201
    assert answer.json()["selected"] is False and answer.json()["faction"] == "Azure Order"
    assert [c["name"] for c in client.get("/api/characters/").json()["results"]] == ["First", "Second"]


def test_names_are_unique_whatever_their_case_across_users(world, client_for, alice, bob):
    create(client_for(alice), "Aria")
    answer = create(client_for(bob), "ARIA")
    assert answer.status_code == 409 and answer.json()["code"] == "name_taken"


def test_a_fourth_character_is_refused(world, client_for, alice):
    client = client_for(alice)
    for name in ("One", "Two", "Three"):
        assert create(client, name).status_code == 201
    answer = create(client, "Four")
    assert answer.status_code == 409 and answer.json()["code"] == "too_many_characters"


@pytest.mark.parametrize("name", ["ab", "x" * 25, " Aria", "Aria  Dawn", "Ar!a", "Ａria"])
def test_names_outside_the_rules_are_field_errors(world, client_for, alice, name):
    answer = create(client_for(alice), name)
    assert answer.status_code == 400
    assert "name" in answer.json()


def test_an_unknown_faction_is_a_field_error(world, client_for, alice):
    answer = create(client_for(alice), "Aria", faction="Nobody")
    assert answer.status_code == 400 and "faction" in answer.json()


def test_selecting_leaves_exactly_one_selected(world, client_for, alice):
    client = client_for(alice)
    first = create(client, "First").json()
    second = create(client, "Second").json()
    answer = client.post("/api/characters/select/", {"character_id": second["id"]}, format="json")
    assert answer.status_code == 200 and answer.json()["selected"] is True
    selected = {c["name"]: c["selected"] for c in client.get("/api/characters/").json()["results"]}
    assert selected == {"First": False, "Second": True}
    assert first["id"] != second["id"]


def test_another_users_character_cannot_be_selected_or_deleted(world, client_for, alice, bob):
    theirs = create(client_for(bob), "Borin").json()
    client = client_for(alice)
    answer = client.post("/api/characters/select/", {"character_id": theirs["id"]}, format="json")
    assert answer.status_code == 404 and answer.json()["code"] == "character_not_found"
    assert client.delete(f"/api/characters/{theirs['id']}/").status_code == 404
    assert Character.objects.filter(pk=theirs["id"]).exists()


def test_deleting_a_character_removes_it(world, client_for, alice):
    client = client_for(alice)
    mine = create(client, "Aria").json()
    assert client.delete(f"/api/characters/{mine['id']}/").status_code == 204
    assert client.get("/api/characters/").json()["results"] == []
    answer = client.post("/api/characters/select/", {"character_id": mine["id"]}, format="json")
    assert answer.status_code == 404


def test_seed_routes_without_the_slash_work(world, client_for, alice):
    client = client_for(alice)
    assert (
        client.post("/api/characters", {"name": "Aria", "faction": "Crimson Covenant"}, format="json").status_code
        == 201
    )
    assert client.get("/api/characters").status_code == 200


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_six_creates_at_once_make_exactly_three_characters(world, alice):
    results = run_at_once(
        *(lambda n=n: services.character_create(user=alice, name=f"Racer {n}", faction=azure()) for n in range(6))
    )
    assert sum(isinstance(r, Character) for r in results) == 3
    assert sorted(r for r in results if isinstance(r, str)) == ["too_many_characters"] * 3
    assert Character.objects.filter(user=alice).count() == 3
    assert Character.objects.filter(user=alice, selected=True).count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_name_taken_by_two_users_at_once_goes_to_one(world, alice, bob):
    results = run_at_once(
        lambda: services.character_create(user=alice, name="Twin", faction=azure()),
        lambda: services.character_create(user=bob, name="twin", faction=azure()),
    )
    assert sorted(type(r).__name__ for r in results) == ["Character", "str"]
    assert "name_taken" in results
    assert Character.objects.filter(name__iexact="twin").count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_selects_at_once_leave_exactly_one_selected(world, alice):
    ids = [services.character_create(user=alice, name=f"Pick {n}", faction=azure()).pk for n in range(3)]
    run_at_once(*(lambda i=i: services.character_select(user=alice, character_id=i) for i in ids * 2))
    assert Character.objects.filter(user=alice, selected=True).count() == 1


def test_a_character_in_a_running_trade_or_combat_cannot_be_deleted(world, client_for, alice, bob):
    mine = create(client_for(alice), "Aria").json()
    theirs = create(client_for(bob), "Borin").json()
    trade = Trade.objects.create(from_character_id=mine["id"], to_character_id=theirs["id"])
    answer = client_for(alice).delete(f"/api/characters/{mine['id']}/")
    assert answer.status_code == 409 and answer.json()["code"] == "character_busy"
    Trade.objects.filter(pk=trade.pk).update(status=Trade.Status.CANCELLED)
    enemy = Enemy.objects.first()
    Combat.objects.create(kind="pve", location=enemy.location, attacker_id=theirs["id"], enemy=enemy)
    assert client_for(bob).delete(f"/api/characters/{theirs['id']}/").status_code == 409
    assert client_for(alice).delete(f"/api/characters/{mine['id']}/").status_code == 204
