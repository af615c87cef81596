"""Where the filter holds beyond lobbies and DMs: group names and descriptions, world character
names, display names, names a sign-in provider gives, and group, world and battle chat."""

import io

import pytest
from asgiref.sync import sync_to_async

from conftest import receive_type
from gameplatform.chat.speech import TextRefused
from groups import services as groups
from groups.factories import make_group
from identities.flows import Profile
from identities.services import identity_sign_in
from progression.models import EnemyTemplate
from progression.services import battle_create, battle_join, player_ensure
from world import demo
from world import services as world
from world.models import Faction

db = pytest.mark.django_db
sockets = pytest.mark.django_db(transaction=True)


def refused_field(response) -> str:
    body = response.json()
    assert response.status_code == 400 and body["code"] == "text_refused", body
    return body["field"]


@db
def test_a_group_name_with_a_listed_word_is_400_text_refused(client_for, listed, alice):
    listed("shit")
    response = client_for(alice).post("/api/groups/", {"name": "Sh1t Club", "max_members": 10}, format="json")
    assert refused_field(response) == "name"


@db
def test_a_group_description_with_a_listed_word_is_400_text_refused(client_for, listed, alice):
    listed("shit")
    body = {"name": "Night Owls", "description": "we play s.h.i.t games", "max_members": 10}
    assert refused_field(client_for(alice).post("/api/groups/", body, format="json")) == "description"
    fine = client_for(alice).post("/api/groups/", {**body, "description": "we play late"}, format="json")
    assert fine.status_code == 201 and fine.json()["description"] == "we play late"


@db
def test_a_group_description_edited_to_hold_a_listed_word_is_refused_and_kept(listed, alice):
    group = make_group(creator=alice, name="Night Owls", description="we play late")
    listed("shit")
    with pytest.raises(TextRefused):
        groups.group_update(group_id=group.pk, description="sh1t players only")
    group.refresh_from_db()
    assert group.description == "we play late"


@db
def test_a_group_description_with_a_listed_word_is_a_form_error_in_the_admin(client, make_staff, listed, alice):
    group = make_group(creator=alice, name="Night Owls", description="we play late")
    listed("shit")
    client.force_login(make_staff("root", superuser=True))
    seat = group.memberships.get()
    form = {
        "name": "Night Owls",
        "description": "sh1t players only",
        "max_members": 100,
        "open": "on",
        "memberships-TOTAL_FORMS": 1,
        "memberships-INITIAL_FORMS": 1,
        "memberships-MIN_NUM_FORMS": 0,
        "memberships-MAX_NUM_FORMS": 1000,
        "memberships-0-id": seat.pk,
        "memberships-0-group": group.pk,
    }
    refused = client.post(f"/admin/groups/group/{group.pk}/change/", form)
    assert refused.status_code == 200  # the form again, with its error
    assert "This description holds a word that is not allowed." in refused.content.decode()
    group.refresh_from_db()
    assert group.description == "we play late"


@db
def test_a_world_character_name_with_a_listed_word_is_400_text_refused(client_for, listed, alice):
    demo.seed(users={}, stdout=io.StringIO())
    listed("shit")
    body = {"name": "Lord Sh1t", "faction": "Crimson Covenant"}
    assert refused_field(client_for(alice).post("/api/characters/", body, format="json")) == "name"
    fine = client_for(alice).post("/api/characters/", {**body, "name": "Lord Ash"}, format="json")
    assert fine.status_code == 201


@db
def test_a_display_name_with_a_listed_word_is_400_text_refused(client_for, listed, alice):
    listed("shit")
    client = client_for(alice)
    assert refused_field(client.patch("/api/me/", {"display_name": "Captain $hit"}, format="json")) == "display_name"
    assert client.get("/api/me/").json()["display_name"] == ""


@db
def test_a_provider_name_with_a_listed_word_signs_in_under_a_generated_name(listed):
    listed("shit")
    profile = Profile(provider="idp", subject="sub-1", username_hint="sh1t_lord", name="The Sh1t Lord")
    user, created = identity_sign_in(profile=profile)
    assert created and user.username.startswith("player-") and "sh1t" not in user.username
    assert user.display_name == ""
    again, created = identity_sign_in(profile=profile)
    assert again == user and not created


@db
def test_a_clean_provider_name_is_kept(listed):
    listed("shit")
    user, _ = identity_sign_in(profile=Profile(provider="idp", subject="sub-2", username_hint="nelly", name="Nelly"))
    assert (user.username, user.display_name) == ("nelly", "Nelly")


@db
def test_a_listed_word_is_masked_in_group_chat(client_for, listed, alice, bob):
    group = make_group(creator=alice, members=[bob], name="Night Owls")
    listed("shit")
    sent = client_for(bob).post(f"/api/groups/{group.pk}/messages/", {"content": "oh sh1t, gg"}, format="json")
    assert sent.status_code == 201 and sent.json()["content"] == "oh ****, gg"
    history = client_for(alice).get(f"/api/groups/{group.pk}/messages/").json()["results"]
    assert [m["content"] for m in history] == ["oh ****, gg"]


@sockets
async def test_a_listed_word_is_masked_in_world_chat(ws_connect, listed, alice, bob):
    def seed():
        demo.seed(users={}, stdout=io.StringIO())
        crimson = Faction.objects.get(name="Crimson Covenant")
        world.character_create(user=alice, name="Aria", faction=crimson)
        world.character_create(user=bob, name="Borin", faction=crimson)
        listed("shit")

    await sync_to_async(seed)()
    (ws_a, _, _), (ws_b, _, _) = await ws_connect("/ws/world/", alice), await ws_connect("/ws/world/", bob)
    await receive_type(ws_a, "welcome")
    await receive_type(ws_b, "welcome")
    await ws_a.send_json_to({"type": "chat", "channel": "global", "message": "SHIIIT, a wolf"})
    for ws in (ws_a, ws_b):
        assert (await receive_type(ws, "chat"))["message"] == "******, a wolf"
    await ws_a.send_json_to({"type": "whisper", "to": "Borin", "message": "s h i t"})
    assert (await receive_type(ws_b, "whisper"))["message"] == "*******"
    await ws_a.disconnect()
    await ws_b.disconnect()


@sockets
async def test_a_listed_word_is_masked_in_battle_chat(ws_connect, listed, alice, bob):
    def open_battle():
        battle = battle_create(enemy=EnemyTemplate.objects.create(name="Ogre", max_hp=1000, stamina_cost=5))
        for user in (alice, bob):
            player_ensure(user_id=user.pk)
            battle_join(user=user, battle_id=battle.pk)
        listed("shit")
        return battle

    battle = await sync_to_async(open_battle)()
    (ws_a, _, _), (ws_b, _, _) = [await ws_connect(f"/ws/battle/{battle.pk}/", user) for user in (alice, bob)]
    await receive_type(ws_b, "connected")
    await ws_a.send_json_to({"type": "chat", "message": "hit it, sh1t!"})
    assert (await receive_type(ws_b, "chat"))["message"] == "hit it, ****!"
    await ws_a.disconnect()
    await ws_b.disconnect()
