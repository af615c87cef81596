import pytest

from conftest import requires_postgres
from gameplatform.testhelpers import run_at_once
from progression import rules
from progression.models import Battle, BattleParticipant, Egg, InventoryItem, LedgerEntry, Player
from progression.services import AttackResult, battle_attack, battle_claim_loot, battle_join, player_ensure
from progression.tests.conftest import assert_ledger_matches

pytestmark = pytest.mark.django_db

BASE_DAMAGE = 28  # 10 + 2*5 + 5 + 5/2 with the starting stats, at a roll of 1.0


def test_available_lists_open_battles_with_enemy_hp_cost_and_participants(client_for, alice, make_battle):
    battle = make_battle(hp=500, stamina_cost=15)
    Battle.objects.filter(pk=make_battle().pk).update(status="defeated", hp=0, defeated_at="2026-01-01T00:00Z")
    client = client_for(alice)
    client.post(f"/api/battles/join/{battle.pk}/")
    body = client.get("/api/battles/available/").json()
    assert [b["id"] for b in body["results"]] == [battle.pk]
    row = body["results"][0]
    assert (row["hp"], row["max_hp"], row["stamina_cost"], row["status"]) == (500, 500, 15, "open")
    assert row["enemy"]["name"].startswith("Goblin")
    assert row["participants"] == [{"user_id": alice.pk, "username": "alice", "damage": 0}]
    assert row["participant_count"] == 1


def test_battle_detail_and_unknown_battle(client_for, alice, make_battle):
    battle = make_battle()
    client = client_for(alice)
    assert client.get(f"/api/battles/{battle.pk}/").json()["id"] == battle.pk
    assert client.get("/api/battles/999999/").status_code == 404


def test_join_costs_stamina_with_a_ledger_row(client_for, alice, make_battle):
    battle = make_battle(stamina_cost=30)
    response = client_for(alice).post(f"/api/battles/join/{battle.pk}/")
    assert response.status_code == 200
    assert Player.objects.get(pk=alice.pk).stamina == 70
    assert LedgerEntry.objects.get(player_id=alice.pk, reason="battle_join").reference == f"battle:{battle.pk}"
    assert_ledger_matches(alice.pk)


def test_join_without_enough_stamina_is_refused(client_for, alice, make_battle):
    battle = make_battle(stamina_cost=150)
    response = client_for(alice).post(f"/api/battles/join/{battle.pk}/")
    assert response.status_code == 400 and response.json()["code"] == "not_enough_stamina"
    assert not BattleParticipant.objects.exists()
    assert Player.objects.get(pk=alice.pk).stamina == 100


def test_join_twice_full_battle_and_finished_battle(client_for, alice, bob, carol, make_battle):
    battle = make_battle(max_participants=2)
    client_for(alice).post(f"/api/battles/join/{battle.pk}/")
    assert client_for(alice).post(f"/api/battles/join/{battle.pk}/").json()["code"] == "already_joined"
    client_for(bob).post(f"/api/battles/join/{battle.pk}/")
    full = client_for(carol).post(f"/api/battles/join/{battle.pk}/")
    assert full.status_code == 409 and full.json()["code"] == "battle_full"
    Battle.objects.filter(pk=battle.pk).update(status="defeated", hp=0, defeated_at="2026-01-01T00:00Z")
    assert client_for(carol).post(f"/api/battles/join/{battle.pk}/").json()["code"] == "battle_over"
    assert client_for(carol).post("/api/battles/join/999999/").status_code == 404


def test_attack_damage_comes_from_the_server_and_ignores_client_damage(client_for, alice, make_battle, fixed_roll):
    battle = make_battle(hp=1000)
    client = client_for(alice)
    client.post(f"/api/battles/join/{battle.pk}/")
    response = client.post(f"/api/battles/attack/{battle.pk}/", {"damage": 999999})
    assert response.status_code == 200
    assert response.json() == {
        "battle_id": battle.pk,
        "user_id": alice.pk,
        "damage": BASE_DAMAGE,
        "enemy_hp": 1000 - BASE_DAMAGE,
        "defeated": False,
    }


def test_damage_stays_within_the_roll_bounds(alice, player_of, monkeypatch):
    from progression import clock

    stats = {"strength": 5, "agility": 5, "intelligence": 5, "vitality": 5}
    low, high = rules.damage_bounds(stats=stats, pet_power_total=0)
    for extreme in (0.0, 0.8, 1.2, 5.0):
        monkeypatch.setattr(clock, "roll", lambda a, b, extreme=extreme: extreme)
        assert low <= rules.roll_damage(stats=stats, pet_power_total=0) <= high
    assert (low, high) == (22, 33)


def test_equipment_and_pets_raise_damage(client_for, alice, player_of, make_battle, make_item, fixed_roll):
    from progression.services import inventory_grant

    stack = inventory_grant(player=player_of(alice), template=make_item("Club", strength=5))
    battle = make_battle(hp=1000)
    client = client_for(alice)
    client.post(f"/api/inventory/equip/{stack.pk}/")
    client.post(f"/api/battles/join/{battle.pk}/")
    assert client.post(f"/api/battles/attack/{battle.pk}/").json()["damage"] == BASE_DAMAGE + 10


def test_attack_cooldown(client_for, alice, make_battle, frozen_clock, fixed_roll):
    battle = make_battle(hp=1000)
    client = client_for(alice)
    client.post(f"/api/battles/join/{battle.pk}/")
    client.post(f"/api/battles/attack/{battle.pk}/")
    frozen_clock.advance(0.4)
    refused = client.post(f"/api/battles/attack/{battle.pk}/")
    assert refused.status_code == 429
    assert refused.json()["code"] == "attack_cooldown" and refused.json()["retry_after"] == 0.6
    frozen_clock.advance(0.6)
    assert client.post(f"/api/battles/attack/{battle.pk}/").status_code == 200


def test_only_participants_attack(client_for, alice, make_battle):
    battle = make_battle()
    response = client_for(alice).post(f"/api/battles/attack/{battle.pk}/")
    assert response.status_code == 403 and response.json()["code"] == "not_participant"
    assert client_for(alice).post("/api/battles/attack/999999/").status_code == 404


def test_defeat_awards_xp_to_every_participant_once(client_for, alice, bob, make_battle, fixed_roll):
    battle = make_battle(hp=30, xp_reward=150)
    client_for(alice).post(f"/api/battles/join/{battle.pk}/")
    client_for(bob).post(f"/api/battles/join/{battle.pk}/")
    first = client_for(alice).post(f"/api/battles/attack/{battle.pk}/").json()
    assert (first["damage"], first["enemy_hp"], first["defeated"]) == (BASE_DAMAGE, 2, False)
    last = client_for(bob).post(f"/api/battles/attack/{battle.pk}/").json()
    assert (last["damage"], last["enemy_hp"], last["defeated"]) == (2, 0, True)
    for user in (alice, bob):
        player = Player.objects.get(pk=user.pk)
        assert (player.level, player.xp, player.stat_points) == (2, 50, rules.STAT_POINTS_PER_LEVEL)
    again = client_for(alice).post(f"/api/battles/attack/{battle.pk}/")
    assert again.status_code == 409 and again.json()["code"] == "battle_over"
    battle.refresh_from_db()
    assert (battle.status, battle.hp) == ("defeated", 0)


def test_claim_loot_once_after_defeat(client_for, alice, make_battle, fixed_roll):
    battle = make_battle(hp=10)
    client = client_for(alice)
    client.post(f"/api/battles/join/{battle.pk}/")
    early = client.post(f"/api/battles/claim-loot/{battle.pk}/")
    assert early.status_code == 409 and early.json()["code"] == "battle_not_over"
    client.post(f"/api/battles/attack/{battle.pk}/")
    response = client.post(f"/api/battles/claim-loot/{battle.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert [line["kind"] for line in body["loot"]] == ["gold", "item", "egg"]
    assert body["gold"] == 250 + 40
    assert InventoryItem.objects.get(player_id=alice.pk).template.name == "Loot Helm"
    assert Egg.objects.get(player_id=alice.pk).source == "loot"
    again = client.post(f"/api/battles/claim-loot/{battle.pk}/")
    assert again.status_code == 409 and again.json()["code"] == "already_claimed"
    assert_ledger_matches(alice.pk)


def test_loot_lines_below_their_chance_do_not_drop(client_for, alice, make_battle, monkeypatch):
    from progression import clock

    battle = make_battle(hp=1)
    client = client_for(alice)
    client.post(f"/api/battles/join/{battle.pk}/")
    client.post(f"/api/battles/attack/{battle.pk}/")
    monkeypatch.setattr(clock, "roll", lambda low, high: 75.0)  # the egg line has a 50% chance
    assert [line["kind"] for line in client.post(f"/api/battles/claim-loot/{battle.pk}/").json()["loot"]] == [
        "gold",
        "item",
    ]


def test_claim_loot_needs_participation(client_for, alice, bob, make_battle):
    battle = make_battle(hp=1)
    client_for(alice).post(f"/api/battles/join/{battle.pk}/")
    client_for(alice).post(f"/api/battles/attack/{battle.pk}/")
    response = client_for(bob).post(f"/api/battles/claim-loot/{battle.pk}/")
    assert response.status_code == 403 and response.json()["code"] == "not_participant"
    assert client_for(bob).post("/api/battles/claim-loot/999999/").status_code == 404


def test_history_lists_my_battles_with_damage_and_loot(client_for, alice, make_battle, fixed_roll):
    won, ongoing = make_battle(hp=5), make_battle(hp=1000)
    client = client_for(alice)
    for battle in (won, ongoing):
        client.post(f"/api/battles/join/{battle.pk}/")
        client.post(f"/api/battles/attack/{battle.pk}/")
    client.post(f"/api/battles/claim-loot/{won.pk}/")
    rows = client.get("/api/battles/history/").json()["results"]
    assert [r["battle_id"] for r in rows] == [ongoing.pk, won.pk]
    assert (rows[0]["status"], rows[0]["damage"], rows[0]["loot_claimed"], rows[0]["loot"]) == (
        "open",
        BASE_DAMAGE,
        False,
        [],
    )
    assert (rows[1]["status"], rows[1]["damage"], rows[1]["loot_claimed"], rows[1]["xp_awarded"]) == (
        "defeated",
        5,
        True,
        50,
    )
    assert len(rows[1]["loot"]) == 3


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_attacks_defeat_the_enemy_exactly_once(make_user, make_battle, fixed_roll):
    battle = make_battle(hp=100, xp_reward=10)
    users = [make_user() for _ in range(8)]
    for user in users:
        player_ensure(user_id=user.pk)
        battle_join(user=user, battle_id=battle.pk)
    results = run_at_once(*[lambda u=u: battle_attack(user=u, battle_id=battle.pk) for u in users])
    hits = [r for r in results if isinstance(r, AttackResult)]
    refused = [r for r in results if not isinstance(r, AttackResult)]
    assert sum(h.defeated for h in hits) == 1
    assert sum(h.damage for h in hits) == 100
    assert all(r == "battle_over" for r in refused), refused
    assert len(hits) == 4  # 28 + 28 + 28 + 16
    battle.refresh_from_db()
    assert (battle.hp, battle.status) == (0, "defeated")
    assert sum(BattleParticipant.objects.filter(battle=battle).values_list("damage_dealt", flat=True)) == 100
    assert set(Player.objects.filter(pk__in=[u.pk for u in users]).values_list("xp", flat=True)) == {10}


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_loot_is_claimed_once_under_a_race(alice, make_battle, fixed_roll):
    battle = make_battle(hp=1)
    player_ensure(user_id=alice.pk)
    battle_join(user=alice, battle_id=battle.pk)
    battle_attack(user=alice, battle_id=battle.pk)
    results = run_at_once(*[lambda: battle_claim_loot(user=alice, battle_id=battle.pk)] * 5)
    claimed = [r for r in results if isinstance(r, BattleParticipant)]
    assert len(claimed) == 1
    assert sorted(r for r in results if r not in claimed) == ["already_claimed"] * 4
    assert Player.objects.get(pk=alice.pk).gold == 290
    assert Egg.objects.filter(player_id=alice.pk).count() == 1
    assert_ledger_matches(alice.pk)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_joins_never_overfill_a_battle(make_user, make_battle):
    battle = make_battle(max_participants=3)
    users = [make_user() for _ in range(6)]
    for user in users:
        player_ensure(user_id=user.pk)
    results = run_at_once(*[lambda u=u: battle_join(user=u, battle_id=battle.pk) for u in users])
    assert sum(isinstance(r, BattleParticipant) for r in results) == 3
    assert BattleParticipant.objects.filter(battle=battle).count() == 3
    for user in users:
        assert_ledger_matches(user.pk)


def test_timer_reopens_a_battle_for_keep_open_enemies_once(make_battle):
    from progression.timers import reopen_battles

    kept = make_battle(hp=5).enemy
    kept.keep_open = True
    kept.save()
    make_battle(name="Wanderer")  # not kept open: left alone
    assert reopen_battles() == 0  # one is open already
    Battle.objects.filter(enemy=kept).update(status="defeated", hp=0, defeated_at="2026-01-01T00:00Z")
    assert reopen_battles() == 1
    assert reopen_battles() == 0
    assert Battle.objects.filter(enemy=kept, status="open").count() == 1


def test_ledger_of_a_new_player_shows_the_starting_balances(client_for, alice):
    rows = client_for(alice).get("/api/player/ledger/").json()["results"]
    assert {(r["currency"], r["amount"], r["reason"]) for r in rows} == {
        ("gold", 250, "start"),
        ("gems", 10, "start"),
        ("stamina", 100, "start"),
    }


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_timer_runners_reopen_one_battle(make_battle):
    from progression.services import battles_reopen

    enemy = make_battle(hp=5).enemy
    enemy.keep_open = True
    enemy.save()
    Battle.objects.filter(enemy=enemy).update(status="defeated", hp=0, defeated_at="2026-01-01T00:00Z")
    assert sum(run_at_once(*[battles_reopen] * 4)) == 1
    assert Battle.objects.filter(enemy=enemy, status="open").count() == 1


def test_attack_and_purchase_are_cheap_in_queries(
    client_for, alice, player_of, make_battle, make_shop_item, django_assert_max_num_queries
):
    player_of(alice)
    battle = make_battle(hp=1000)
    shop_item = make_shop_item(price_gold=5, stock=10)
    client = client_for(alice)
    client.post(f"/api/battles/join/{battle.pk}/")
    with django_assert_max_num_queries(10):
        assert client.post(f"/api/battles/attack/{battle.pk}/").status_code == 200
    with django_assert_max_num_queries(17):
        assert client.post("/api/shop/purchase/", {"shop_item_id": shop_item.pk}).status_code == 201
