"""The seeds' own routes (CONTRACT.md, "Seeds' own routes"), called as each seed shows them.

Seed 002 (world, characters, party, ``WS /ws``) is not here: the world app does not exist yet.
"""

import pytest
from asgiref.sync import sync_to_async

from chat.lobbies.factories import make_lobby
from friends.services import friendship_create

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pass-w0rd-long"
METHODS = ("get", "post", "put", "patch", "delete", "head", "options")


async def closed_with(ws) -> int:
    while True:
        message = await ws.receive_output(timeout=3)
        if message["type"] == "websocket.close":
            return message.get("code")


async def first_frame_type(ws, frame_type: str) -> dict:
    while True:
        frame = await ws.receive_json_from(timeout=3)
        if frame.get("type") == frame_type:
            return frame


# --- trailing slash optional -----------------------------------------------------------


def test_login_without_trailing_slash_is_served_without_redirect(api_client, alice):
    response = api_client.post("/api/auth/login", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


@pytest.mark.parametrize("path", ["/api/me", "/api/me/", "/api/users/profile", "/api/users/profile/"])
def test_profile_routes_answer_with_and_without_trailing_slash(client_for, alice, path):
    response = client_for(alice).get(path)
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_patch_without_trailing_slash_updates_the_profile(client_for, alice):
    response = client_for(alice).patch("/api/me", {"display_name": "Al"}, format="json")
    assert response.status_code == 200
    assert response.json()["display_name"] == "Al"


@pytest.mark.parametrize("method", METHODS)
def test_every_method_without_trailing_slash_never_redirects_or_fails(client_for, alice, method):
    response = getattr(client_for(alice), method)("/api/matchmaking/status")
    assert response.status_code in (200, 405)
    assert response.status_code < 500 and not 300 <= response.status_code < 400


def test_admin_without_trailing_slash_is_not_redirected_to_the_slash(client):
    response = client.get("/admin")
    assert response.status_code != 301
    assert response.get("Location", "").rstrip("/") != "/admin"


async def test_socket_route_without_trailing_slash_works_with_query_token(ws_connect, make_user):
    from conftest import access_token_for

    alice = await sync_to_async(make_user)("alice")
    ws, connected, _ = await ws_connect("/ws/notifications", None, query=f"token={access_token_for(alice)}")
    assert connected
    await ws.send_json_to({"type": "ping"})
    assert (await first_frame_type(ws, "pong"))["type"] == "pong"
    await ws.disconnect()


async def test_battle_socket_without_trailing_slash_is_the_battle_socket(ws_connect, make_user):
    from conftest import access_token_for

    alice = await sync_to_async(make_user)("alice")
    ws, connected, _ = await ws_connect("/ws/battle/999999", None, query=f"token={access_token_for(alice)}")
    assert connected
    assert await closed_with(ws) == 4404  # the battle consumer's "no such battle", not an HTTP error


# --- seed 000: /game/join/, /game/leave/ ----------------------------------------------------


def test_game_join_queues_like_matchmaking_join(client_for, alice):
    response = client_for(alice).post("/game/join/")
    assert response.status_code == 200
    assert response.json()["status"] == "queued"
    assert client_for(alice).get("/api/matchmaking/status/").json()["status"] == "queued"


def test_game_leave_leaves_the_queue(client_for, alice):
    client = client_for(alice)
    client.post("/game/join/")
    response = client.post("/game/leave/")
    assert response.status_code == 200
    assert response.json() == {"status": "left"}


def test_two_game_joins_match_two_players(client_for, alice, bob):
    client_for(alice).post("/game/join/")
    response = client_for(bob).post("/game/join")
    assert response.status_code == 200
    assert response.json()["status"] == "matched"


# --- seed 001: login by email, logout without a body, /docs and /redoc ------------------------


def test_login_with_email_and_password_gives_tokens(api_client, alice):
    response = api_client.post("/api/auth/login", {"email": "alice@example.com", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_login_with_email_and_wrong_password_is_401(api_client, alice):
    response = api_client.post("/api/auth/login", {"email": "alice@example.com", "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_login_without_username_or_email_is_a_field_error(api_client):
    response = api_client.post("/api/auth/login", {"password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert "username" in response.json()


def test_logout_without_a_body_answers_2xx(client_for, alice):
    response = client_for(alice).post("/api/auth/logout")
    assert 200 <= response.status_code < 300


def test_logout_with_a_refresh_token_still_kills_it(api_client, client_for, alice):
    tokens = api_client.post("/api/auth/login", {"username": "alice", "password": PASSWORD}, format="json").json()
    response = client_for(alice).post("/api/auth/logout", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 205
    assert api_client.post("/api/auth/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code == 401


@pytest.mark.parametrize("path", ["/docs", "/docs/", "/redoc", "/redoc/"])
def test_docs_and_redoc_serve_the_api_documentation(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "gameplatform API" in html and "cdn" not in html.lower()


# --- seed 004: /api/token/, /api/users/profile/, /ws/chat/... -------------------------------


def test_token_gives_access_and_refresh_for_username_and_password(api_client, alice):
    response = api_client.post("/api/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_token_refresh_gives_a_new_pair(api_client, alice):
    tokens = api_client.post("/api/token/", {"username": "alice", "password": PASSWORD}, format="json").json()
    response = api_client.post("/api/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_users_profile_is_me_and_needs_a_token(api_client, client_for, alice):
    assert api_client.get("/api/users/profile/").status_code == 401
    me = client_for(alice).get("/api/me/").json()
    assert client_for(alice).get("/api/users/profile/").json() == me


@pytest.fixture
def named_lobby(premium_owner, alice):
    return make_lobby(owner=premium_owner, members=[alice], name="Seed room")


async def test_lobby_socket_by_name_opens_the_lobby(ws_connect, named_lobby, alice):
    ws, connected, _ = await ws_connect("/ws/chat/lobby/Seed room/", alice)
    assert connected
    state = await first_frame_type(ws, "lobby_state")
    assert state["lobby"]["id"] == named_lobby.pk
    await ws.disconnect()


async def test_lobby_socket_by_name_without_slash_and_with_query_token(ws_connect, named_lobby, alice):
    from conftest import access_token_for

    ws, connected, _ = await ws_connect("/ws/chat/lobby/Seed room", None, query=f"token={access_token_for(alice)}")
    assert connected
    assert (await first_frame_type(ws, "lobby_state"))["lobby"]["id"] == named_lobby.pk
    await ws.disconnect()


async def test_lobby_socket_by_unknown_name_closes_4404(ws_connect, alice):
    ws, connected, _ = await ws_connect("/ws/chat/lobby/no-such-room/", alice)
    assert connected
    assert await closed_with(ws) == 4404


async def test_lobby_socket_by_name_refuses_a_non_member_4403(ws_connect, named_lobby, carol):
    ws, connected, _ = await ws_connect("/ws/chat/lobby/Seed room/", carol)
    assert await closed_with(ws) == 4403


async def test_lobby_socket_by_duplicate_name_opens_the_newest_one_the_user_is_in(
    ws_connect, named_lobby, premium_owner, bob
):
    # Bob is in an older "Seed room" only; a newer one of the same name exists without him.
    older = await sync_to_async(make_lobby)(owner=premium_owner, members=[bob], name="Dup room")
    await sync_to_async(make_lobby)(owner=premium_owner, name="Dup room")
    ws, connected, _ = await ws_connect("/ws/chat/lobby/Dup room/", bob)
    assert connected
    assert (await first_frame_type(ws, "lobby_state"))["lobby"]["id"] == older.pk
    await ws.disconnect()


async def test_chat_socket_by_friend_id_is_the_dm_socket(ws_connect, alice, bob):
    await sync_to_async(friendship_create)(user_a=alice, user_b=bob)
    a, ok_a, _ = await ws_connect(f"/ws/chat/{bob.pk}/", alice)
    b, ok_b, _ = await ws_connect(f"/ws/dm/{alice.pk}/", bob)
    assert ok_a and ok_b
    await a.send_json_to({"type": "dm_message", "content": "hi bob"})
    got = await first_frame_type(b, "dm_message")
    assert got["message"]["content"] == "hi bob"
    await a.disconnect()
    await b.disconnect()


async def test_chat_socket_to_a_non_friend_is_refused(ws_connect, alice, carol):
    ws, connected, _ = await ws_connect(f"/ws/chat/{carol.pk}/", alice)
    assert await closed_with(ws) == 4403


# --- anything else: JSON 404 under /api/, 4404 under /ws/ ------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", ["/api/nothing-here/", "/api/nothing-here", "/api/guilds/7", "/api/"])
def test_unknown_api_route_is_a_json_404_for_every_method(api_client, method, path):
    response = getattr(api_client, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    if method != "head":
        body = response.json()
        assert body["code"] == "not_found" and body["detail"]


async def test_unknown_socket_route_closes_4404_without_credentials(ws_connect):
    ws, connected, _ = await ws_connect("/ws/nothing-here/", None)
    assert connected
    assert await closed_with(ws) == 4404


async def test_unknown_socket_route_closes_4404_when_authenticated(ws_connect, make_user):
    alice = await sync_to_async(make_user)("alice")
    ws, connected, _ = await ws_connect("/ws/nothing-here", alice)
    assert connected
    assert await closed_with(ws) == 4404
