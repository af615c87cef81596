import pytest
from django.test import override_settings

from accounts.models import User
from conftest import requires_postgres

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/refresh/"
LOGOUT = "/api/auth/logout/"


def register(api_client, **overrides):
    body = {
        "username": "newbie",
        "email": "newbie@example.com",
        "password": "s3cret-Passphrase",
        "password_confirm": "s3cret-Passphrase",
    }
    body.update(overrides)
    return api_client.post(REGISTER, body, format="json")


def test_register_creates_user_and_returns_tokens(api_client):
    response = register(api_client)
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["username"] == "newbie"
    assert body["user"]["is_premium"] is False
    assert body["access"] and body["refresh"]
    assert User.objects.get(username="newbie").check_password("s3cret-Passphrase")


def test_register_refuses_duplicate_username_and_email(api_client, alice):
    response = register(api_client, username="alice", email="ALICE@example.com")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "email"}


def test_register_refuses_password_mismatch(api_client):
    response = register(api_client, password_confirm="something-else-1")
    assert response.status_code == 400
    assert "password_confirm" in response.json()
    assert not User.objects.filter(username="newbie").exists()


def test_register_refuses_weak_password_with_validator_messages(api_client):
    response = register(api_client, password="12345678", password_confirm="12345678")
    assert response.status_code == 400
    assert response.json()["password"]


def test_register_reports_missing_fields(api_client):
    response = api_client.post(REGISTER, {}, format="json")
    assert response.status_code == 400
    assert {"username", "email", "password", "password_confirm"} <= set(response.json())


def test_login_by_username_and_by_email(api_client, make_user):
    make_user("dora", password="pass-w0rd-long")
    by_name = api_client.post(LOGIN, {"username": "dora", "password": "pass-w0rd-long"}, format="json")
    by_mail = api_client.post(LOGIN, {"username": "DORA@example.com", "password": "pass-w0rd-long"}, format="json")
    assert by_name.status_code == 200 and set(by_name.json()) == {"access", "refresh"}
    assert by_mail.status_code == 200


def test_login_with_wrong_password_is_401_with_code(api_client, alice):
    response = api_client.post(LOGIN, {"username": "alice", "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_login_is_throttled_per_account_after_repeated_failures(api_client, alice):
    for _ in range(3):
        assert api_client.post(LOGIN, {"username": "alice", "password": "bad"}, format="json").status_code == 401
    blocked = api_client.post(LOGIN, {"username": "alice", "password": "pass-w0rd-long"}, format="json")
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "rate_limited"
    assert blocked.json()["retry_after"] > 0
    assert int(blocked["Retry-After"]) >= 1


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_login_is_throttled_per_address_across_accounts(api_client, make_user):
    for n in range(3):
        api_client.post(LOGIN, {"username": f"ghost{n}", "password": "bad"}, format="json")
    make_user("erin")
    response = api_client.post(LOGIN, {"username": "erin", "password": "pass-w0rd-long"}, format="json")
    assert response.status_code == 429


def test_refresh_rotates_and_old_refresh_dies(api_client, alice):
    tokens = api_client.post(LOGIN, {"username": "alice", "password": "pass-w0rd-long"}, format="json").json()
    rotated = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != tokens["refresh"]
    again = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert again.status_code == 401
    assert again.json()["code"] == "token_not_valid"
    assert api_client.post(REFRESH, {"refresh": rotated.json()["refresh"]}, format="json").status_code == 200


def test_a_deactivated_users_refresh_token_gets_no_new_pair(api_client, alice):
    tokens = api_client.post(LOGIN, {"username": "alice", "password": "pass-w0rd-long"}, format="json").json()
    User.objects.filter(pk=alice.pk).update(is_active=False)
    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_refresh_with_garbage_is_401(api_client):
    response = api_client.post(REFRESH, {"refresh": "not-a-token"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_logout_kills_the_refresh_token(api_client, alice):
    tokens = api_client.post(LOGIN, {"username": "alice", "password": "pass-w0rd-long"}, format="json").json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 205
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_logout_needs_authentication(api_client):
    response = api_client.post(LOGOUT, {"refresh": "x"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_logout_refuses_someone_elses_refresh_token(client_for, alice, bob):
    from accounts.services import tokens_for

    response = client_for(alice).post(LOGOUT, {"refresh": tokens_for(bob)["refresh"]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "token_not_valid"


def test_ws_ticket_is_issued_for_thirty_seconds(client_for, alice):
    response = client_for(alice).post("/api/auth/ws-ticket/")
    assert response.status_code == 200
    assert response.json()["expires_in"] == 30
    assert len(response.json()["ticket"]) > 20


def test_ws_ticket_requires_authentication(api_client):
    assert api_client.post("/api/auth/ws-ticket/").status_code == 401


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_with_one_email_create_one_account(api_client):
    from rest_framework.test import APIClient

    from gameplatform.testhelpers import run_at_once

    def register_as(name):
        body = {
            "username": name,
            "email": "same@example.com",
            "password": "s3cret-Passphrase",
            "password_confirm": "s3cret-Passphrase",
        }
        return APIClient().post(REGISTER, body, format="json")

    responses = run_at_once(*[lambda n=n: register_as(f"racer{n}") for n in range(4)])
    assert sorted(r.status_code for r in responses) == [201, 400, 400, 400]
    assert all("email" in r.json() for r in responses if r.status_code == 400)
    assert User.objects.filter(email__iexact="same@example.com").count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_look_alike_names_create_one_account():
    from rest_framework.test import APIClient

    from gameplatform.testhelpers import run_at_once

    def register_as(n, name):
        body = {
            "username": name,
            "email": f"alike{n}@example.com",
            "password": "s3cret-Passphrase",
            "password_confirm": "s3cret-Passphrase",
        }
        return APIClient().post(REGISTER, body, format="json", REMOTE_ADDR=f"10.9.0.{n}")

    names = ["racer_x", "RACER_X", "Racer_X", "ｒａｃｅｒ_ｘ"]
    responses = run_at_once(*[lambda n=n, name=name: register_as(n, name) for n, name in enumerate(names)])
    assert sorted(r.status_code for r in responses) == [201, 400, 400, 400]
    assert all(
        r.json() == {"username": ["A user with that username already exists."]}
        for r in responses
        if r.status_code == 400
    )
    assert User.objects.filter(username_key="racer_x").count() == 1
