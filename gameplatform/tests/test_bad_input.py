"""Every REST route answers garbage with a 4xx in the contract's shape, never a 500."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

GARBAGE_BODIES = [
    [],
    "text",
    {"user_id": "abc", "lobby_id": -1, "id": None, "quantity": "many", "ids": "x", "all": "maybe"},
    {"content": ["a"], "name": {"x": 1}, "mode": 7, "kind": "nope", "to_user_id": 10**20, "movement": "x"},
    {"strength": -5, "shop_item_id": 0, "max_participants": 1000, "is_public": "sometimes"},
]


def api_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, methods in schema["paths"].items():
        for method in methods:
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method


def concrete(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def assert_contract_shape(response, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    if response.status_code < 400 or not response.get("Content-Type", "").startswith("application/json"):
        return
    body = response.json()
    assert isinstance(body, dict), f"{where}: {body!r}"
    if "code" in body:
        assert isinstance(body["code"], str) and "detail" in body, f"{where}: {body!r}"
    else:  # field errors
        assert all(isinstance(v, list | dict) for v in body.values()), f"{where}: {body!r}"


def test_every_route_answers_garbage_with_a_contract_error(client_for, make_user):
    user = make_user(premium=True)
    client = client_for(user)
    operations = list(api_operations())
    assert len(operations) > 50
    for path, method in operations:
        for value in ("1", "999999999"):
            url = concrete(path, value)
            if method == "get":
                for query in ("", "?page=x&cursor=%%%&mode=nope&box=nowhere&direction=up&unread=maybe"):
                    assert_contract_shape(client.get(url + query), f"GET {url}{query}")
                continue
            for body in GARBAGE_BODIES:
                response = getattr(client, method)(url, body, format="json")
                assert_contract_shape(response, f"{method.upper()} {url} {body!r}")
