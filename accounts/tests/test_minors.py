"""Minors' defaults (``accounts.policy``), each on the way a player meets it: not listed in user
search, friend requests only from players they met, no free-text chat under 13 until staff record
a parent's consent, and ``AGE_REQUIRED`` closing matchmaking, chat and the shop to an unknown band."""

from datetime import date

import pytest
from asgiref.sync import sync_to_async

from accounts import policy
from accounts.age import CHAT_REFUSED, age_set
from chat.lobbies.factories import make_lobby
from conftest import receive_type, requires_postgres
from game.services import game_create
from gameplatform.testhelpers import run_at_once
from groups.factories import make_group
from staff.models import AuditEntry
from staff.roles import MODERATOR

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_chat_copy():
    """Each test reads who may not chat afresh: a copy built in another test never holds here."""
    CHAT_REFUSED.forget()
    yield
    CHAT_REFUSED.forget()


def aged(user, band: str, source: str = "google"):
    return age_set(user=user, band=band, source=source)


@pytest.fixture
def child(make_user):
    return aged(make_user("child"), "under_13")


@pytest.fixture
def moderator(make_staff):
    return make_staff("mod", MODERATOR)


def names_found(client, search: str) -> set[str]:
    return {user["username"] for user in client.get(f"/api/users/?search={search}").json()["results"]}


@pytest.mark.parametrize("band", ["under_13", "13_15", "16_17"])
def test_a_minor_is_not_listed_in_user_search(client_for, alice, make_user, band):
    aged(make_user("player_minor"), band)
    make_user("player_adult")
    assert names_found(client_for(alice), "player_") == {"player_adult"}


def test_a_player_who_declared_a_minor_s_birth_date_is_not_listed(client_for, alice, make_user):
    age_set(user=make_user("player_kid"), source="declared", birth_date=date(date.today().year - 10, 1, 1))
    assert names_found(client_for(alice), "player_") == set()


def test_a_stranger_s_friend_request_to_a_minor_is_refused_not_allowed(client_for, alice, make_user):
    teen = aged(make_user("teen"), "13_15")
    answer = client_for(alice).post("/api/friends/requests/", {"user_id": teen.pk}, format="json")
    assert (answer.status_code, answer.json()["code"]) == (403, "not_allowed")


@pytest.mark.parametrize("where", ["game", "lobby", "group"])
def test_a_player_who_shared_a_room_with_a_minor_may_ask_them(client_for, alice, premium_owner, make_user, where):
    teen = aged(make_user("teen"), "16_17")
    if where == "game":
        game_create(mode="tictactoe", players=[alice, teen])
    elif where == "lobby":
        make_lobby(owner=premium_owner, members=[alice, teen])
    else:
        make_group(creator=premium_owner, members=[alice, teen])
    answer = client_for(alice).post("/api/friends/requests/", {"user_id": teen.pk}, format="json")
    assert answer.status_code == 201


def test_a_minor_may_ask_a_stranger_and_the_stranger_s_answer_accepts(client_for, alice, make_user):
    teen = aged(make_user("teen"), "13_15")
    assert client_for(teen).post("/api/friends/requests/", {"user_id": alice.pk}, format="json").status_code == 201
    answer = client_for(alice).post("/api/friends/requests/", {"user_id": teen.pk}, format="json")
    assert answer.status_code in (200, 201)
    assert client_for(teen).get("/api/friends/").json()["results"][0]["user"]["id"] == alice.pk


def test_an_adult_takes_friend_requests_from_anyone(client_for, alice, make_user):
    adult = aged(make_user("grown"), "adult")
    assert client_for(alice).post("/api/friends/requests/", {"user_id": adult.pk}, format="json").status_code == 201


def test_an_under_13_s_lobby_and_group_chat_is_refused_chat_restricted(client_for, child, premium_owner):
    lobby = make_lobby(owner=premium_owner, members=[child])
    group = make_group(creator=premium_owner, members=[child])
    client = client_for(child)
    for path in (f"/api/lobbies/{lobby.pk}/messages/", f"/api/groups/{group.pk}/messages/"):
        answer = client.post(path, {"content": "hi"}, format="json")
        assert (answer.status_code, answer.json()["code"]) == (403, "chat_restricted"), path


def test_an_under_13_s_direct_message_is_refused_chat_restricted(client_for, child, alice, befriend):
    befriend(child, alice)
    answer = client_for(child).post(f"/api/dm/{alice.pk}/messages/", {"content": "hi"}, format="json")
    assert (answer.status_code, answer.json()["code"]) == (403, "chat_restricted")


def test_a_teen_chats(client_for, make_user, premium_owner):
    teen = aged(make_user("teen"), "13_15")
    lobby = make_lobby(owner=premium_owner, members=[teen])
    answer = client_for(teen).post(f"/api/lobbies/{lobby.pk}/messages/", {"content": "hi"}, format="json")
    assert answer.status_code == 201


def test_staff_record_a_parent_s_consent_and_the_child_chats_at_once_audited(
    client_for, child, moderator, premium_owner
):
    lobby = make_lobby(owner=premium_owner, members=[child])
    path = f"/api/lobbies/{lobby.pk}/messages/"
    assert client_for(child).post(path, {"content": "hi"}, format="json").status_code == 403
    answer = client_for(moderator).post(f"/api/moderation/users/{child.pk}/consent/")
    assert answer.status_code == 200 and answer.json()["parental_consent_at"]
    assert client_for(child).post(path, {"content": "hi"}, format="json").status_code == 201
    entry = AuditEntry.objects.get(action="age.consent")
    assert (entry.staff_id, entry.target_id) == (moderator.pk, str(child.pk))


def test_only_moderators_record_a_consent(client_for, child, alice):
    answer = client_for(alice).post(f"/api/moderation/users/{child.pk}/consent/")
    assert answer.status_code == 403
    assert client_for(alice).post("/api/moderation/users/999999/consent/").status_code == 403


def test_a_consent_for_no_such_user_is_404(client_for, moderator):
    answer = client_for(moderator).post("/api/moderation/users/999999/consent/")
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")


@pytest.mark.django_db(transaction=True)
async def test_an_under_13_s_lobby_socket_message_gets_the_chat_restricted_error_frame(
    ws_connect, child, premium_owner
):
    lobby = await sync_to_async(make_lobby)(owner=premium_owner, members=[child])
    ws, connected, _ = await ws_connect(f"/ws/lobbies/{lobby.pk}/", child)
    assert connected
    await ws.send_json_to({"type": "chat_message", "message": "hi", "ref": 4})
    error = await receive_type(ws, "error")
    assert (error["code"], error["ref"]) == ("chat_restricted", 4)
    await ws.disconnect()


@pytest.fixture
def age_required(settings):
    settings.AGE_REQUIRED = True


def test_age_required_closes_matchmaking_chat_and_the_shop_to_an_unknown_band(
    age_required, client_for, alice, premium_owner
):
    from progression.models import ItemTemplate, ShopItem

    item = ShopItem.objects.create(item=ItemTemplate.objects.create(name="Sword", slot="weapon"), price_gold=1)
    lobby = make_lobby(owner=premium_owner, members=[alice])
    client = client_for(alice)
    refused = [
        client.post("/api/matchmaking/join/", {}, format="json"),
        client.post(f"/api/lobbies/{lobby.pk}/messages/", {"content": "hi"}, format="json"),
        client.post("/api/shop/purchase/", {"shop_item_id": item.pk}, format="json"),
    ]
    assert [(answer.status_code, answer.json()["code"]) for answer in refused] == [(403, "age_required")] * 3
    assert client.put("/api/me/age/", {"band": "adult", "source": "apple"}, format="json").status_code == 200
    assert client.post("/api/matchmaking/join/", {}, format="json").status_code == 200
    assert client.post(f"/api/lobbies/{lobby.pk}/messages/", {"content": "hi"}, format="json").status_code == 201
    assert client.post("/api/shop/purchase/", {"shop_item_id": item.pk}, format="json").status_code == 201


def test_without_age_required_an_unknown_band_plays_and_chats(client_for, alice, premium_owner):
    lobby = make_lobby(owner=premium_owner, members=[alice])
    client = client_for(alice)
    assert client.post("/api/matchmaking/join/", {}, format="json").status_code == 200
    assert client.post(f"/api/lobbies/{lobby.pk}/messages/", {"content": "hi"}, format="json").status_code == 201


@pytest.mark.django_db(transaction=True)
async def test_an_under_13_s_world_chat_gets_the_chat_restricted_error_frame(ws_connect, child):
    import io

    from world import demo
    from world.tests.test_world_socket import enter, make_character

    await sync_to_async(demo.seed)(users={}, stdout=io.StringIO())
    await sync_to_async(make_character)(child, "Kid")
    ws, _ = await enter(ws_connect, child)
    await ws.send_json_to({"type": "chat", "channel": "global", "message": "hi", "ref": 5})
    error = await receive_type(ws, "error")
    assert (error["code"], error["ref"]) == ("chat_restricted", 5)
    await ws.disconnect()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_declarations_at_once_never_leave_a_child_older_than_they_first_said(make_user):
    """Declared 10 and 30 at once, on PostgreSQL: whichever comes first, the band ends under_13
    (10 first: 30 is refused age_locked; 30 first: 10 lowers it). Each declaration locks the row."""
    born = [date(date.today().year - years, 1, 1) for years in (10, 30)]
    for _ in range(5):
        user = make_user()
        run_at_once(*[lambda day=day, user=user: age_set(user=user, source="declared", birth_date=day) for day in born])
        user.refresh_from_db()
        assert policy.band_of(user) == "under_13"
