import pytest
from django.db import transaction
from django.test import override_settings

from progression import rules
from progression.models import LedgerEntry, Pet, Player
from progression.services import balance_change, inventory_grant, player_add_xp, player_lock
from progression.tests.conftest import assert_ledger_matches

pytestmark = pytest.mark.django_db


def test_profile_is_created_on_first_use_with_starting_balances_in_the_ledger(client_for, alice):
    response = client_for(alice).get("/api/player/me/")
    assert response.status_code == 200
    body = response.json()
    assert body["level"] == 1 and body["xp"] == 0 and body["xp_to_next_level"] == 100
    assert body["stats"] == {"strength": 5, "agility": 5, "intelligence": 5, "vitality": 5}
    assert (body["gold"], body["gems"], body["stamina"], body["max_stamina"]) == (250, 10, 100, 100)
    assert body["power"] == 40
    assert_ledger_matches(alice.pk)
    assert LedgerEntry.objects.filter(player_id=alice.pk, reason="start").count() == 3


def test_profile_read_is_cheap(client_for, alice, django_assert_max_num_queries):
    client = client_for(alice)
    client.get("/api/player/me/")
    with django_assert_max_num_queries(5):
        assert client.get("/api/player/me/").status_code == 200


def test_allocate_stats_spends_points(client_for, alice, player_of):
    Player.objects.filter(pk=player_of(alice).pk).update(stat_points=5)
    response = client_for(alice).post("/api/player/allocate-stats/", {"strength": 3, "vitality": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["stat_points"] == 0
    assert body["stats"]["strength"] == 8 and body["stats"]["vitality"] == 7


def test_allocate_more_points_than_owned_changes_nothing(client_for, alice, player_of):
    Player.objects.filter(pk=player_of(alice).pk).update(stat_points=2)
    response = client_for(alice).post("/api/player/allocate-stats/", {"strength": 2, "agility": 1})
    assert response.status_code == 400
    assert response.json()["code"] == "not_enough_stat_points"
    player = Player.objects.get(pk=alice.pk)
    assert (player.stat_points, player.strength, player.agility) == (2, 5, 5)


def test_allocate_needs_at_least_one_positive_point(client_for, alice):
    client = client_for(alice)
    assert client.post("/api/player/allocate-stats/", {}).status_code == 400
    assert "strength" in client.post("/api/player/allocate-stats/", {"strength": -1}).json()


@override_settings(STAMINA_REGEN_INTERVAL=60, STAMINA_REGEN_PERCENT=10)
def test_stamina_regenerates_by_elapsed_intervals(client_for, alice, player_of, frozen_clock):
    player_of(alice)
    with transaction.atomic():
        balance_change(player=player_lock(user_id=alice.pk), stamina=-50, reason="test")
    client = client_for(alice)
    frozen_clock.advance(59)
    assert client.post("/api/player/regenerate-stamina/").json()["stamina"] == 50
    frozen_clock.advance(1 + 120 + 30)  # three whole intervals, half of the next one
    assert client.post("/api/player/regenerate-stamina/").json()["stamina"] == 80
    frozen_clock.advance(30)  # the kept half interval completes
    assert client.get("/api/player/me/").json()["stamina"] == 90
    frozen_clock.advance(3600)
    body = client.post("/api/player/regenerate-stamina/").json()
    assert (body["stamina"], body["max_stamina"]) == (100, 100)
    assert_ledger_matches(alice.pk)
    assert LedgerEntry.objects.filter(player_id=alice.pk, reason="regen").count() == 3


@override_settings(STAMINA_REGEN_INTERVAL=60, STAMINA_REGEN_PERCENT=10)
def test_full_stamina_does_not_bank_time(client_for, alice, player_of, frozen_clock):
    player_of(alice)
    frozen_clock.advance(3600)
    with transaction.atomic():
        balance_change(player=player_lock(user_id=alice.pk), stamina=-30, reason="test")
    frozen_clock.advance(59)
    assert client_for(alice).post("/api/player/regenerate-stamina/").json()["stamina"] == 70


def test_ledger_lists_changes_newest_first_paginated(client_for, alice, player_of):
    player_of(alice)
    body = client_for(alice).get("/api/player/ledger/?page_size=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    entry = body["results"][0]
    assert set(entry) == {"id", "currency", "amount", "balance_after", "reason", "reference", "created_at"}
    assert entry["currency"] == "stamina" and entry["balance_after"] == 100


def test_ledger_shows_only_my_rows(client_for, alice, bob, player_of):
    player_of(alice), player_of(bob)
    rows = client_for(alice).get("/api/player/ledger/").json()["results"]
    assert {r["id"] for r in rows} == set(LedgerEntry.objects.filter(player_id=alice.pk).values_list("id", flat=True))


def test_xp_curve_levels_up_with_carry_over_and_rewards():
    assert rules.apply_xp(level=1, xp=0, gained=99) == (1, 99, 0)
    assert rules.apply_xp(level=1, xp=50, gained=300) == (3, 50, 2)  # 100 for level 2, 200 for level 3


def test_level_up_grants_stat_points_and_max_stamina(alice, player_of):
    player = player_of(alice)
    assert player_add_xp(player=player, xp=350) == 2
    player.refresh_from_db()
    assert (player.level, player.xp, player.stat_points, player.max_stamina) == (3, 50, 6, 110)


def test_power_counts_equipped_items_and_pets(client_for, alice, player_of, make_item, make_species):
    player = player_of(alice)
    sword = inventory_grant(player=player, template=make_item("Blade", strength=4, agility=1))
    Pet.objects.create(player=player, species=make_species(base_power=7), level=2, equipped=True)
    Pet.objects.create(player=player, species=make_species("Idle", base_power=50))  # not equipped
    client = client_for(alice)
    client.post(f"/api/inventory/equip/{sword.pk}/")
    body = client.get("/api/player/me/").json()
    assert body["equipped_stats"]["strength"] == 9
    assert body["power"] == 2 * (9 + 6 + 5 + 5) + (7 + 2)


def test_player_routes_need_authentication(api_client):
    assert api_client.get("/api/player/me/").status_code == 401
    assert api_client.get("/api/player/ledger/").status_code == 401


def test_level_up_with_a_full_bar_restarts_regeneration_now(alice, player_of, frozen_clock):
    player = player_of(alice)
    frozen_clock.advance(10_000)
    with transaction.atomic():
        player_add_xp(player=player_lock(user_id=alice.pk), xp=100)
    player.refresh_from_db()
    assert (player.stamina, player.max_stamina, player.stamina_updated_at) == (100, 105, frozen_clock())
