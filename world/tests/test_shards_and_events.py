"""Shards are captured by the rules, world events reach every world socket and are kept, once."""

import io
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.utils import timezone

from conftest import receive_type, requires_postgres
from gameplatform.testhelpers import run_at_once
from world import services
from world.models import Enemy, Faction, Shard, WorldEvent, WorldState
from world.tests.test_world_socket import enter, make_character


def shard_at(location_name: str) -> Shard:
    return Shard.objects.get(location__name=location_name)


def give_shard(shard: Shard, faction_name: str) -> None:
    Shard.objects.filter(pk=shard.pk).update(owner_faction=Faction.objects.get(name=faction_name))


@pytest.mark.django_db(transaction=True)
async def test_a_capture_reaches_every_world_socket_and_is_kept(ws_connect, client_for, world, alice, bob):
    await sync_to_async(make_character)(alice, "Aria", at="Shattered Plains")
    await sync_to_async(make_character)(bob, "Borin", faction="Azure Order", at="Azure Spire")
    shard = await sync_to_async(shard_at)("Shattered Plains")
    alice_ws, _ = await enter(ws_connect, alice)
    bob_ws, _ = await enter(ws_connect, bob)
    await alice_ws.send_json_to({"type": "shard_capture", "shard_id": shard.pk})
    for ws in (alice_ws, bob_ws):
        captured = await receive_type(ws, "shard_captured")
        assert captured["faction"] == "Crimson Covenant" and captured["character"]["name"] == "Aria"
        assert captured["shard"]["owner_faction"] == "Crimson Covenant"
        assert (await receive_type(ws, "shard_status"))["shard"]["id"] == shard.pk
    event = await sync_to_async(WorldEvent.objects.get)()
    assert event.kind == "shard_captured" and event.payload["shard_name"] == "Phoenix Flame"
    await alice_ws.disconnect()
    await bob_ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_capture_needs_the_location_and_no_defender_there(ws_connect, world, alice, bob, carol):
    await sync_to_async(make_character)(alice, "Aria", at="Emberhold")
    await sync_to_async(make_character)(bob, "Borin", faction="Azure Order", at="Shattered Plains")
    await sync_to_async(make_character)(carol, "Cato", at="Shattered Plains")
    shard = await sync_to_async(shard_at)("Shattered Plains")
    await sync_to_async(give_shard)(shard, "Azure Order")
    alice_ws, _ = await enter(ws_connect, alice)
    bob_ws, _ = await enter(ws_connect, bob)  # an Azure character stands at the shard
    carol_ws, _ = await enter(ws_connect, carol)
    await alice_ws.send_json_to({"type": "shard_capture", "shard_id": shard.pk})
    assert (await receive_type(alice_ws, "error"))["code"] == "not_at_shard"
    await carol_ws.send_json_to({"type": "shard_capture", "shard_id": shard.pk})
    assert (await receive_type(carol_ws, "error"))["code"] == "shard_defended"
    await bob_ws.disconnect()  # the defender leaves
    await carol_ws.send_json_to({"type": "shard_capture", "shard_id": shard.pk})
    assert (await receive_type(carol_ws, "shard_captured"))["faction"] == "Crimson Covenant"
    await alice_ws.disconnect()
    await carol_ws.disconnect()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_captures_at_once_make_one_owner_change(world, alice, bob):
    first = make_character(alice, "Aria", at="Shattered Plains")
    second = make_character(bob, "Brand", at="Shattered Plains")
    shard = shard_at("Shattered Plains")
    results = run_at_once(
        lambda: services.shard_capture(character_id=first.pk, shard_id=shard.pk),
        lambda: services.shard_capture(character_id=second.pk, shard_id=shard.pk),
    )
    assert sorted(r if isinstance(r, str) else type(r).__name__ for r in results) == ["Shard", "already_owned"]
    assert WorldEvent.objects.filter(kind="shard_captured").count() == 1


@pytest.mark.django_db(transaction=True)
async def test_the_world_event_command_shifts_reality_for_every_world_socket(ws_connect, world, alice):
    await sync_to_async(make_character)(alice, "Aria")
    ws, welcome = await enter(ws_connect, alice)
    before = welcome["world"]["current_reality"]
    await sync_to_async(call_command)("world_event", "reality_shift", stdout=io.StringIO())
    shift = await receive_type(ws, "reality_shift")
    assert shift["reality"] != before
    state = await sync_to_async(WorldState.objects.get)(pk=1)
    assert state.current_reality == shift["reality"]
    await sync_to_async(call_command)("world_event", "aetherfall", stdout=io.StringIO())
    fall = await receive_type(ws, "aetherfall")
    assert fall["location_id"] and 1 <= fall["intensity"] <= 5
    kinds = await sync_to_async(lambda: list(WorldEvent.objects.values_list("kind", flat=True)))()
    assert kinds == ["aetherfall", "reality_shift"]
    await ws.disconnect()


@pytest.mark.django_db
def test_the_world_event_timer_fires_once_per_period(world, settings):
    settings.WORLD_EVENT_SECONDS = 60
    now = timezone.now()
    assert services.world_event_due(now=now) is None  # the first look sets the clock
    assert services.world_event_due(now=now + timedelta(seconds=59)) is None
    assert services.world_event_due(now=now + timedelta(seconds=61)) is not None
    assert services.world_event_due(now=now + timedelta(seconds=62)) is None
    assert WorldEvent.objects.count() == 1


@pytest.mark.django_db
def test_a_world_without_locations_still_gets_its_due_events(settings):
    from world.models import Location

    settings.WORLD_EVENT_SECONDS = 60
    assert not Location.objects.exists()  # a fresh install: no demo data
    WorldState.objects.update_or_create(pk=1, defaults={"next_event_at": timezone.now() - timedelta(seconds=1)})
    for _ in range(5):  # every pick, not a lucky one
        WorldState.objects.filter(pk=1).update(next_event_at=timezone.now() - timedelta(seconds=1))
        event = services.world_event_due()
        assert event is not None and event.kind == "reality_shift"
    assert WorldEvent.objects.count() == 5


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_runners_racing_for_a_due_world_event_fire_it_once(world, settings):
    settings.WORLD_EVENT_SECONDS = 60
    WorldState.objects.update_or_create(pk=1, defaults={"next_event_at": timezone.now() - timedelta(seconds=1)})
    run_at_once(*(services.world_event_due for _ in range(4)))
    assert WorldEvent.objects.count() == 1


@pytest.mark.django_db
def test_defeated_enemies_come_back_at_full_health_when_due(world):
    wolf = Enemy.objects.filter(name="Ash Wolf").first()
    Enemy.objects.filter(pk=wolf.pk).update(health=0, respawn_at=timezone.now() - timedelta(seconds=1))
    assert services.enemies_respawn_due() == 1
    wolf.refresh_from_db()
    assert wolf.health == wolf.max_health and wolf.respawn_at is None
