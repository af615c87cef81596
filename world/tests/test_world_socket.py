"""The world socket: entering, areas, movement, positions, chat and whispers."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from conftest import receive_type, requires_redis
from friends.services import block_create
from gameplatform.data import db
from gameplatform.sockets import presence as kit_presence
from gameplatform.testhelpers import eventually
from staff.roles import LIVEOPS
from world import areas, services
from world.models import Character, Faction, Location

pytestmark = pytest.mark.django_db(transaction=True)


def make_character(user, name: str, faction: str = "Crimson Covenant", at: str | None = None) -> Character:
    character = services.character_create(user=user, name=name, faction=Faction.objects.get(name=faction))
    if at is not None:
        Character.objects.filter(pk=character.pk).update(location=Location.objects.get(name=at))
        character.refresh_from_db()
    return character


async def closed_with(ws) -> int:
    while True:
        message = await ws.receive_output(timeout=3)
        if message["type"] == "websocket.close":
            return message.get("code")


async def enter(ws_connect, user, path: str = "/ws/world/", query: str = ""):
    ws, connected, _ = await ws_connect(path, user, query=query)
    assert connected
    welcome = await ws.receive_json_from(timeout=3)
    assert welcome["type"] == "welcome", welcome
    return ws, welcome


@pytest.fixture
def place(world):
    return {loc.name: loc.pk for loc in Location.objects.all()}


async def test_without_a_selected_character_the_socket_closes_4403_no_character(ws_connect, world, alice):
    ws, connected, _ = await ws_connect("/ws/world/", alice)
    error = await ws.receive_json_from(timeout=3)
    assert error["type"] == "error" and error["code"] == "no_character"
    assert await closed_with(ws) == 4403


async def test_an_unsupported_protocol_version_is_named_then_closed_4400(ws_connect, world, alice):
    await sync_to_async(make_character)(alice, "Aria")
    ws, _, _ = await ws_connect("/ws/world/", alice, query="v=9")
    error = await ws.receive_json_from(timeout=3)
    assert error == {"type": "error", "code": "unsupported_version", "message": error["message"], "supported": [1, 1]}
    assert await closed_with(ws) == 4400


async def test_welcome_shows_character_location_and_world_on_the_seeds_path_too(ws_connect, world, place, alice):
    aria = await sync_to_async(make_character)(alice, "Aria")
    for path in ("/ws/world/", "/ws"):
        ws, welcome = await enter(ws_connect, alice, path=path, query="v=1")
        assert welcome["protocol_version"] == 1
        assert welcome["character"]["id"] == aria.pk and welcome["character"]["name"] == "Aria"
        assert (
            welcome["location"]["id"] == place["Emberhold"] and place["Ashen Road"] in welcome["location"]["neighbours"]
        )
        assert welcome["nearby"] == []
        assert welcome["world"]["current_reality"] == "prime" and len(welcome["world"]["shards"]) == 5
        await ws.disconnect()


async def test_an_area_hears_who_enters_and_leaves_and_the_newcomer_sees_who_is_there(ws_connect, world, alice, bob):
    aria = await sync_to_async(make_character)(alice, "Aria")
    await sync_to_async(make_character)(bob, "Borin")
    alice_ws, _ = await enter(ws_connect, alice)
    bob_ws, welcome = await enter(ws_connect, bob)
    assert [c["name"] for c in welcome["nearby"]] == ["Aria"]
    joined = await receive_type(alice_ws, "player_joined_area")
    assert joined["character"]["name"] == "Borin"
    await bob_ws.disconnect()
    left = await receive_type(alice_ws, "player_left_area")
    assert left == {"type": "player_left_area", "character_id": welcome["character"]["id"]}
    assert await alice_ws.receive_nothing(timeout=0.3)
    await alice_ws.disconnect()
    assert aria.pk != welcome["character"]["id"]


async def test_a_move_goes_to_a_neighbour_only_once_a_second_and_is_stored(ws_connect, world, place, alice, bob):
    aria = await sync_to_async(make_character)(alice, "Aria")
    await sync_to_async(make_character)(bob, "Borin")
    alice_ws, _ = await enter(ws_connect, alice)
    bob_ws, _ = await enter(ws_connect, bob)
    await receive_type(alice_ws, "player_joined_area")

    await alice_ws.send_json_to({"type": "move", "to_location_id": place["Crystal Rift"]})
    assert (await receive_type(alice_ws, "error"))["code"] == "illegal_move"
    await asyncio.sleep(1.05)
    await alice_ws.send_json_to({"type": "move", "to_location_id": place["Ashen Road"]})
    update = await receive_type(alice_ws, "location_update")
    assert update == {
        "type": "location_update",
        "character_id": aria.pk,
        "from_location_id": place["Emberhold"],
        "to_location_id": place["Ashen Road"],
    }
    nearby = await receive_type(alice_ws, "nearby")
    assert nearby["location_id"] == place["Ashen Road"] and nearby["characters"] == []
    assert (await receive_type(bob_ws, "location_update")) == update
    assert (await receive_type(bob_ws, "player_left_area"))["character_id"] == aria.pk
    await alice_ws.send_json_to({"type": "move", "to_location_id": place["Emberhold"]})
    assert (await receive_type(alice_ws, "error"))["code"] == "rate_limited"
    stored = await sync_to_async(Character.objects.get)(pk=aria.pk)
    assert stored.location_id == place["Ashen Road"]
    await alice_ws.disconnect()
    await bob_ws.disconnect()


async def test_an_illegal_move_spends_no_move_budget_so_the_legal_move_right_after_is_accepted(
    ws_connect, world, place, alice
):
    aria = await sync_to_async(make_character)(alice, "Aria")
    ws, _ = await enter(ws_connect, alice)
    await ws.send_json_to({"type": "move", "to_location_id": place["Crystal Rift"], "ref": "far"})
    error = await receive_type(ws, "error")
    assert (error["code"], error["ref"]) == ("illegal_move", "far")
    await ws.send_json_to({"type": "move", "to_location_id": place["Ashen Road"], "ref": "near"})
    update = await receive_type(ws, "location_update")
    assert update["character_id"] == aria.pk and update["to_location_id"] == place["Ashen Road"]
    assert (await sync_to_async(Character.objects.get)(pk=aria.pk)).location_id == place["Ashen Road"]
    await ws.disconnect()


async def test_the_mover_gets_character_update_with_the_new_location(ws_connect, world, place, alice):
    aria = await sync_to_async(make_character)(alice, "Aria")
    ws, _ = await enter(ws_connect, alice)
    await ws.send_json_to({"type": "move", "to_location_id": place["Ashen Road"]})
    update = await receive_type(ws, "character_update")
    assert update["character"]["id"] == aria.pk and update["character"]["location_id"] == place["Ashen Road"]
    assert update["character"]["faction"] == "Crimson Covenant" and update["character"]["health"] == 100
    await ws.disconnect()


async def test_positions_reach_the_area_at_most_ten_a_second_newest_last_and_are_stored_on_close(
    ws_connect, world, alice, bob
):
    aria = await sync_to_async(make_character)(alice, "Aria")
    await sync_to_async(make_character)(bob, "Borin")
    alice_ws, _ = await enter(ws_connect, alice)
    bob_ws, _ = await enter(ws_connect, bob)
    for n in range(20):
        await alice_ws.send_json_to({"type": "position_update", "position": {"x": n, "y": 0, "z": 0}})
    await asyncio.sleep(0.35)
    seen = [f["position"]["x"] for f in await drain(bob_ws) if f["type"] == "position_update"]
    assert 1 <= len(seen) <= 5  # 20 sent in a burst: the first, then the newest every 0.1 s
    assert seen[-1] == 19.0
    assert (await sync_to_async(Character.objects.get)(pk=aria.pk)).position == {}  # nothing per frame
    await alice_ws.disconnect()

    async def stored() -> bool:  # the socket's goodbye wrote the last position
        return (await sync_to_async(Character.objects.get)(pk=aria.pk)).position == {"x": 19.0, "y": 0.0, "z": 0.0}

    await eventually(stored, timeout=5, what="the last position stored on close")
    await bob_ws.disconnect()


async def test_a_newer_world_socket_closes_the_older_4409_saying_replaced(ws_connect, world, alice):
    await sync_to_async(make_character)(alice, "Aria")
    first, _ = await enter(ws_connect, alice)
    second, _ = await enter(ws_connect, alice)
    assert (await receive_type(first, "error"))["code"] == "replaced"
    assert await closed_with(first) == 4409
    await second.disconnect()


async def test_chat_reaches_its_audience_and_keeps_the_chat_rule(ws_connect, world, alice, bob, carol):
    await sync_to_async(make_character)(alice, "Aria")
    await sync_to_async(make_character)(bob, "Borin", faction="Azure Order", at="Azure Spire")
    await sync_to_async(make_character)(carol, "Cato", at="Ashen Road")
    sockets = {user.username: (await enter(ws_connect, user))[0] for user in (alice, bob, carol)}
    await sockets["alice"].send_json_to({"type": "chat", "channel": "global", "message": "hello world"})
    for ws in sockets.values():
        frame = await receive_type(ws, "chat")
        assert frame["channel"] == "global" and frame["sender"]["name"] == "Aria" and frame["message"] == "hello world"
    await sockets["alice"].send_json_to({"type": "chat", "channel": "faction", "message": "crimson only"})
    assert (await receive_type(sockets["carol"], "chat"))["message"] == "crimson only"
    assert (await receive_type(sockets["alice"], "chat"))["channel"] == "faction"
    assert await sockets["bob"].receive_nothing(timeout=0.3)
    await sockets["alice"].send_json_to({"type": "chat", "channel": "global", "message": "third"})
    await sockets["alice"].send_json_to({"type": "chat", "channel": "global", "message": "fourth"})
    assert (await receive_type(sockets["alice"], "error"))["code"] == "rate_limited"
    for ws in sockets.values():
        await ws.disconnect()


async def test_a_whisper_reaches_its_target_and_the_sender_only_and_a_block_stops_it(
    ws_connect, world, alice, bob, carol
):
    await sync_to_async(make_character)(alice, "Aria")
    await sync_to_async(make_character)(bob, "Borin")
    await sync_to_async(make_character)(carol, "Cato")
    sockets = {user.username: (await enter(ws_connect, user))[0] for user in (alice, bob, carol)}
    await sockets["alice"].send_json_to({"type": "whisper", "to": "borin", "message": "psst"})
    for name in ("alice", "bob"):
        frame = await receive_type(sockets[name], "whisper")
        assert frame["from"]["name"] == "Aria" and frame["to"]["name"] == "Borin" and frame["message"] == "psst"
    await sync_to_async(block_create)(blocker=bob, blocked_id=carol.pk)
    await sockets["carol"].send_json_to({"type": "whisper", "to": "Borin", "message": "hey"})
    assert (await receive_type(sockets["carol"], "error"))["code"] == "forbidden"
    for ws in sockets.values():
        assert not [f for f in await drain(ws) if f["type"] == "whisper"]
        await ws.disconnect()


async def drain(ws) -> list[dict]:
    """Every frame that arrives until none has for 0.2 s (without timing the socket out)."""
    frames = []
    while not await ws.receive_nothing(timeout=0.2):
        frames.append(await ws.receive_json_from(timeout=1))
    return frames


async def test_only_staff_announce_over_the_socket(ws_connect, world, alice, make_staff):
    staff = await sync_to_async(make_staff)("gm", LIVEOPS)
    await sync_to_async(make_character)(alice, "Aria")
    await sync_to_async(make_character)(staff, "Keeper")
    alice_ws, _ = await enter(ws_connect, alice)
    staff_ws, _ = await enter(ws_connect, staff)
    await alice_ws.send_json_to({"type": "world_announcement", "message": "I am the king"})
    assert (await receive_type(alice_ws, "error"))["code"] == "forbidden"
    await staff_ws.send_json_to({"type": "world_announcement", "message": "Double xp tonight"})
    for ws in (alice_ws, staff_ws):
        assert (await receive_type(ws, "world_announcement"))["message"] == "Double xp tonight"
    await alice_ws.disconnect()
    await staff_ws.disconnect()


async def sweep_until_expired(sweep, *, within: float = 6.0):
    """Run ``sweep`` (awaitable factory) every 0.2 s until it reports changes: the crashed
    process's sockets expire one presence lifetime after their last write, which a loaded
    machine may land late. Fails after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    await asyncio.sleep(0.9)  # the lifetime (1 s at TTL 2) has nearly run
    while True:
        result = await sweep()
        if (sum(result) if isinstance(result, list) else result) or loop.time() > deadline:
            return result
        await asyncio.sleep(0.2)


@requires_redis
async def test_a_crashed_processs_character_leaves_its_area_once(ws_connect, settings, world, place, alice, bob):
    settings.PRESENCE_TTL_SECONDS = 2
    await sync_to_async(make_character)(alice, "Aria")
    borin = await sync_to_async(make_character)(bob, "Borin")
    crashed = kit_presence.PresenceTracker(store=kit_presence.RedisStore())
    await crashed.open(bob.pk, areas.places_for(place["Emberhold"]))
    crashed.vanish()
    alice_ws, welcome = await enter(ws_connect, alice)
    assert [c["name"] for c in welcome["nearby"]] == ["Borin"]
    swept = await sweep_until_expired(
        lambda: asyncio.gather(*(db.run_always(kit_presence.sweep_and_announce) for _ in range(2)))
    )
    assert sum(swept) == 3  # two sweepers at once: bob offline, out of the world, out of the area, once each
    assert (await receive_type(alice_ws, "player_left_area"))["character_id"] == borin.pk
    assert await alice_ws.receive_nothing(timeout=0.3)
    await alice_ws.disconnect()
