import pytest
from asgiref.sync import sync_to_async

from conftest import receive_type
from progression.models import EnemyTemplate
from progression.services import battle_create, battle_join, player_ensure

pytestmark = pytest.mark.django_db(transaction=True)


def _open_battle(hp=1000, members=()):
    enemy = EnemyTemplate.objects.create(name=f"Ogre {EnemyTemplate.objects.count()}", max_hp=hp, stamina_cost=5)
    battle = battle_create(enemy=enemy)
    for user in members:
        player_ensure(user_id=user.pk)
        battle_join(user=user, battle_id=battle.pk)
    return battle


@pytest.fixture
def no_random(monkeypatch):
    from progression import clock

    monkeypatch.setattr(clock, "roll", lambda low, high: 1.0 if high < 10 else low)


async def test_non_participant_is_closed_4403_and_unknown_battle_4404(ws_connect, make_user):
    alice, bob = await sync_to_async(make_user)("alice"), await sync_to_async(make_user)("bob")
    battle = await sync_to_async(_open_battle)(members=[alice])
    ws, connected, _ = await ws_connect(f"/ws/battle/{battle.pk}/", bob)
    assert (await ws.receive_output(timeout=3))["code"] == 4403
    ws2, _, _ = await ws_connect("/ws/battle/999999/", bob)
    assert (await ws2.receive_output(timeout=3))["code"] == 4404
    ws3, _, _ = await ws_connect(f"/ws/battle/{battle.pk}/", None)
    assert (await ws3.receive_output(timeout=3))["code"] == 4401


async def test_participant_gets_the_battle_on_connect_and_sees_others_come_and_go(ws_connect, make_user):
    alice, bob = await sync_to_async(make_user)("alice"), await sync_to_async(make_user)("bob")
    battle = await sync_to_async(_open_battle)(members=[alice, bob])
    ws_a, connected, _ = await ws_connect(f"/ws/battle/{battle.pk}/", alice)
    assert connected
    hello = await ws_a.receive_json_from(timeout=3)
    assert hello["type"] == "connected"
    assert hello["battle"]["id"] == battle.pk and hello["battle"]["hp"] == 1000
    assert {p["user_id"] for p in hello["battle"]["participants"]} == {alice.pk, bob.pk}
    ws_b, _, _ = await ws_connect(f"/ws/battle/{battle.pk}/", bob)
    await receive_type(ws_b, "connected")
    assert await receive_type(ws_a, "player_joined") == {"type": "player_joined", "user_id": bob.pk, "username": "bob"}
    await ws_b.disconnect()
    assert await receive_type(ws_a, "player_left") == {"type": "player_left", "user_id": bob.pk, "username": "bob"}
    assert await ws_a.receive_nothing(timeout=0.2)
    await ws_a.disconnect()


async def test_rest_join_is_announced_to_the_battle(ws_connect, make_user, client_for):
    alice, bob = await sync_to_async(make_user)("alice"), await sync_to_async(make_user)("bob")
    battle = await sync_to_async(_open_battle)(members=[alice])
    ws, _, _ = await ws_connect(f"/ws/battle/{battle.pk}/", alice)
    await receive_type(ws, "connected")
    await sync_to_async(lambda: client_for(bob).post(f"/api/battles/join/{battle.pk}/"))()
    frame = await receive_type(ws, "participant_joined")
    assert (frame["user_id"], frame["username"]) == (bob.pk, "bob")
    await ws.disconnect()


async def test_socket_attack_is_broadcast_with_server_damage(ws_connect, make_user, no_random):
    alice, bob = await sync_to_async(make_user)("alice"), await sync_to_async(make_user)("bob")
    battle = await sync_to_async(_open_battle)(members=[alice, bob])
    ws_a, _, _ = await ws_connect(f"/ws/battle/{battle.pk}/", alice)
    ws_b, _, _ = await ws_connect(f"/ws/battle/{battle.pk}/", bob)
    await receive_type(ws_a, "connected")
    await receive_type(ws_b, "connected")
    await ws_a.send_json_to({"type": "attack", "damage": 100000, "enemy_id": 1})
    expected = {"type": "attack", "user_id": alice.pk, "damage": 28, "enemy_hp": 972}
    assert await receive_type(ws_a, "attack") == expected
    assert await receive_type(ws_b, "attack") == expected
    await ws_a.send_json_to({"type": "attack", "ref": 7})
    error = await receive_type(ws_a, "error")
    assert (error["code"], error["ref"]) == ("attack_cooldown", 7) and error["retry_after"] > 0
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_enemy_defeated_is_sent_once(ws_connect, make_user, no_random):
    alice, bob = await sync_to_async(make_user)("alice"), await sync_to_async(make_user)("bob")
    battle = await sync_to_async(_open_battle)(hp=20, members=[alice, bob])
    ws_a, _, _ = await ws_connect(f"/ws/battle/{battle.pk}/", alice)
    await receive_type(ws_a, "connected")
    await ws_a.send_json_to({"type": "attack"})
    assert (await receive_type(ws_a, "attack"))["enemy_hp"] == 0
    defeated = await receive_type(ws_a, "enemy_defeated")
    assert defeated["battle_id"] == battle.pk and defeated["xp"] == 50
    assert {p["user_id"] for p in defeated["participants"]} == {alice.pk, bob.pk}
    await ws_a.send_json_to({"type": "attack"})
    assert (await receive_type(ws_a, "error"))["code"] == "battle_over"
    assert await ws_a.receive_nothing(timeout=0.2)
    await ws_a.disconnect()


async def test_chat_reaches_the_battle_and_is_rate_limited(ws_connect, make_user):
    alice, bob = await sync_to_async(make_user)("alice"), await sync_to_async(make_user)("bob")
    battle = await sync_to_async(_open_battle)(members=[alice, bob])
    ws_a, _, _ = await ws_connect(f"/ws/battle/{battle.pk}/", alice)
    ws_b, _, _ = await ws_connect(f"/ws/battle/{battle.pk}/", bob)
    await receive_type(ws_a, "connected")
    await receive_type(ws_b, "connected")
    for n in range(3):
        await ws_a.send_json_to({"type": "chat", "message": f"go {n}"})
        frame = await receive_type(ws_b, "chat")
        assert frame == {"type": "chat", "user_id": alice.pk, "username": "alice", "message": f"go {n}"}
    await ws_a.send_json_to({"type": "chat", "message": "spam"})
    error = await receive_type(ws_a, "error")
    assert error["code"] == "rate_limited" and error["retry_after"] > 0
    assert await ws_b.receive_nothing(timeout=0.2)
    await ws_a.send_json_to({"type": "chat", "message": ""})
    assert (await receive_type(ws_a, "error"))["code"] == "invalid"
    await ws_a.send_json_to({"type": "dance"})
    assert (await receive_type(ws_a, "error"))["code"] == "unknown_type"
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_rest_attack_reaches_the_socket(ws_connect, make_user, no_random, client_for):
    alice, bob = await sync_to_async(make_user)("alice"), await sync_to_async(make_user)("bob")
    battle = await sync_to_async(_open_battle)(members=[alice, bob])
    ws_a, _, _ = await ws_connect(f"/ws/battle/{battle.pk}/", alice)
    await receive_type(ws_a, "connected")
    await sync_to_async(lambda: client_for(bob).post(f"/api/battles/attack/{battle.pk}/"))()
    assert (await receive_type(ws_a, "attack"))["user_id"] == bob.pk
    await ws_a.disconnect()
