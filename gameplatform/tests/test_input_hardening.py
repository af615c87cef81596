"""Input hardening: NUL characters, JSON nesting, strict string fields, the docs' headers."""

import json

import pytest
from rest_framework.test import APIClient

from chat.lobbies.factories import make_lobby
from chat.models import DirectMessage, LobbyMessage
from conftest import receive_type, requires_postgres
from friends.services import friendship_create
from gameplatform.core.parsers import MAX_JSON_DEPTH, nul_path, too_deep
from gameplatform.tests.live import ROOT
from gameplatform.tests.test_websocket_kit import closed_with

pytestmark = pytest.mark.django_db


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def post_raw(client: APIClient, url: str, body: str):
    return client.generic("POST", url, body.encode(), content_type="application/json")


# --- the helpers ---------------------------------------------------------------


def test_depth_is_counted_outside_strings_and_without_recursion():
    assert not too_deep(nested(MAX_JSON_DEPTH))
    assert too_deep(nested(MAX_JSON_DEPTH + 1))
    assert too_deep(nested(100_000))  # no RecursionError
    assert not too_deep(json.dumps({"a": "[" * 1000, "b": '{"' * 500}))
    assert not too_deep(json.dumps(['\\"[' * 100]))


def test_nul_path_names_the_field():
    assert nul_path({"a": "ok", "b": [1, {"c": "x\x00"}]}) == "b.1.c"
    assert nul_path({"k\x00": 1}) == "k\x00"
    assert nul_path({"a": "fine", "n": 5}) is None


# --- NUL ---------------------------------------------------------------------------


def test_nul_in_a_query_parameter_is_400_invalid_naming_it(client_for, alice):
    response = client_for(alice).get("/api/users/?search=a%00b")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "search" in body["detail"] and "search" in body["fields"]


@requires_postgres
def test_nul_in_a_query_parameter_never_reaches_postgres(client_for, alice):
    client = client_for(alice)
    for url in ("/api/users/?search=a%00b", "/api/lobbies/?search=%00", "/api/users/?a%00=1"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.json()["code"] == "invalid"


def test_nul_in_a_json_string_is_400_invalid_naming_the_field(client_for, premium_owner, alice):
    lobby = make_lobby(owner=premium_owner, members=[alice])
    response = post_raw(client_for(alice), f"/api/lobbies/{lobby.pk}/messages/", '{"content": "a\\u0000b"}')
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "content" in response.json()["fields"]
    nested_key = post_raw(client_for(premium_owner), "/api/lobbies/", '{"name": "x", "extra": {"k": ["\\u0000"]}}')
    assert nested_key.status_code == 400 and "extra.k.0" in nested_key.json()["fields"]
    assert not LobbyMessage.objects.filter(content__contains="a").exists()


@requires_postgres
def test_nul_in_json_bodies_never_reaches_postgres(client_for, api_client, premium_owner):
    assert post_raw(api_client, "/api/auth/login/", '{"username": "\\u0000", "password": "x"}').status_code == 400
    response = post_raw(client_for(premium_owner), "/api/lobbies/", '{"name": "\\u0000", "max_participants": 4}')
    assert response.status_code == 400 and response.json()["code"] == "invalid"


# --- nesting ---------------------------------------------------------------------


def test_deeply_nested_json_is_400_invalid_even_unauthenticated(api_client, client_for, premium_owner):
    body = nested(1000)  # about 2 KB
    response = post_raw(api_client, "/api/auth/login/", body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    response = post_raw(client_for(premium_owner), "/api/lobbies/", '{"name": ' + nested(1000) + "}")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_nesting_up_to_the_limit_is_parsed_as_usual(api_client):
    body = '{"username": "nobody", "password": "x", "deep": ' + nested(MAX_JSON_DEPTH - 1) + "}"
    assert post_raw(api_client, "/api/auth/login/", body).status_code == 401


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_a_json_body_are_400_and_never_stored(client_for, premium_owner, alice, constant):
    lobby = make_lobby(owner=premium_owner, members=[alice])
    response = post_raw(client_for(alice), f"/api/lobbies/{lobby.pk}/messages/", f'{{"content": "a", "n": {constant}}}')
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "not JSON compliant" in response.json()["detail"]
    assert not LobbyMessage.objects.filter(lobby=lobby).exists()


def test_a_form_body_with_too_many_fields_is_400_invalid_and_no_server_error(client_for, alice, caplog):
    fields = "&".join(f"f{i}=1" for i in range(1100))  # DATA_UPLOAD_MAX_NUMBER_FIELDS is 1,000
    client = client_for(alice)
    for content_type in ("application/x-www-form-urlencoded", "multipart/form-data; boundary=b"):
        body = (
            fields
            if content_type.startswith("application")
            else "".join(f'--b\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\n1\r\n' for i in range(1100))
            + "--b--\r\n"
        )
        response = client.generic("POST", "/api/notifications/read/", body.encode(), content_type=content_type)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


# --- strict strings ------------------------------------------------------------


def test_a_number_for_a_string_field_is_refused(client_for, premium_owner, alice, bob):
    lobby = make_lobby(owner=premium_owner, members=[alice])
    response = client_for(alice).post(f"/api/lobbies/{lobby.pk}/messages/", {"content": 5}, format="json")
    assert response.status_code == 400 and "content" in response.json()
    assert not LobbyMessage.objects.filter(lobby=lobby).exists()

    friendship_create(user_a=alice, user_b=bob)
    response = client_for(alice).post(f"/api/dm/{bob.pk}/messages/", {"content": 5}, format="json")
    assert response.status_code == 400 and "content" in response.json()
    for value in (True, 1.5, ["x"], {"x": 1}):
        response = client_for(alice).post(f"/api/dm/{bob.pk}/messages/", {"content": value}, format="json")
        assert response.status_code == 400, value
    assert not DirectMessage.objects.exists()
    assert client_for(alice).post(f"/api/dm/{bob.pk}/messages/", {"content": "5"}, format="json").status_code == 201


# --- sockets ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_socket_refuses_deep_nul_and_non_string_frames_and_stays_open(ws_connect, premium_owner, alice):
    from channels.db import database_sync_to_async

    lobby = await database_sync_to_async(make_lobby)(owner=premium_owner, members=[alice])
    ws, connected, _ = await ws_connect(f"/ws/lobbies/{lobby.pk}/", alice)
    assert connected

    await ws.send_to(text_data='{"type": "chat_message", "message": ' + nested(1000) + "}")
    error = await receive_type(ws, "error")
    assert error["code"] == "invalid"

    await ws.send_to(text_data='{"type": "chat_message", "message": "a\\u0000b", "ref": 3}')
    error = await receive_type(ws, "error")
    assert error["code"] == "invalid" and "message" in error["fields"]

    await ws.send_json_to({"type": "chat_message", "message": 5, "ref": 4})
    error = await receive_type(ws, "error")
    assert error["code"] == "invalid" and "message" in error["fields"] and error["ref"] == 4

    await ws.send_json_to({"type": "ping"})
    assert (await receive_type(ws, "pong"))["type"] == "pong"
    assert not await database_sync_to_async(LobbyMessage.objects.filter(lobby=lobby).exists)()
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_dm_socket_refuses_a_number_for_content(ws_connect, alice, bob):
    from channels.db import database_sync_to_async

    await database_sync_to_async(friendship_create)(user_a=alice, user_b=bob)
    ws, connected, _ = await ws_connect(f"/ws/dm/{bob.pk}/", alice)
    assert connected
    await ws.send_json_to({"type": "dm_message", "content": 5})
    error = await receive_type(ws, "error")
    assert error["code"] == "invalid" and "content" in error["fields"]
    assert not await database_sync_to_async(DirectMessage.objects.exists)()
    await ws.disconnect()


# --- schema and headers --------------------------------------------------------------


def test_user_search_is_in_the_openapi_schema(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    parameters = schema["paths"]["/api/users/"]["get"]["parameters"]
    search = [p for p in parameters if p["name"] == "search"]
    assert search and search[0]["in"] == "query" and search[0]["schema"]["type"] == "string"


def test_html_pages_have_a_content_security_policy(api_client):
    admin = api_client.get("/admin/login/")
    assert admin.status_code == 200
    assert "script-src 'self'" in admin["Content-Security-Policy"]

    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200
    policy = docs["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    html = docs.content.decode()
    assert 'id="swagger-ui"' in html and "swagger-ui-bundle.js" in html
    # No inline script (the policy allows none): Swagger's init script is a same-origin file.
    assert "<script>" not in html
    script = api_client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()

    assert "Content-Security-Policy" not in api_client.get("/api/status/")


# --- ids beyond 64 bits and lone surrogates (found by test_fuzz) ----------------------

HUGE_ID = 452071804107795178979328  # > 2**63


def test_a_path_id_beyond_64_bits_is_the_json_404(client_for, alice):
    client = client_for(alice)
    for url in (f"/api/lobbies/{HUGE_ID}/bans/", f"/api/users/{HUGE_ID}/", f"/api/games/{HUGE_ID}/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"
    assert client.get("/api/users/999999999999999999/").status_code == 404  # 18 digits: a real lookup


def test_an_integer_field_beyond_64_bits_is_400(client_for, alice):
    client = client_for(alice)
    for value in (HUGE_ID, -HUGE_ID, 2**63):
        response = client.post("/api/friends/blocks/", {"user_id": value}, format="json")
        assert response.status_code == 400, value
        body = response.json()
        assert "user_id" in body.get("fields", body)


def test_a_lone_surrogate_in_a_json_string_is_400_invalid_naming_the_field(client_for, premium_owner):
    response = post_raw(client_for(premium_owner), "/api/lobbies/", '{"name": "x\\ud800", "max_participants": 4}')
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "name" in response.json()["fields"]
    response = post_raw(client_for(premium_owner), "/api/lobbies/", '{"name": "x", "e": {"k\\udfff": 1}}')
    assert response.status_code == 400 and "e.k\\udfff" in response.json()["fields"]  # echoed as an escape
    assert post_raw(client_for(premium_owner), "/api/lobbies/", '{"name": "\\ud83d\\ude00"}').status_code == 201


async def test_a_socket_path_id_beyond_64_bits_closes_4404(ws_connect, alice):
    ws, connected, _ = await ws_connect(f"/ws/game/{HUGE_ID}/", alice)
    assert connected
    assert await closed_with(ws) == 4404


def test_no_route_takes_an_id_through_djangos_int_which_has_no_length_limit():
    # Only ``<id:...>`` (gameplatform/core/converters.py) keeps a 25-digit id from reaching a query.
    routes = sorted(ROOT.glob("*/urls.py")) + sorted(ROOT.glob("*/routing.py"))
    assert len(routes) > 10
    unbounded = [str(path.relative_to(ROOT)) for path in routes if "<int:" in path.read_text()]
    assert not unbounded, f"write <id:...> for the ids of these routes: {unbounded}"


@pytest.mark.django_db(transaction=True)
async def test_socket_refuses_lone_surrogates_and_stays_open(ws_connect, premium_owner, alice):
    from channels.db import database_sync_to_async

    lobby = await database_sync_to_async(make_lobby)(owner=premium_owner, members=[alice])
    ws, connected, _ = await ws_connect(f"/ws/lobbies/{lobby.pk}/", alice)
    assert connected
    # A key with a NUL and a lone surrogate: the error names it, as UTF-8-safe text.
    await ws.send_to(text_data='{"type": "chat_message", "message": "a\\ud800", "x": {"\\udfff\\u0000": 1}}')
    error = await receive_type(ws, "error")
    assert error["code"] == "invalid"
    json.dumps(error, ensure_ascii=False).encode()  # what the server writes is valid UTF-8
    await ws.send_to(text_data='{"type": "chat_message", "message": "a\\ud800"}')
    error = await receive_type(ws, "error")
    assert error["code"] == "invalid" and "message" in error["fields"]
    await ws.send_json_to({"type": "ping"})
    assert (await receive_type(ws, "pong"))["type"] == "pong"
    assert not await database_sync_to_async(LobbyMessage.objects.filter(lobby=lobby).exists)()
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_frame_refused_for_a_lone_surrogate_or_a_nul_gets_its_ref_back(ws_connect, premium_owner, alice):
    from channels.db import database_sync_to_async

    lobby = await database_sync_to_async(make_lobby)(owner=premium_owner, members=[alice])
    ws, connected, _ = await ws_connect(f"/ws/lobbies/{lobby.pk}/", alice)
    assert connected
    await ws.send_to(text_data='{"type": "chat_message", "ref": "r7", "message": "a\\ud800"}')
    error = await receive_type(ws, "error")
    assert (error["code"], error["ref"]) == ("invalid", "r7")
    await ws.send_to(text_data='{"type": "chat_message", "ref": 8, "message": "a\\u0000"}')
    assert (await receive_type(ws, "error"))["ref"] == 8
    # A ref that is itself the bad text comes back as text that can be sent: the escape, spelled out.
    await ws.send_to(text_data='{"type": "chat_message", "ref": "x\\ud800", "message": "a"}')
    error = await receive_type(ws, "error")
    assert error["code"] == "invalid" and error["ref"] == "x\\ud800"
    await ws.disconnect()
