"""A player takes their data (GET /api/me/export/, GDPR Art. 15 and 20): one JSON document,
one key per domain, each app's own part; at most 3 a day per account."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from accounts import hooks

pytestmark = pytest.mark.django_db

CONTRACT_DOMAINS = {
    "account",
    "profile",
    "friends",
    "messages",
    "player",
    "inventory",
    "pets",
    "ledger",
    "purchases",
    "subscriptions",
    "games",
    "groups",
    "storage",
    "reports",
    "sanctions",
    "liveops",
}


def test_every_foreign_key_to_the_user_is_covered_by_some_app_s_export_part():
    """A new model that names a user and no export part answers for fails here."""
    user_model = get_user_model()
    covered = {name for part in hooks.user_export.functions.values() for name in part.covers}
    keys = {
        f"{model._meta.app_label}.{model.__name__}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if getattr(field, "is_relation", False) and field.concrete and field.related_model is user_model
    }
    assert keys - covered == set(), "models with a user foreign key that no export part covers"
    assert covered - keys == set(), "export parts name foreign keys that do not exist"


def test_the_export_holds_every_contract_domain_and_the_player_s_own_rows(client_for, alice, bob, befriend):
    befriend(alice, bob)
    client_for(alice).put("/api/liveops/attributes/", {"country": "FR"}, format="json")
    response = client_for(alice).get("/api/me/export/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert CONTRACT_DOMAINS <= body.keys()
    assert body["account"]["username"] == "alice" and body["account"]["email"] == "alice@example.com"
    assert body["profile"]["username"] == "alice"
    assert [row["friend_id"] for row in body["friends"]["friends"]] == [bob.pk]
    assert body["subscriptions"] == []
    assert "password" not in body["account"]


def test_a_fourth_export_in_a_day_is_refused_rate_limited(client_for, alice):
    client = client_for(alice)
    for _ in range(3):
        assert client.get("/api/me/export/").status_code == 200
    refused = client.get("/api/me/export/")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
