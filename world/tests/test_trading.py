"""Trading over the world socket: request, answer, offers, confirmations, the swap, cancellations;
the trade list; and a PostgreSQL race where one item and one purse are offered in two trades."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db.models import Sum

from conftest import receive_type, requires_postgres, requires_redis
from gameplatform.core.errors import ApplicationError
from gameplatform.data import db
from gameplatform.sockets import presence as kit_presence
from gameplatform.testhelpers import run_at_once
from progression.models import InventoryItem, ItemTemplate, LedgerEntry, Player
from progression.services import inventory_grant, player_ensure
from world import areas
from world.models import Location, Trade, TradeOffer
from world.tests.test_world_socket import closed_with, drain, enter, make_character, sweep_until_expired
from world.trading import services as trading

pytestmark = pytest.mark.django_db(transaction=True)


def give_item(user, name: str = "Trade Sword", quantity: int = 1, equipped: bool = False) -> InventoryItem:
    player_ensure(user_id=user.pk)
    template, _ = ItemTemplate.objects.get_or_create(name=name, defaults={"slot": "weapon"})
    item = inventory_grant(player=Player.objects.get(pk=user.pk), template=template, quantity=quantity)
    if equipped:
        InventoryItem.objects.filter(pk=item.pk).update(equipped=True)
    return item


def gold_of(user) -> int:
    return Player.objects.get(pk=user.pk).gold


def stack_of(user, name: str = "Trade Sword") -> int:
    item = InventoryItem.objects.filter(player_id=user.pk, template__name=name).first()
    return item.quantity if item else 0


async def both(alice_ws, bob_ws, frame_type: str) -> dict:
    """The next frame of this type on both sockets (a trade's frames go to both sides)."""
    first = await receive_type(alice_ws, frame_type)
    assert (await receive_type(bob_ws, frame_type)) == first
    return first


async def open_trade(alice_ws, bob_ws, to_character_id: int) -> int:
    await alice_ws.send_json_to({"type": "trade_request", "to_character_id": to_character_id})
    trade_id = (await both(alice_ws, bob_ws, "trade_request"))["trade"]["id"]
    await bob_ws.send_json_to({"type": "trade_accept", "trade_id": trade_id})
    assert (await both(alice_ws, bob_ws, "trade_update"))["trade"]["status"] == "open"
    return trade_id


@pytest.fixture
async def pair(ws_connect, world, alice, bob):
    aria = await sync_to_async(make_character)(alice, "Aria")
    borin = await sync_to_async(make_character)(bob, "Borin")
    alice_ws, _ = await enter(ws_connect, alice)
    bob_ws, _ = await enter(ws_connect, bob)
    await receive_type(alice_ws, "player_joined_area")
    yield aria, borin, alice_ws, bob_ws
    for ws in (alice_ws, bob_ws):
        try:
            await ws.disconnect()
        except Exception:  # noqa: BLE001 - closed by the test already
            pass


async def test_a_full_trade_swaps_an_item_and_gold_once_with_ledger_rows(pair, alice, bob):
    aria, borin, alice_ws, bob_ws = pair
    sword = await sync_to_async(give_item)(alice, quantity=3)
    await sync_to_async(player_ensure)(user_id=bob.pk)
    alice_gold, bob_gold = await sync_to_async(gold_of)(alice), await sync_to_async(gold_of)(bob)

    await alice_ws.send_json_to({"type": "trade_request", "to_character_id": borin.pk})
    trade = (await both(alice_ws, bob_ws, "trade_request"))["trade"]
    assert trade["status"] == "requested"
    assert trade["from_character"] == {"id": aria.pk, "name": "Aria"}
    assert trade["to_character"] == {"id": borin.pk, "name": "Borin"}
    assert set(trade) == {"id", "from_character", "to_character", "status", "offers", "created_at", "completed_at"}
    # Only the character asked answers.
    await alice_ws.send_json_to({"type": "trade_accept", "trade_id": trade["id"]})
    assert (await receive_type(alice_ws, "error"))["code"] == "forbidden"
    await bob_ws.send_json_to({"type": "trade_accept", "trade_id": trade["id"]})
    await both(alice_ws, bob_ws, "trade_update")

    offer = {"type": "trade_update", "trade_id": trade["id"], "items": [{"inventory_id": sword.pk, "quantity": 2}]}
    await alice_ws.send_json_to(offer | {"gold": 40})
    update = await both(alice_ws, bob_ws, "trade_update")
    mine = next(o for o in update["trade"]["offers"] if o["character_id"] == aria.pk)
    assert mine["gold"] == 40 and mine["items"][0]["inventory_id"] == sword.pk and mine["items"][0]["quantity"] == 2
    await bob_ws.send_json_to({"type": "trade_update", "trade_id": trade["id"], "items": [], "gold": 15})
    await both(alice_ws, bob_ws, "trade_update")
    await alice_ws.send_json_to({"type": "trade_confirm", "trade_id": trade["id"]})
    half = await both(alice_ws, bob_ws, "trade_update")
    assert {o["character_id"]: o["confirmed"] for o in half["trade"]["offers"]} == {aria.pk: True, borin.pk: False}
    await bob_ws.send_json_to({"type": "trade_confirm", "trade_id": trade["id"]})
    done = await receive_type(alice_ws, "trade_complete")
    assert (await receive_type(bob_ws, "trade_complete")) == done
    assert done["trade"]["status"] == "completed" and done["trade"]["completed_at"]

    assert await sync_to_async(stack_of)(alice) == 1
    assert await sync_to_async(stack_of)(bob) == 2
    assert await sync_to_async(gold_of)(alice) == alice_gold - 40 + 15
    assert await sync_to_async(gold_of)(bob) == bob_gold + 40 - 15
    rows = await sync_to_async(
        lambda: sorted(LedgerEntry.objects.filter(reason="trade").values_list("player_id", "amount"))
    )()
    assert rows == sorted([(alice.pk, -40), (bob.pk, 40), (bob.pk, -15), (alice.pk, 15)])
    # A completed trade takes no more frames.
    await bob_ws.send_json_to({"type": "trade_confirm", "trade_id": trade["id"]})
    assert (await receive_type(bob_ws, "error"))["code"] == "trade_not_open"


async def test_any_change_clears_both_confirmations(pair, alice, bob):
    aria, borin, alice_ws, bob_ws = pair
    await sync_to_async(player_ensure)(user_id=alice.pk)
    await sync_to_async(player_ensure)(user_id=bob.pk)
    trade_id = await open_trade(alice_ws, bob_ws, borin.pk)
    await alice_ws.send_json_to({"type": "trade_update", "trade_id": trade_id, "gold": 10})
    await both(alice_ws, bob_ws, "trade_update")
    await alice_ws.send_json_to({"type": "trade_confirm", "trade_id": trade_id})
    confirmed = await both(alice_ws, bob_ws, "trade_update")
    assert [o["confirmed"] for o in confirmed["trade"]["offers"]] == [True, False]
    await bob_ws.send_json_to({"type": "trade_update", "trade_id": trade_id, "gold": 5})
    cleared = await both(alice_ws, bob_ws, "trade_update")
    assert [o["confirmed"] for o in cleared["trade"]["offers"]] == [False, False]
    await bob_ws.send_json_to({"type": "trade_confirm", "trade_id": trade_id})
    await both(alice_ws, bob_ws, "trade_update")
    assert await sync_to_async(Trade.objects.filter(pk=trade_id, status="open").exists)()


async def test_a_declined_request_tells_both(pair):
    aria, borin, alice_ws, bob_ws = pair
    await alice_ws.send_json_to({"type": "trade_request", "to_character_id": borin.pk})
    trade_id = (await receive_type(bob_ws, "trade_request"))["trade"]["id"]
    await bob_ws.send_json_to({"type": "trade_decline", "trade_id": trade_id})
    declined = await receive_type(alice_ws, "trade_declined")
    assert declined["trade"]["status"] == "declined"
    assert (await receive_type(bob_ws, "trade_declined")) == declined


async def test_requests_need_another_character_in_the_same_area(pair, ws_connect, carol):
    aria, borin, alice_ws, bob_ws = pair
    await alice_ws.send_json_to({"type": "trade_request", "to_character_id": aria.pk})
    assert (await receive_type(alice_ws, "error"))["code"] == "invalid_target"
    far = await sync_to_async(make_character)(carol, "Cyra", faction="Azure Order")
    carol_ws, _ = await enter(ws_connect, carol)
    await alice_ws.send_json_to({"type": "trade_request", "to_character_id": far.pk})
    assert (await receive_type(alice_ws, "error"))["code"] == "not_in_area"
    await carol_ws.disconnect()
    await alice_ws.send_json_to({"type": "trade_request", "to_character_id": borin.pk})
    await receive_type(alice_ws, "trade_request")
    await alice_ws.send_json_to({"type": "trade_request", "to_character_id": borin.pk})
    assert (await receive_type(alice_ws, "error"))["code"] == "trade_exists"


async def test_an_explicit_cancel_tells_the_other_side(pair, alice, bob):
    aria, borin, alice_ws, bob_ws = pair
    trade_id = await open_trade(alice_ws, bob_ws, borin.pk)
    await bob_ws.send_json_to({"type": "trade_cancel", "trade_id": trade_id})
    cancelled = await receive_type(alice_ws, "trade_cancelled")
    assert cancelled["reason"] == "cancelled" and cancelled["trade"]["status"] == "cancelled"


async def test_a_disconnect_cancels_the_trade(pair):
    aria, borin, alice_ws, bob_ws = pair
    trade_id = await open_trade(alice_ws, bob_ws, borin.pk)
    await bob_ws.disconnect()
    cancelled = await receive_type(alice_ws, "trade_cancelled")
    assert cancelled["trade"]["id"] == trade_id and cancelled["reason"] == "disconnected"
    assert (await sync_to_async(Trade.objects.get)(pk=trade_id)).status == "cancelled"


async def test_a_newer_socket_of_the_same_user_keeps_the_trade_open(pair, ws_connect, bob):
    aria, borin, alice_ws, bob_ws = pair
    trade_id = await open_trade(alice_ws, bob_ws, borin.pk)
    bob_again, _ = await enter(ws_connect, bob)  # replaces bob's first socket (4409)
    assert await closed_with(bob_ws) == 4409
    await bob_ws.disconnect()  # the client's side of the close: the old socket's goodbye runs
    await asyncio.sleep(0.3)
    assert "trade_cancelled" not in [f["type"] for f in await drain(alice_ws)]
    assert (await sync_to_async(Trade.objects.get)(pk=trade_id)).status == "open"
    await bob_again.disconnect()


async def test_moving_away_cancels_the_trade(pair):
    aria, borin, alice_ws, bob_ws = pair
    await alice_ws.send_json_to({"type": "trade_request", "to_character_id": borin.pk})
    trade_id = (await receive_type(bob_ws, "trade_request"))["trade"]["id"]
    road = await sync_to_async(Location.objects.get)(name="Ashen Road")
    await alice_ws.send_json_to({"type": "move", "to_location_id": road.pk})
    cancelled = await receive_type(bob_ws, "trade_cancelled")
    assert cancelled["trade"]["id"] == trade_id and cancelled["reason"] == "left_area"
    await bob_ws.send_json_to({"type": "trade_accept", "trade_id": trade_id})
    assert (await receive_type(bob_ws, "error"))["code"] == "trade_not_requested"


async def test_offers_are_checked_against_what_the_side_owns(pair, alice, bob):
    aria, borin, alice_ws, bob_ws = pair
    sword = await sync_to_async(give_item)(alice, quantity=2)
    helm = await sync_to_async(give_item)(alice, name="Worn Helm", equipped=True)
    theirs = await sync_to_async(give_item)(bob, name="Bob Axe")
    trade_id = await open_trade(alice_ws, bob_ws, borin.pk)
    gold = await sync_to_async(gold_of)(alice)

    async def refused(**offer) -> dict:
        await alice_ws.send_json_to({"type": "trade_update", "trade_id": trade_id, **offer})
        error = await receive_type(alice_ws, "error")
        assert error["code"] == "invalid", error
        return error

    assert (await refused(items=[{"inventory_id": theirs.pk, "quantity": 1}]))["reason"] == "not_owned"
    assert (await refused(items=[{"inventory_id": helm.pk, "quantity": 1}]))["reason"] == "equipped"
    assert (await refused(items=[{"inventory_id": sword.pk, "quantity": 3}]))["reason"] == "not_enough_items"
    assert (await refused(gold=gold + 1))["reason"] == "not_enough_gold"
    assert "fields" in await refused(items=[{"inventory_id": sword.pk, "quantity": 0}])
    assert "fields" in await refused(gold=-5)
    assert await bob_ws.receive_nothing(timeout=0.2)
    offers = await sync_to_async(lambda: list(TradeOffer.objects.filter(trade_id=trade_id).values("items", "gold")))()
    assert offers == [{"items": [], "gold": 0}, {"items": [], "gold": 0}]


async def test_the_trade_list_shows_my_trades_newest_first(pair, alice, bob, carol, client_for):
    aria, borin, alice_ws, bob_ws = pair
    first = await open_trade(alice_ws, bob_ws, borin.pk)
    await bob_ws.send_json_to({"type": "trade_cancel", "trade_id": first})
    await receive_type(alice_ws, "trade_cancelled")
    await bob_ws.send_json_to({"type": "trade_request", "to_character_id": aria.pk})
    second = (await receive_type(alice_ws, "trade_request"))["trade"]["id"]

    def listed(user, path="/api/trades/"):
        answer = client_for(user).get(path)
        assert answer.status_code == 200
        return answer.json()["results"]

    mine = await sync_to_async(listed)(alice)
    assert [t["id"] for t in mine] == [second, first]
    assert [t["status"] for t in mine] == ["requested", "cancelled"]
    assert mine[0]["from_character"]["id"] == borin.pk and len(mine[0]["offers"]) == 2
    assert [t["id"] for t in await sync_to_async(listed)(bob, "/api/trades")] == [second, first]
    assert await sync_to_async(listed)(carol) == []


# --- the race -----------------------------------------------------------------------------------


def confirmed_by_receiver(giver_character, receiver_character, *, items, gold) -> Trade:
    """An open trade where the receiver already confirmed; the giver's confirm completes it."""
    trade = Trade.objects.create(from_character=giver_character, to_character=receiver_character, status="open")
    TradeOffer.objects.create(trade=trade, character=giver_character, items=items, gold=gold)
    TradeOffer.objects.create(trade=trade, character=receiver_character, confirmed=True)
    return trade


def test_gold_spent_after_offering_cancels_the_trade_and_moves_nothing(world, alice, bob):
    aria = make_character(alice, "Aria")
    borin = make_character(bob, "Borin")
    sword = give_item(alice, quantity=2)
    player_ensure(user_id=bob.pk)
    purse = gold_of(alice)
    offer = [{"inventory_id": sword.pk, "quantity": 1}]
    trade = confirmed_by_receiver(aria, borin, items=offer, gold=purse)
    Player.objects.filter(pk=alice.pk).update(gold=purse - 1)  # spent elsewhere meanwhile
    with pytest.raises(ApplicationError) as refused:
        trading.trade_confirm(character_id=aria.pk, trade_id=trade.pk)
    assert refused.value.code == "offer_unavailable"
    assert Trade.objects.get(pk=trade.pk).status == "cancelled"
    assert stack_of(alice) == 2 and stack_of(bob) == 0 and gold_of(alice) == purse - 1
    assert not LedgerEntry.objects.filter(reason="trade").exists()


@requires_postgres
def test_one_item_and_one_purse_offered_in_two_trades_move_once(world, alice, bob, carol):
    aria = make_character(alice, "Aria")
    borin = make_character(bob, "Borin")
    cyra = make_character(carol, "Cyra")
    sword = give_item(alice, quantity=1)
    for user in (bob, carol):
        player_ensure(user_id=user.pk)
    purse = gold_of(alice)
    total_gold = sum(gold_of(u) for u in (alice, bob, carol))
    offer = [{"inventory_id": sword.pk, "quantity": 1, "template_id": sword.template_id, "name": "Trade Sword"}]
    trades = [confirmed_by_receiver(aria, other, items=offer, gold=purse) for other in (borin, cyra)]

    results = run_at_once(*(lambda t=t: trading.trade_confirm(character_id=aria.pk, trade_id=t.pk) for t in trades))
    assert sorted(r if isinstance(r, str) else type(r).__name__ for r in results) == ["Trade", "offer_unavailable"]
    statuses = sorted(Trade.objects.filter(pk__in=[t.pk for t in trades]).values_list("status", flat=True))
    assert statuses == ["cancelled", "completed"]
    winner = bob if Trade.objects.get(pk=trades[0].pk).status == "completed" else carol
    loser = carol if winner == bob else bob
    assert stack_of(alice) == 0 and stack_of(winner) == 1 and stack_of(loser) == 0
    assert gold_of(alice) == 0 and gold_of(winner) - purse == gold_of(loser)
    assert sum(gold_of(u) for u in (alice, bob, carol)) == total_gold
    for user in (alice, bob, carol):
        ledger = LedgerEntry.objects.filter(player_id=user.pk, currency="gold")
        assert ledger.aggregate(total=Sum("amount"))["total"] == gold_of(user)
        assert ledger.order_by("-id").first().balance_after == gold_of(user)
    assert LedgerEntry.objects.filter(reason="trade").count() == 2


@requires_postgres
def test_two_trades_sharing_players_both_ways_complete_without_deadlock(world, alice, bob):
    aria = make_character(alice, "Aria")
    borin = make_character(bob, "Borin")
    sword = give_item(alice, quantity=1)
    axe = give_item(bob, name="Bob Axe", quantity=1)
    a_offer = [{"inventory_id": sword.pk, "quantity": 1}]
    b_offer = [{"inventory_id": axe.pk, "quantity": 1}]
    one = confirmed_by_receiver(aria, borin, items=a_offer, gold=5)
    two = confirmed_by_receiver(borin, aria, items=b_offer, gold=7)
    start = gold_of(alice) + gold_of(bob)
    results = run_at_once(
        lambda: trading.trade_confirm(character_id=aria.pk, trade_id=one.pk),
        lambda: trading.trade_confirm(character_id=borin.pk, trade_id=two.pk),
    )
    assert [type(r).__name__ for r in results] == ["Trade", "Trade"]
    assert stack_of(bob) == 1 and stack_of(alice, "Bob Axe") == 1 and stack_of(alice) == 0
    assert gold_of(alice) + gold_of(bob) == start


@requires_postgres
def test_two_requests_between_one_pair_at_once_open_one_trade(world, alice, bob, monkeypatch):
    aria = make_character(alice, "Aria")
    borin = make_character(bob, "Borin")
    monkeypatch.setattr(trading, "users_in_area", lambda location_id: [alice.pk, bob.pk])
    for _ in range(5):  # each way round at once, several times: a race lost once shows
        results = run_at_once(
            lambda: trading.trade_request(character_id=aria.pk, to_character_id=borin.pk),
            lambda: trading.trade_request(character_id=borin.pk, to_character_id=aria.pk),
        )
        assert sorted(r if isinstance(r, str) else type(r).__name__ for r in results) == ["Trade", "trade_exists"]
        assert Trade.objects.filter(status__in=trading.ACTIVE).count() == 1
        Trade.objects.filter(status__in=trading.ACTIVE).update(status=Trade.Status.CANCELLED)


@requires_redis
async def test_a_trade_with_a_character_whose_process_died_is_cancelled_when_the_sweep_notices(
    ws_connect, settings, world, alice, bob
):
    settings.PRESENCE_TTL_SECONDS = 2
    aria = await sync_to_async(make_character)(alice, "Aria")
    borin = await sync_to_async(make_character)(bob, "Borin")
    # Bob's world socket lives on a process that dies: its presence is never closed.
    crashed = kit_presence.PresenceTracker(store=kit_presence.RedisStore())
    await crashed.open(bob.pk, areas.places_for(borin.location_id))
    crashed.vanish()
    alice_ws, _ = await enter(ws_connect, alice)
    trade = await db.run(trading.trade_request, character_id=borin.pk, to_character_id=aria.pk)
    assert (await receive_type(alice_ws, "trade_request"))["trade"]["id"] == trade.pk

    assert await sweep_until_expired(lambda: db.run_always(kit_presence.sweep_and_announce)) == 3
    assert (await receive_type(alice_ws, "player_left_area"))["character_id"] == borin.pk
    cancelled = await receive_type(alice_ws, "trade_cancelled")
    assert cancelled["trade"]["id"] == trade.pk and cancelled["reason"] == "disconnected"
    assert (await sync_to_async(Trade.objects.get)(pk=trade.pk)).status == Trade.Status.CANCELLED
    await alice_ws.disconnect()
