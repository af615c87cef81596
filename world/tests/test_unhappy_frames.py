"""The world's refusals that no other test meets: each answered with the contract's code,
the socket staying open, nothing changed."""

import pytest
from asgiref.sync import sync_to_async

from conftest import receive_type
from world.models import Combat, Trade
from world.tests.test_combat import first_wolf
from world.tests.test_parties import create, invite_and_accept
from world.tests.test_world_socket import enter, make_character

pytestmark = pytest.mark.django_db(transaction=True)


async def error_for(ws, frame: dict) -> dict:
    await ws.send_json_to({**frame, "ref": "probe"})
    error = await receive_type(ws, "error")
    assert error["ref"] == "probe"
    return error


async def test_combat_refuses_a_second_fight_and_a_fight_that_is_not_mine(ws_connect, world, alice, bob):
    await sync_to_async(make_character)(alice, "Aria", at="Ashen Road")
    await sync_to_async(make_character)(bob, "Borin", at="Ashen Road")
    wolf = await sync_to_async(first_wolf)()
    alice_ws, _ = await enter(ws_connect, alice)
    bob_ws, _ = await enter(ws_connect, bob)
    await alice_ws.send_json_to({"type": "combat_start", "target": {"kind": "enemy", "id": wolf.pk}})
    fight = (await receive_type(alice_ws, "combat_start"))["combat"]

    again = await error_for(alice_ws, {"type": "combat_start", "target": {"kind": "enemy", "id": wolf.pk}})
    assert again["code"] == "already_in_combat"
    action = {"type": "combat_action", "combat_id": fight["id"], "action_type": "attack", "target_id": wolf.pk}
    assert (await error_for(bob_ws, action))["code"] == "combat_not_found"  # not Bob's fight
    assert (await error_for(alice_ws, {**action, "combat_id": 10**9}))["code"] == "combat_not_found"
    assert await sync_to_async(Combat.objects.filter(status=Combat.Status.ACTIVE).count)() == 1
    await alice_ws.send_json_to({"type": "ping"})
    assert (await receive_type(alice_ws, "pong"))["type"] == "pong"  # still open
    await alice_ws.disconnect()
    await bob_ws.disconnect()


async def test_capturing_a_shard_that_does_not_exist_is_shard_not_found(ws_connect, world, alice):
    await sync_to_async(make_character)(alice, "Aria")
    alice_ws, _ = await enter(ws_connect, alice)
    assert (await error_for(alice_ws, {"type": "shard_capture", "shard_id": 10**9}))["code"] == "shard_not_found"
    await alice_ws.disconnect()


async def test_trade_frames_on_a_trade_that_is_missing_not_mine_or_over(ws_connect, world, alice, bob, carol):
    aria = await sync_to_async(make_character)(alice, "Aria")
    borin = await sync_to_async(make_character)(bob, "Borin")
    await sync_to_async(make_character)(carol, "Cato")
    alice_ws, _ = await enter(ws_connect, alice)
    bob_ws, _ = await enter(ws_connect, bob)
    carol_ws, _ = await enter(ws_connect, carol)

    assert (await error_for(alice_ws, {"type": "trade_cancel", "trade_id": 10**9}))["code"] == "trade_not_found"
    await alice_ws.send_json_to({"type": "trade_request", "to_character_id": borin.pk})
    trade_id = (await receive_type(alice_ws, "trade_request"))["trade"]["id"]
    # Someone else's trade is as good as missing.
    assert (await error_for(carol_ws, {"type": "trade_accept", "trade_id": trade_id}))["code"] == "trade_not_found"
    await alice_ws.send_json_to({"type": "trade_cancel", "trade_id": trade_id})
    assert (await receive_type(bob_ws, "trade_cancelled"))["reason"] == "cancelled"
    over = await error_for(bob_ws, {"type": "trade_cancel", "trade_id": trade_id})
    assert over["code"] == "trade_not_active"
    trade = await sync_to_async(Trade.objects.get)(pk=trade_id)
    assert trade.status == Trade.Status.CANCELLED and trade.from_character_id == aria.pk
    for ws in (alice_ws, bob_ws, carol_ws):
        await ws.disconnect()


def test_party_routes_refuse_a_missing_party_a_missing_member_and_kicking_oneself(world, client_for, alice, bob):
    aria = make_character(alice, "Aria")
    borin = make_character(bob, "Borin")
    party = create(client_for(alice))
    missing = client_for(alice).get(f"/api/party/{party['id'] + 1000}/")
    assert missing.status_code == 404 and missing.json()["code"] == "party_not_found"
    stranger = client_for(alice).post("/api/party/kick/", {"character_id": borin.pk}, format="json")
    assert stranger.status_code == 404 and stranger.json()["code"] == "member_not_found"
    myself = client_for(alice).post("/api/party/kick/", {"character_id": aria.pk}, format="json")
    assert myself.status_code == 409 and myself.json()["code"] == "cannot_kick_self"
    assert invite_and_accept(client_for(alice), client_for(bob), borin.pk).status_code == 200
    assert [m["name"] for m in client_for(bob).get(f"/api/party/{party['id']}/").json()["members"]] == ["Aria", "Borin"]
