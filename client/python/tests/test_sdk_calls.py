"""Every REST wrapper of the SDK against the live server once: the routes and shapes it assumes."""

import asyncio
import datetime

import pytest
from gameplatform_client import BadRequest, Conflict, Forbidden, Gone, NotFound, SocketClosed, Unauthorized

from .conftest import new_name
from .test_sdk_live import befriend

# Holds a route or frame family of the contract to the server: `make test` runs it under daphne too.
pytestmark = pytest.mark.contract


async def test_progression_shop_inventory_pets_and_battles(server, make_client):
    alice = await make_client("shopper")
    player = await alice.get_player()
    assert {"gold", "gems", "stamina", "stats", "level"} <= set(player)
    item = next(i for i in await alice.shop_items() if i["kind"] == "item" and i["price_gold"])
    key = new_name("key")
    bought = await alice.purchase(item["id"], idempotency_key=key)
    again = await alice.purchase(item["id"], idempotency_key=key)  # charged once
    assert bought == again and bought["gold"] == player["gold"] - item["price_gold"]
    inventory = await alice.get_inventory()
    assert [i["item"]["id"] for i in inventory] == [item["item"]["id"]]
    await alice.equip(inventory[0]["id"])
    await alice.unequip(inventory[0]["item"]["slot"])
    with pytest.raises(BadRequest) as bad_slot:
        await alice.unequip("tail")
    assert bad_slot.value.code == "invalid_slot"
    with pytest.raises(BadRequest) as points:
        await alice.allocate_stats(strength=1)
    assert points.value.code == "not_enough_stat_points"
    assert "stamina" in await alice.regenerate_stamina()
    assert [row["reason"] for row in await alice.get_ledger()][-1] == "start"
    assert "eggs" in await alice.get_pets()

    battle = (await alice.available_battles())[-1]
    await alice.join_battle(battle["id"])
    room = await alice.open_battle(battle["id"])
    assert room.battle["id"] == battle["id"]
    attack = await alice.attack(battle["id"])
    assert (await room.next("attack"))["damage"] == attack["damage"]
    assert (await alice.get_battle(battle["id"]))["hp"] == attack["enemy_hp"]
    with pytest.raises(Conflict) as not_over:
        await alice.claim_loot(battle["id"])
    assert not_over.value.code == "battle_not_over"
    assert (await alice.battle_history())[0]["battle_id"] == battle["id"]


async def test_set_age_passes_a_declared_birth_date_and_a_store_s_band(server, make_client):
    alice = await make_client("aged")
    ten_years_ago = f"{datetime.date.today().year - 10}-01-01"
    assert await alice.set_age(birth_date=ten_years_ago) == {"age_band": "under_13", "age_source": "declared"}
    with pytest.raises(Conflict) as locked:
        await alice.set_age(birth_date="1990-03-01")
    assert locked.value.code == "age_locked"
    assert await alice.set_age(band="adult", source="apple") == {"age_band": "adult", "age_source": "apple"}
    assert (await alice.me())["age_band"] == "adult"


async def test_a_sign_in_says_what_the_client_is_when_it_is_given(server, make_client):
    said = {"platform": "android", "app_version": "3.0.0", "timezone": "Asia/Tokyo"}
    told = await make_client("attrs", client_attributes=said)
    attributes = await told.get("/api/liveops/attributes/")
    assert (attributes["platform"], attributes["app_version"]) == ("android", "3.0.0")
    assert attributes["custom"]["timezone"] == "Asia/Tokyo" and "locale" in attributes["custom"]
    silent = await make_client("quiet")  # a bot or a tool: nothing said unless given
    assert (await silent.get("/api/liveops/attributes/"))["platform"] == ""


async def test_accounts_friends_invites_notifications_and_parties(server, make_client):
    alice, bob = await make_client("alice"), await make_client("bob")
    assert (await alice.update_me(display_name="Alice A"))["display_name"] == "Alice A"
    assert (await bob.get_user(alice.user_id))["display_name"] == "Alice A"
    assert (await alice.server_status())["status"] in ("ok", "degraded")
    await befriend(alice, bob)
    presence = await alice.watch_presence()
    assert (await presence.next("presence_snapshot"))["friends"][0]["user_id"] == bob.user_id

    invite = await alice.send_invite(bob.user_id, "game", mode="tictactoe")
    assert [i["id"] for i in await bob.list_invites()] == [invite["id"]]
    assert [i["id"] for i in await alice.list_invites("sent")] == [invite["id"]]
    accepted = await bob.accept_invite(invite["id"])
    assert accepted["status"] == "accepted" and accepted["game_id"]
    assert (await alice.list_games())[0]["id"] == accepted["game_id"]
    assert isinstance(await alice.leaderboard(), list)
    with pytest.raises(Conflict):
        await alice.cancel_invite(invite["id"])

    unread = await alice.list_notifications(unread=True)
    assert unread and (await alice.mark_notifications_read())["marked"] == len(unread)
    assert await alice.list_notifications(unread=True) == []
    await bob.send_dm(alice.user_id, "read me")
    assert (await alice.list_conversations())[0]["unread_count"] == 1
    assert (await alice.mark_dm_read(bob.user_id))["marked_read"] == 1
    badge = await alice.get_badge()
    assert badge["unread_dms"] == 0

    faction = (await alice.get_factions())[0]["id"]
    for client in (alice, bob):
        character = await client.create_character(new_name("p")[-20:].replace("_", "x"), faction)
        await client.select_character(character["id"], enter_world=False)
    party = await alice.create_party()
    bob_character = (await bob.get_characters())[0]
    party_invite = await alice.invite_to_party(bob_character["id"])
    joined = await bob.accept_invite(party_invite["id"])
    assert joined["party_id"] == party["id"]
    assert len((await bob.get_party(party["id"]))["members"]) == 2
    await alice.kick_from_party(bob_character["id"])
    await alice.disband_party()
    with pytest.raises(NotFound):
        await alice.get_party(party["id"])  # disbanded
    assert await alice.get_trades() == []
    assert len(await alice.get_locations()) >= 9 and len(await alice.get_shards()) >= 5
    assert isinstance(await alice.get_world_events(), list)

    await alice.block(bob.user_id)
    with pytest.raises(Forbidden) as blocked:
        await bob.send_dm(alice.user_id, "hello?")
    assert blocked.value.code in ("blocked", "not_friends")
    await alice.unblock(bob.user_id)
    with pytest.raises(NotFound):
        await alice.remove_friend(bob.user_id)  # the block ended the friendship

    await alice.logout()
    with pytest.raises(Unauthorized):
        await alice.me()


async def test_an_expired_invite_is_gone_and_a_kicked_member_socket_closes_for_good(server, make_client):
    owner, alice = await make_client(login="premium_user_2"), await make_client("alice")
    lobby = await owner.create_lobby(new_name("kick"), max_participants=4)
    room = await alice.join_lobby(lobby["id"])
    closed = asyncio.get_running_loop().create_future()
    room.on("disconnected", lambda e: closed.done() or closed.set_result(e))
    await owner.kick(lobby["id"], alice.user_id, "testing")
    event = await asyncio.wait_for(closed, 5)
    assert (event.code, event.will_retry) == (4403, False)
    with pytest.raises(SocketClosed):
        await room.send({"type": "ping"})
    with pytest.raises((Gone, NotFound)):
        await alice.accept_invite(10**9)


async def test_a_lobby_owner_starts_the_mode_named_when_the_members_fit_it(server, make_client):
    owner = await make_client(login="premium_user_1")
    alice, bob = await make_client("alice"), await make_client("bob")
    lobby = await owner.create_lobby(new_name("arena"), max_participants=4)
    for member in (alice, bob):
        await member.join_lobby(lobby["id"], open_socket=False)
    with pytest.raises(Conflict) as three_for_two:
        await owner.start_lobby_game(lobby["id"], "tictactoe")
    assert three_for_two.value.code == "invalid_player_count"
    with pytest.raises(BadRequest) as unknown:
        await owner.start_lobby_game(lobby["id"], "chess")
    assert unknown.value.code == "invalid_mode"
    started = await owner.start_lobby_game(lobby["id"], "arena")
    game = await alice.get_game(started["game_id"])
    assert game["mode"] == "arena" and {p["id"] for p in game["players"]} == {
        owner.user_id,
        alice.user_id,
        bob.user_id,
    }


async def test_world_combat_shard_capture_and_whispers(server, make_client):
    alice, bob = await make_client("alice"), await make_client("bob")
    crimson = next(f for f in await alice.get_factions() if f["name"] == "Crimson Covenant")
    for client in (alice, bob):
        character = await client.create_character(new_name("f")[-20:].replace("_", "x"), crimson["id"])
        await client.select_character(character["id"])
    whisper = asyncio.ensure_future(alice.world.wait_for("whisper"))
    await bob.send_whisper(alice.world.character["name"], "psst")
    assert (await whisper)["message"] == "psst"

    road = next(loc for loc in await alice.get_locations() if loc["enemies"] and loc["shard_id"])
    assert road["id"] in alice.world.location["neighbours"]
    await alice.send_move(road["id"])
    started = await alice.start_combat("enemy", road["enemies"][0]["id"])
    combat_id = started["combat"]["id"]
    hit = asyncio.ensure_future(alice.world.wait_for("combat_damage", where=lambda f: f["combat_id"] == combat_id))
    await alice.send_combat_action(combat_id, "attack", target_id=road["enemies"][0]["id"])
    assert (await hit)["amount"] > 0

    captured = asyncio.ensure_future(bob.world.wait_for("shard_captured"))
    await alice.capture_shard(road["shard_id"])
    assert (await captured)["shard"]["id"] == road["shard_id"]


async def test_guest_device_login_link_and_cloud_storage(server, make_client):
    from gameplatform_client import GameClient, VersionConflict

    guest = GameClient(server.http)
    try:
        device = f"sdk-device-{new_name('d')}"
        first = await guest.device_login(device)
        assert first["created"] is True and first["user"]["is_guest"] is True
        again = await guest.device_login(device)
        assert again["user"]["id"] == first["user"]["id"] and again["created"] is False

        saved = await guest.storage_put("saves", "slot-1", {"level": 1})
        assert saved["version"] == 1 and saved["read"] == "owner"
        updated = await guest.storage_put("saves", "slot-1", {"level": 2}, version=1, read="public")
        assert updated["version"] == 2
        with pytest.raises(VersionConflict) as stale:
            await guest.storage_put("saves", "slot-1", {"level": 0}, version=1)
        assert stale.value.status == 412 and stale.value.code == "version_conflict"
        with pytest.raises(VersionConflict):
            await guest.storage_put("saves", "slot-1", {"level": 0}, create_only=True)
        await guest.storage_put("saves", "slot-2", {"level": 5})
        assert [o["key"] for o in await guest.storage_list("saves")] == ["slot-1", "slot-2"]

        other = await make_client("reader")
        assert (await other.storage_get("saves", "slot-1", user_id=guest.user_id))["value"] == {"level": 2}
        assert [o["key"] for o in await other.storage_list("saves", user_id=guest.user_id)] == ["slot-1"]
        with pytest.raises(NotFound):
            await other.storage_get("saves", "slot-2", user_id=guest.user_id)

        name = new_name("linked")
        with pytest.raises(TypeError):  # the contract requires the email: the SDK makes none up
            await guest.link_account(name, "pass-w0rd-long-enough")
        assert (await guest.me())["is_guest"] is True
        linked = await guest.link_account(name, "pass-w0rd-long-enough", email=f"{name}@players.test")
        assert linked["id"] == first["user"]["id"] and linked["is_guest"] is False
        assert linked["email"] == f"{name}@players.test"
        with pytest.raises(Conflict) as twice:
            again = new_name("again")
            await guest.link_account(again, "pass-w0rd-long-enough", email=f"{again}@players.test")
        assert twice.value.code == "already_linked"
        await guest.storage_delete("saves", "slot-2", version=1)
        with pytest.raises(NotFound):
            await guest.storage_get("saves", "slot-2")
    finally:
        await guest.disconnect()

    relogged = GameClient(server.http)
    try:
        await relogged.login(name, "pass-w0rd-long-enough")
        assert (await relogged.me())["id"] == first["user"]["id"]
        assert (await relogged.storage_get("saves", "slot-1"))["value"] == {"level": 2}
    finally:
        await relogged.disconnect()


async def test_leaderboards_and_tournaments_from_the_demo_data(server, make_client):
    alice = await make_client("alice")
    boards = {b["id"]: b for b in await alice.list_leaderboards()}
    assert boards["weekly-gems"]["reset"] == "0 0 * * 1" and boards["tictactoe-wins"]["authoritative"]
    with pytest.raises(Forbidden) as not_admin:
        await alice.create_leaderboard(new_name("b")[-20:].replace("_", "-"))
    assert not_admin.value.code == "admin_only"
    with pytest.raises(Forbidden) as authoritative:
        await alice.write_record("tictactoe-wins", 5)
    assert authoritative.value.code == "authoritative"
    mine = await alice.write_record("high-scores", 1000, {"level": 9})
    assert (mine["score"], mine["metadata"]) == (1000, {"level": 9})
    around = await alice.leaderboard_records("high-scores", around_me=True, limit=3)
    assert [r["user"]["id"] for r in around].index(alice.user_id) == 1 and around[1]["rank"] == mine["rank"]
    assert await alice.leaderboard_records("high-scores", period="previous") == []

    cup = next(t for t in await alice.list_tournaments() if t["id"] == "weekly-cup")
    gold = (await alice.get_player())["gold"]
    joined = await alice.join_tournament("weekly-cup")
    assert joined["joined"] and joined["entry_count"] == cup["entry_count"] + 1
    await alice.join_tournament("weekly-cup")  # once
    assert (await alice.get_player())["gold"] == gold - cup["entry_fee"]
    assert (await alice.write_record("weekly-cup", 42))["rank"] >= 1
    assert (await alice.get_tournament("weekly-cup"))["status"] == "open"


async def test_groups_create_join_by_request_chat_and_kick(server, make_client):
    alice, bob = await make_client("clan_chief"), await make_client("clan_member")
    group = await alice.create_group(new_name("Clan"), description="ours", open=False, max_members=5)
    assert any(g["id"] == group["id"] for g in await bob.list_groups(search=group["name"].upper()))
    assert (await bob.join_group(group["id"]))["status"] == "requested"
    assert [r["user"]["id"] for r in await alice.group_requests(group["id"])] == [bob.user_id]
    await alice.accept_group_request(group["id"], bob.user_id)
    assert [(g["id"], g["role"]) for g in await bob.my_groups()] == [(group["id"], "member")]
    room = await bob.open_group(group["id"])
    assert room.group["id"] == group["id"] and bob.user_id in room.online_user_ids
    said = await room.chat("for the clan", wait=True)
    assert said.message["content"] == "for the clan"
    assert [m["content"] for m in (await alice.group_history(group["id"]))["results"]] == ["for the clan"]
    with pytest.raises(Forbidden) as refused:
        await bob.group_action(group["id"], "kick", alice.user_id)
    assert refused.value.code == "not_group_admin"
    closed = asyncio.get_running_loop().create_future()
    room.on("disconnected", lambda e: closed.done() or closed.set_result(e))
    await alice.group_action(group["id"], "kick", bob.user_id)
    event = await asyncio.wait_for(closed, 5)
    assert (event.code, event.will_retry) == (4403, False)
    assert [m["user"]["id"] for m in await alice.group_members(group["id"])] == [alice.user_id]
