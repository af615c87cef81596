import pytest

pytestmark = pytest.mark.django_db


def test_me_returns_own_profile(client_for, alice):
    body = client_for(alice).get("/api/me/").json()
    assert body["username"] == "alice" and body["is_guest"] is False
    assert set(body) == {
        "id",
        "username",
        "email",
        "email_verified",
        "display_name",
        "is_premium",
        "premium_until",
        "is_guest",
        "date_joined",
        "delete_at",
        "age_band",
        "age_source",
    }


def test_me_patch_updates_display_name_and_email(client_for, alice):
    response = client_for(alice).patch("/api/me/", {"display_name": "Al", "email": "al@example.org"}, format="json")
    assert response.status_code == 200
    alice.refresh_from_db()
    assert (alice.display_name, alice.email) == ("Al", "al@example.org")


def test_me_patch_cannot_grant_premium(client_for, alice):
    client_for(alice).patch("/api/me/", {"is_premium": True}, format="json")
    alice.refresh_from_db()
    assert alice.is_premium is False


def test_me_patch_refuses_taken_email(client_for, alice, bob):
    response = client_for(alice).patch("/api/me/", {"email": "BOB@example.com"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()


def test_me_patch_refuses_bad_email(client_for, alice):
    response = client_for(alice).patch("/api/me/", {"email": "nope"}, format="json")
    assert response.status_code == 400


def test_me_needs_a_valid_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer garbage")
    response = api_client.get("/api/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_user_search_matches_username_and_display_name(client_for, alice, make_user):
    make_user("abby", display_name="Queen")
    make_user("zed", display_name="Absolute")
    body = client_for(alice).get("/api/users/?search=ab").json()
    names = [u["username"] for u in body["results"]]
    assert names == ["abby", "zed"]
    assert set(body["results"][0]) == {"id", "username", "display_name", "is_premium"}


def test_public_profile_and_unknown_user(client_for, alice, bob):
    client = client_for(alice)
    assert client.get(f"/api/users/{bob.pk}/").json()["username"] == "bob"
    missing = client.get("/api/users/999999/")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
