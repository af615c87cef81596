"""Combat in the world: PvE and PvP over the world socket, server-side numbers, cooldowns, a
defeat and its loot exactly once."""

import asyncio
import threading
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.utils import timezone

from conftest import receive_type, requires_postgres
from gameplatform.core.errors import ApplicationError
from gameplatform.testhelpers import run_at_once
from progression.models import LedgerEntry
from world import services
from world.combat import services as combat
from world.models import Character, Combat, Enemy, Location
from world.tests.test_world_socket import enter, make_character

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def quick(settings):
    """Cooldowns short enough to fight a whole fight in a test."""
    settings.WORLD_COMBAT_ATTACK_COOLDOWN = 0.01
    settings.WORLD_COMBAT_SPELL_COOLDOWN = 0.01
    settings.WORLD_COMBAT_ITEM_COOLDOWN = 0.01
    return settings


def first_wolf() -> Enemy:
    return Enemy.objects.filter(location__name="Ashen Road", level=1).get()


def set_health(model, pk: int, health: int) -> None:
    model.objects.filter(pk=pk).update(health=health)


async def test_pve_fight_to_the_end_with_loot_once_and_the_enemy_respawns(ws_connect, world, quick, alice, bob):
    aria = await sync_to_async(make_character)(alice, "Aria", at="Ashen Road")
    await sync_to_async(make_character)(bob, "Borin", faction="Azure Order", at="Ashen Road")
    wolf = await sync_to_async(first_wolf)()  # level 1, 40 health
    alice_ws, _ = await enter(ws_connect, alice)
    bob_ws, _ = await enter(ws_connect, bob)

    await alice_ws.send_json_to({"type": "combat_start", "target": {"kind": "enemy", "id": wolf.pk}})
    start = await receive_type(alice_ws, "combat_start")
    assert (await receive_type(bob_ws, "combat_start")) == start  # the area sees it
    fight = start["combat"]
    assert fight["kind"] == "pve" and fight["enemy"]["id"] == wolf.pk and fight["attacker"]["character_id"] == aria.pk

    # A client's numbers are not read: a level-1 attack is 6 + 4 = 10, the wolf hits back 2 + 3 = 5.
    action = {
        "type": "combat_action",
        "combat_id": fight["id"],
        "action_type": "attack",
        "target_id": wolf.pk,
        "amount": 9999,
        "damage": 9999,
    }
    await alice_ws.send_json_to(action)
    hit = await receive_type(alice_ws, "combat_damage")
    assert hit == {
        "type": "combat_damage",
        "combat_id": fight["id"],
        "source_id": aria.pk,
        "source_kind": "character",
        "target_id": wolf.pk,
        "target_kind": "enemy",
        "amount": 10,
        "target_health": 30,
    }
    back = await receive_type(alice_ws, "combat_damage")
    assert (back["source_id"], back["target_id"], back["amount"], back["target_health"]) == (wolf.pk, aria.pk, 5, 95)
    state = await receive_type(alice_ws, "combat_state")
    assert state["combat"]["enemy"]["health"] == 30 and state["combat"]["attacker"]["health"] == 95

    for _ in range(3):
        await asyncio.sleep(0.02)
        await alice_ws.send_json_to(action)
        await receive_type(alice_ws, "combat_damage")
    end = await receive_type(alice_ws, "combat_end")
    assert end == {
        "type": "combat_end",
        "combat_id": fight["id"],
        "winner": f"character:{aria.pk}",
        "loot": {"gold": 10, "xp": 10},
        "reason": "victory",
    }
    assert (await receive_type(bob_ws, "combat_end")) == end

    # Once more: the combat is over, nothing more is granted.
    await asyncio.sleep(0.02)
    await alice_ws.send_json_to(action)
    assert (await receive_type(alice_ws, "error"))["code"] == "combat_over"

    def check() -> None:
        loot = LedgerEntry.objects.filter(player_id=alice.pk, reason=combat.LOOT_REASON)
        assert [(e.currency, e.amount, e.reference) for e in loot] == [("gold", 10, f"combat:{fight['id']}")]
        stored = Character.objects.get(pk=aria.pk)
        assert stored.xp == 10 and stored.health == 85
        enemy = Enemy.objects.get(pk=wolf.pk)
        assert enemy.health == 0 and enemy.respawn_at is not None
        assert services.enemies_respawn_due() == 0  # not yet
        Enemy.objects.filter(pk=wolf.pk).update(respawn_at=timezone.now() - timedelta(seconds=1))
        assert services.enemies_respawn_due() == 1
        enemy.refresh_from_db()
        assert enemy.health == enemy.max_health == 40 and enemy.respawn_at is None

    await sync_to_async(check)()
    # Alive again: a new fight can start.
    await alice_ws.send_json_to({"type": "combat_start", "target": {"kind": "enemy", "id": wolf.pk}})
    assert (await receive_type(alice_ws, "combat_start"))["combat"]["id"] != fight["id"]
    await alice_ws.disconnect()
    await bob_ws.disconnect()


async def test_an_enemy_that_defeats_a_character_sends_it_home_with_full_health(ws_connect, world, alice):
    aria = await sync_to_async(make_character)(alice, "Aria", at="Ashen Road")
    wolf = await sync_to_async(first_wolf)()
    ws, _ = await enter(ws_connect, alice)
    await ws.send_json_to({"type": "combat_start", "target": {"kind": "enemy", "id": wolf.pk}})
    fight = (await receive_type(ws, "combat_start"))["combat"]
    await sync_to_async(set_health)(Character, aria.pk, 3)
    await ws.send_json_to({"type": "combat_action", "combat_id": fight["id"], "action_type": "attack"})
    end = await receive_type(ws, "combat_end")
    assert end["winner"] == f"enemy:{wolf.pk}" and end["loot"] == {} and end["reason"] == "defeated"
    update = await receive_type(ws, "character_update")
    home = await sync_to_async(lambda: Location.objects.get(name="Emberhold").pk)()
    assert update["character"]["health"] == 100 and update["character"]["location_id"] == home
    assert (await receive_type(ws, "location_update"))["to_location_id"] == home
    assert (await receive_type(ws, "nearby"))["location_id"] == home
    stored = await sync_to_async(Character.objects.get)(pk=aria.pk)
    assert stored.health == 100 and stored.location_id == home
    assert (await sync_to_async(Enemy.objects.get)(pk=wolf.pk)).health == 30  # it keeps its wounds
    await ws.disconnect()


async def test_every_health_change_of_my_character_sends_me_character_update(ws_connect, world, quick, alice):
    aria = await sync_to_async(make_character)(alice, "Aria", at="Ashen Road")
    wolf = await sync_to_async(first_wolf)()
    ws, _ = await enter(ws_connect, alice)
    await ws.send_json_to({"type": "combat_start", "target": {"kind": "enemy", "id": wolf.pk}})
    fight = (await receive_type(ws, "combat_start"))["combat"]
    await ws.send_json_to({"type": "combat_action", "combat_id": fight["id"], "action_type": "attack"})
    hurt = await receive_type(ws, "character_update")  # the wolf hits back for 5
    assert hurt["character"]["id"] == aria.pk and hurt["character"]["health"] == 95
    await ws.send_json_to({"type": "combat_action", "combat_id": fight["id"], "action_type": "item"})
    healed = await receive_type(ws, "character_update")
    assert healed["character"]["id"] == aria.pk and healed["character"]["health"] == 100
    await ws.disconnect()


async def test_an_enemy_elsewhere_or_defeated_cannot_be_fought(ws_connect, world, alice):
    await sync_to_async(make_character)(alice, "Aria")  # at Emberhold
    wolf = await sync_to_async(first_wolf)()
    ws, _ = await enter(ws_connect, alice)
    await ws.send_json_to({"type": "combat_start", "target": {"kind": "enemy", "id": wolf.pk}})
    assert (await receive_type(ws, "error"))["code"] == "target_not_found"
    await ws.send_json_to({"type": "combat_start", "target": {"kind": "dragon", "id": 1}})
    assert (await receive_type(ws, "error"))["code"] == "invalid"
    await ws.disconnect()


async def test_cooldowns_per_action_type_answer_rate_limited(ws_connect, world, alice):
    aria = await sync_to_async(make_character)(alice, "Aria", at="Ashen Road")
    wolf = await sync_to_async(first_wolf)()
    ws, _ = await enter(ws_connect, alice)
    await ws.send_json_to({"type": "combat_start", "target": {"kind": "enemy", "id": wolf.pk}})
    fight = (await receive_type(ws, "combat_start"))["combat"]
    attack = {"type": "combat_action", "combat_id": fight["id"], "action_type": "attack", "target_id": wolf.pk}
    await ws.send_json_to(attack)
    await receive_type(ws, "combat_state")
    await ws.send_json_to(attack)
    error = await receive_type(ws, "error")
    assert error["code"] == "rate_limited" and error["retry_after"] > 0
    # Another action type has its own cooldown: a spell (10 + 6 = 16) goes through.
    await ws.send_json_to({**attack, "action_type": "spell", "ability_name": "Meteor", "amount": 500})
    spell = await receive_type(ws, "combat_damage")
    assert spell["amount"] == 16 and spell["target_health"] == 40 - 10 - 16
    await receive_type(ws, "combat_state")
    # A healing draught (15 + 5 = 20, up to max health) on oneself, whatever item_id says.
    await ws.send_json_to({**attack, "action_type": "item", "item_id": 12345, "target_id": aria.pk, "amount": 77})
    heal = await receive_type(ws, "combat_heal")
    assert heal["source_id"] == heal["target_id"] == aria.pk
    assert heal["amount"] == 20 and heal["target_health"] == 100
    await ws.disconnect()


async def test_moving_away_or_disconnecting_ends_the_fight(ws_connect, world, place_ids, alice, bob):
    await sync_to_async(make_character)(alice, "Aria", at="Ashen Road")
    await sync_to_async(make_character)(bob, "Borin", faction="Azure Order", at="Ashen Road")
    wolf = await sync_to_async(first_wolf)()
    alice_ws, _ = await enter(ws_connect, alice)
    bob_ws, _ = await enter(ws_connect, bob)
    await alice_ws.send_json_to({"type": "combat_start", "target": {"kind": "enemy", "id": wolf.pk}})
    fight = (await receive_type(alice_ws, "combat_start"))["combat"]
    await alice_ws.send_json_to({"type": "move", "to_location_id": place_ids["Emberhold"]})
    end = await receive_type(alice_ws, "combat_end")
    assert end["combat_id"] == fight["id"] and end["winner"] is None and end["reason"] == "moved"
    assert (await receive_type(bob_ws, "combat_end")) == end

    await bob_ws.send_json_to({"type": "combat_start", "target": {"kind": "enemy", "id": wolf.pk}})
    bobs = (await receive_type(bob_ws, "combat_start"))["combat"]
    await bob_ws.disconnect()
    await alice_ws.disconnect()

    def check() -> None:
        assert not Combat.objects.filter(status=Combat.Status.ACTIVE).exists()
        assert Combat.objects.get(pk=bobs["id"]).ended_at is not None

    await sync_to_async(check)()


@pytest.fixture
def place_ids(world):
    return {loc.name: loc.pk for loc in Location.objects.all()}


async def test_pvp_only_in_contested_areas_against_other_factions(ws_connect, world, alice, bob, carol, make_user):
    aria = await sync_to_async(make_character)(alice, "Aria")  # Crimson, at Emberhold (not contested)
    borin = await sync_to_async(make_character)(bob, "Borin", faction="Azure Order", at="Emberhold")
    cara = await sync_to_async(make_character)(carol, "Cara", at="Shattered Plains")
    alice_ws, _ = await enter(ws_connect, alice)
    bob_ws, _ = await enter(ws_connect, bob)
    await alice_ws.send_json_to({"type": "combat_start", "target": {"kind": "character", "id": borin.pk}})
    assert (await receive_type(alice_ws, "error"))["code"] == "not_contested"
    await alice_ws.disconnect()
    await bob_ws.disconnect()

    def to_plains(*characters) -> None:
        Character.objects.filter(pk__in=[c.pk for c in characters]).update(
            location=Location.objects.get(name="Shattered Plains")
        )

    await sync_to_async(to_plains)(aria, borin)
    alice_ws, _ = await enter(ws_connect, alice)
    # Borin is at the plains but has no world socket there: not a target.
    await alice_ws.send_json_to({"type": "combat_start", "target": {"kind": "character", "id": borin.pk}})
    assert (await receive_type(alice_ws, "error"))["code"] == "target_not_found"
    bob_ws, _ = await enter(ws_connect, bob)
    carol_ws, _ = await enter(ws_connect, carol)
    await alice_ws.send_json_to({"type": "combat_start", "target": {"kind": "character", "id": cara.pk}})
    assert (await receive_type(alice_ws, "error"))["code"] == "forbidden"  # her own faction
    await alice_ws.send_json_to({"type": "combat_start", "target": {"kind": "character", "id": aria.pk}})
    assert (await receive_type(alice_ws, "error"))["code"] == "target_not_found"  # herself

    await alice_ws.send_json_to({"type": "combat_start", "target": {"kind": "character", "id": borin.pk}})
    fight = (await receive_type(bob_ws, "combat_start"))["combat"]
    assert fight["kind"] == "pvp" and fight["defender"]["character_id"] == borin.pk

    await sync_to_async(set_health)(Character, borin.pk, 15)
    await alice_ws.send_json_to(
        {"type": "combat_action", "combat_id": fight["id"], "action_type": "attack", "target_id": borin.pk}
    )
    hit = await receive_type(carol_ws, "combat_damage")
    assert (hit["target_id"], hit["amount"], hit["target_health"]) == (borin.pk, 10, 5)
    hurt = await receive_type(bob_ws, "character_update")  # the one struck hears its own health
    assert hurt["character"]["id"] == borin.pk and hurt["character"]["health"] == 5
    assert (await receive_type(alice_ws, "combat_damage")) == hit
    # Borin may strike back in the same fight.
    await bob_ws.send_json_to(
        {"type": "combat_action", "combat_id": fight["id"], "action_type": "attack", "target_id": aria.pk}
    )
    back = await receive_type(alice_ws, "combat_damage")
    assert (back["source_id"], back["target_id"], back["target_health"]) == (borin.pk, aria.pk, 90)
    await asyncio.sleep(0.02)
    await alice_ws.send_json_to(
        {"type": "combat_action", "combat_id": fight["id"], "action_type": "spell", "target_id": borin.pk}
    )
    end = await receive_type(alice_ws, "combat_end")
    assert end["winner"] == f"character:{aria.pk}" and end["loot"] == {"xp": 15} and end["reason"] == "victory"
    # Borin respawns at his faction's home with full health, and his socket follows him there.
    moved = await receive_type(bob_ws, "location_update")
    home = await sync_to_async(lambda: Location.objects.get(name="Azure Spire").pk)()
    assert moved["character_id"] == borin.pk and moved["to_location_id"] == home
    assert (await receive_type(bob_ws, "nearby"))["location_id"] == home

    def check() -> None:
        stored = Character.objects.get(pk=borin.pk)
        assert stored.health == stored.max_health and stored.location_id == home
        assert Character.objects.get(pk=aria.pk).xp == 15
        assert Combat.objects.get(pk=fight["id"]).status == Combat.Status.FINISHED

    await sync_to_async(check)()
    for ws in (alice_ws, bob_ws, carol_ws):
        await ws.disconnect()


@requires_postgres
def test_concurrent_final_blows_defeat_once_and_loot_once(world, make_user):
    """8 attacks at once from 4 characters on a nearly dead enemy: one defeat, one loot grant."""
    wolf = first_wolf()
    fighters = [make_character(make_user(), f"Fighter {n}", at="Ashen Road") for n in range(4)]
    combats = [combat.combat_start(character_id=c.pk, kind="enemy", target_id=wolf.pk) for c in fighters]
    set_health(Enemy, wolf.pk, 1)
    barrier = threading.Barrier(8)
    outcomes: list = []

    def strike(fight: Combat, action_type: str) -> None:
        try:
            barrier.wait()
            combat.combat_action(
                character_id=fight.attacker_id, combat_id=fight.pk, action_type=action_type, target_id=wolf.pk
            )
            outcomes.append("ok")
        except Exception as exc:  # the losers: already defeated, combat over
            outcomes.append(getattr(exc, "code", repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=strike, args=(f, t)) for f in combats for t in ("attack", "spell")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("ok") >= 1 and set(outcomes) <= {"ok", "target_defeated", "combat_over"}
    assert LedgerEntry.objects.filter(reason=combat.LOOT_REASON).count() == 1
    won = Combat.objects.exclude(loot={})
    assert won.count() == 1
    winner = won.get()
    assert winner.winner == f"character:{winner.attacker_id}"
    assert not Combat.objects.filter(status=Combat.Status.ACTIVE).exists()
    assert sum(Character.objects.filter(pk__in=[c.pk for c in fighters]).values_list("xp", flat=True)) == 10
    enemy = Enemy.objects.get(pk=wolf.pk)
    assert enemy.health == 0 and enemy.respawn_at is not None


def test_a_strike_on_an_enemy_already_defeated_ends_the_fight_as_it_says(world, alice):
    """A fight started just as another's final blow landed: the strike that finds the enemy gone
    answers ``target_defeated`` and the fight is over, not left running for the next strike."""
    aria = make_character(alice, "Aria", at="Ashen Road")
    wolf = first_wolf()
    fight = combat.combat_start(character_id=aria.pk, kind="enemy", target_id=wolf.pk)
    Enemy.objects.filter(pk=wolf.pk).update(health=0, respawn_at=timezone.now() + timedelta(seconds=30))
    with pytest.raises(ApplicationError) as refused:
        combat.combat_action(character_id=aria.pk, combat_id=fight.pk, action_type="attack")
    assert refused.value.code == "target_defeated"
    fight.refresh_from_db()
    assert (fight.status, fight.winner) == (Combat.Status.FINISHED, "")
    assert not Combat.objects.filter(attacker=aria, status=Combat.Status.ACTIVE).exists()


@requires_postgres
def test_two_lethal_blows_between_two_fighters_at_once_end_the_fight_once_without_a_deadlock(world, make_user):
    """Each side of a PvP fight at 1 health strikes at the same moment, five times over: one
    wins, the other is refused ``combat_over``, and no strike dies of a deadlock."""
    plains = Location.objects.get(name="Shattered Plains")
    for round_ in range(5):
        red = make_character(make_user(), f"Red {round_}", at="Shattered Plains")
        blue = make_character(make_user(), f"Blue {round_}", faction="Azure Order", at="Shattered Plains")
        fight = Combat.objects.create(kind=Combat.Kind.PVP, location=plains, attacker=red, defender=blue)
        Character.objects.filter(pk__in=[red.pk, blue.pk]).update(health=1)
        outcomes = run_at_once(
            lambda: combat.combat_action(character_id=red.pk, combat_id=fight.pk, action_type="attack"),  # noqa: B023
            lambda: combat.combat_action(character_id=blue.pk, combat_id=fight.pk, action_type="attack"),  # noqa: B023
        )
        assert sorted(type(o).__name__ if isinstance(o, Combat) else o for o in outcomes) == ["Combat", "combat_over"]
        fight.refresh_from_db()
        assert fight.status == Combat.Status.FINISHED
        assert fight.winner in {f"character:{red.pk}", f"character:{blue.pk}"}
