"""The OpenAPI schema documents every operation's error answers, and they match what the server answers."""

import re

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from chat.lobbies.factories import make_lobby


@pytest.fixture(scope="module")
def schema():
    GENERATOR_STATS.reset()
    generated = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "schema warnings"
    return generated


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method.upper(), path, operation


def documented_codes(operation, status: int) -> set[str]:
    answer = operation["responses"].get(str(status))
    return set(re.findall(r"`([a-z0-9_]+)`", answer["description"])) if answer else set()


def test_every_operation_documents_its_error_answers_in_the_error_shape(schema):
    for method, path, operation in operations(schema):
        errors = {int(s): r for s, r in operation["responses"].items() if int(s) >= 400}
        assert 503 in errors, f"{method} {path}"
        for status, answer in errors.items():
            assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
            assert documented_codes(operation, status), f"{method} {path} {status} names no code"
        if "{" in path or any(p["name"] in {"page", "cursor"} for p in operation.get("parameters", [])):
            assert 404 in errors, f"{method} {path}"  # no such object, or no such page
        if method in {"POST", "PUT", "PATCH"}:
            assert {400, 413} <= set(errors), f"{method} {path}"
        if operation.get("security") and {} not in operation["security"]:
            assert 401 in errors, f"{method} {path}"
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "code"}


def test_the_codes_an_operation_declares_are_documented_under_their_status(schema):
    paths = schema["paths"]
    join = paths["/api/lobbies/{lobby_id}/join/"]["post"]
    assert {"lobby_full", "lobby_closed"} <= documented_codes(join, 409)
    assert {"banned", "private_lobby"} <= documented_codes(join, 403)
    purchase = paths["/api/shop/purchase/"]["post"]
    assert {"insufficient_funds", "out_of_stock"} <= documented_codes(purchase, 400)
    assert "idempotency_key_reused" in documented_codes(purchase, 409)
    tournament_join = paths["/api/tournaments/{tournament_id}/join/"]["post"]
    assert "insufficient_funds" in documented_codes(tournament_join, 402)
    assert "insufficient_funds" not in documented_codes(tournament_join, 400)  # the fee is checked first: 402
    accept = paths["/api/invites/{invite_id}/accept/"]["post"]
    assert "invite_expired" in documented_codes(accept, 410)
    # Codes chosen at run time or behind a hook.
    assert "rate_limited" in documented_codes(paths["/api/auth/login/"]["post"], 429)
    assert "party_full" in documented_codes(paths["/api/party/invite/"]["post"], 409)
    assert "rate_limited" in documented_codes(paths["/api/auth/device/"]["post"], 429)
    assert "already_linked" in documented_codes(paths["/api/auth/link/"]["post"], 409)
    storage = paths["/api/storage/{collection}/{key}/"]
    for method in ("put", "delete"):
        assert "version_conflict" in documented_codes(storage[method], 412)
    assert "storage_full" in documented_codes(storage["put"], 409)
    assert "value_too_large" in documented_codes(storage["put"], 413)


def test_query_parameters_are_documented(schema):
    def query(path: str) -> set[str]:
        return {p["name"] for p in schema["paths"][path]["get"].get("parameters", []) if p["in"] == "query"}

    assert "search" in query("/api/users/")
    assert {"search", "status", "public"} <= query("/api/lobbies/")
    assert "box" in query("/api/invites/")
    assert "direction" in query("/api/friends/requests/")
    assert "unread" in query("/api/notifications/")


@pytest.mark.django_db
def test_an_error_the_server_answers_is_the_one_the_schema_documents(schema, client_for, make_user, premium_owner):
    lobby = make_lobby(owner=premium_owner, members=[make_user("second")], max_participants=2)
    response = client_for(make_user("third")).post(f"/api/lobbies/{lobby.pk}/join/")
    answer = response.json()
    assert response.status_code == 409 and answer["code"] == "lobby_full"
    assert answer["code"] in documented_codes(schema["paths"]["/api/lobbies/{lobby_id}/join/"]["post"], 409)
    assert set(answer) <= set(schema["components"]["schemas"]["Error"]["properties"])


def test_reading_the_player_documents_no_payment_refusal(schema):
    """Reading the player tops up its stamina (a credit): it cannot be refused for funds."""
    me = schema["paths"]["/api/player/me/"]["get"]
    assert not {"insufficient_funds", "not_enough_stamina"} & set().union(
        *(documented_codes(me, int(status)) for status in me["responses"])
    )


def test_a_list_whose_only_refusal_is_a_missing_token_documents_401_not_403(schema):
    """No 403 ``permission_denied`` for DRF's permission check on a list open to any user."""
    users = schema["paths"]["/api/users/"]["get"]["responses"]
    assert "403" not in users and "401" in users


@pytest.mark.django_db
def test_a_page_that_is_not_there_is_the_documented_404(schema, client_for, alice):
    response = client_for(alice).get("/api/friends/?page=999")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert "not_found" in documented_codes(schema["paths"]["/api/friends/"]["get"], 404)


def test_every_operation_has_a_summary_and_a_readable_id(schema):
    """Swagger and ReDoc list operations by their summary: none is left blank, none is a bare
    path-and-verb name, and no two read the same on one path."""
    ids = []
    for method, path, operation in operations(schema):
        summary = operation.get("summary", "")
        assert summary.strip(), f"{method} {path} has no summary"
        assert "``" not in summary and "\n" not in summary, (method, path, summary)
        ids.append(operation["operationId"])
        assert not operation["operationId"].startswith("api_"), (method, path, operation["operationId"])
    assert len(ids) == len(set(ids))
    for path, item in schema["paths"].items():
        summaries = [
            op["summary"] for method, op in item.items() if method in {"get", "post", "put", "patch", "delete"}
        ]
        assert len(summaries) == len(set(summaries)), (path, summaries)
