"""Guests: an account per device with no password, linked later to a full account with the same id."""

import logging

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import GuestDevice, User
from accounts.services import device_hash
from conftest import access_token_for, requires_postgres
from gameplatform.testhelpers import run_at_once

pytestmark = pytest.mark.django_db

DEVICE = "/api/auth/device/"
LINK = "/api/auth/link/"
LOGIN = "/api/auth/login/"
DEVICE_ID = "f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b"
CREDENTIALS = {"username": "linked_one", "email": "linked@example.com", "password": "s3cret-Passphrase"}


def device_login(client, device_id=DEVICE_ID, **extra):
    return client.post(DEVICE, {"device_id": device_id}, format="json", **extra)


def as_user(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


@pytest.fixture
def guest(api_client):
    body = device_login(api_client).json()
    return User.objects.get(pk=body["user"]["id"]), as_user(body["access"])


def test_a_new_device_gets_a_guest_account_with_tokens(api_client):
    response = device_login(api_client)
    assert response.status_code == 200
    body = response.json()
    assert body["created"] is True and body["access"] and body["refresh"]
    assert body["user"]["is_guest"] is True
    assert body["user"]["username"].startswith("guest-")
    me = as_user(body["access"]).get("/api/me/").json()
    assert me["id"] == body["user"]["id"] and me["is_guest"] is True


def test_the_same_device_always_gets_the_same_guest(api_client):
    first = device_login(api_client).json()
    again = device_login(api_client).json()
    assert again["user"]["id"] == first["user"]["id"]
    assert again["created"] is False
    other = device_login(api_client, "another-device-id-0001").json()
    assert other["user"]["id"] != first["user"]["id"] and other["created"] is True
    assert other["user"]["username"] != first["user"]["username"]


def test_a_guest_has_no_password_and_only_the_hash_of_its_device_is_stored(guest):
    user, _ = guest
    assert not user.has_usable_password()
    stored = GuestDevice.objects.get(user=user)
    assert stored.device_hash == device_hash(DEVICE_ID) and DEVICE_ID not in stored.device_hash


@pytest.mark.parametrize("device_id", ["short", "x" * 15, "x" * 129, ""])
def test_a_device_id_outside_16_to_128_characters_is_refused(api_client, device_id):
    response = device_login(api_client, device_id)
    assert response.status_code == 400 and "device_id" in response.json()
    assert not User.objects.exists()


@override_settings(REGISTRATIONS_PER_ADDRESS=2)
def test_new_guests_share_the_registrations_window_of_the_address(api_client):
    register = {**CREDENTIALS, "password_confirm": CREDENTIALS["password"]}
    assert api_client.post("/api/auth/register/", register, format="json", REMOTE_ADDR="10.5.0.1").status_code == 201
    assert device_login(api_client, "device-number-0001", REMOTE_ADDR="10.5.0.1").status_code == 200
    refused = device_login(api_client, "device-number-0002", REMOTE_ADDR="10.5.0.1")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert int(refused["Retry-After"]) >= 1
    assert User.objects.filter(is_guest=True).count() == 1
    # A known device still logs in (it creates nothing), and another address still creates.
    assert device_login(api_client, "device-number-0001", REMOTE_ADDR="10.5.0.1").status_code == 200
    assert device_login(api_client, "device-number-0002", REMOTE_ADDR="10.5.0.2").status_code == 200


def test_linking_keeps_the_id_and_what_the_guest_owns(guest, bob, befriend):
    user, client = guest
    befriend(user, bob)
    response = client.post(LINK, CREDENTIALS, format="json")
    assert response.status_code == 200
    linked = response.json()["user"]
    assert linked["id"] == user.pk and linked["is_guest"] is False
    assert linked["username"] == "linked_one" and linked["email"] == "linked@example.com"
    assert client.get("/api/me/").json()["is_guest"] is False  # the guest's token still works
    assert [f["user"]["id"] for f in client.get("/api/friends/").json()["results"]] == [bob.pk]


def test_after_linking_the_password_logs_in_and_the_device_keeps_the_account(guest):
    user, client = guest
    client.post(LINK, CREDENTIALS, format="json")
    anyone = APIClient()
    login = anyone.post(LOGIN, {"username": "linked_one", "password": CREDENTIALS["password"]}, format="json")
    assert login.status_code == 200
    assert as_user(login.json()["access"]).get("/api/me/").json()["id"] == user.pk
    again = device_login(anyone).json()
    assert again["user"]["id"] == user.pk and again["user"]["is_guest"] is False and again["created"] is False


def test_linking_a_full_account_is_refused_already_linked(client_for, alice):
    response = client_for(alice).post(LINK, {**CREDENTIALS, "username": "alice2"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "already_linked"


def test_linking_twice_is_refused_already_linked(guest):
    _, client = guest
    assert client.post(LINK, CREDENTIALS, format="json").status_code == 200
    again = client.post(LINK, {**CREDENTIALS, "username": "other_name"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_linked"


def test_linking_validates_as_registration_does(guest, alice):
    user, client = guest
    taken = client.post(LINK, {**CREDENTIALS, "username": "ALICE", "email": "Alice@Example.com"}, format="json")
    assert taken.status_code == 400
    assert taken.json() == {
        "username": ["A user with that username already exists."],
        "email": ["A user with that email already exists."],
    }
    weak = client.post(LINK, {**CREDENTIALS, "password": "12345678"}, format="json")
    assert weak.status_code == 400 and weak.json()["password"]
    odd = client.post(LINK, {**CREDENTIALS, "username": "uѕer_1"}, format="json")  # a Cyrillic "ѕ"
    assert odd.status_code == 400 and odd.json()["username"]
    user.refresh_from_db()
    assert user.is_guest and not user.has_usable_password()


def test_linking_needs_a_token(api_client):
    assert api_client.post(LINK, CREDENTIALS, format="json").status_code == 401


def test_a_disabled_guest_device_no_longer_logs_in(guest, api_client):
    user, _ = guest
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = device_login(api_client)
    assert response.status_code == 401 and response.json()["code"] == "invalid_credentials"


def test_the_device_id_never_reaches_the_logs(api_client, caplog):
    with caplog.at_level(logging.DEBUG):
        device_login(api_client)
        device_login(api_client, "x" * 10)  # refused: the 400 is logged too
    assert DEVICE_ID not in caplog.text


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_logins_of_one_device_at_once_make_one_guest():
    for round_ in range(5):
        device_id = f"racing-device-id-{round_:04d}"
        answers = run_at_once(*[lambda d=device_id: APIClient().post(DEVICE, {"device_id": d}, format="json")] * 4)
        assert [a.status_code for a in answers] == [200] * 4
        bodies = [a.json() for a in answers]
        assert len({b["user"]["id"] for b in bodies}) == 1
        assert [b["created"] for b in bodies].count(True) == 1
    assert User.objects.filter(is_guest=True).count() == 5 == GuestDevice.objects.count()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_links_of_one_guest_at_once_link_once(api_client):
    body = device_login(api_client).json()
    token = body["access"]
    answers = run_at_once(
        lambda: as_user(token).post(LINK, {**CREDENTIALS, "username": "first_name"}, format="json"),
        lambda: as_user(token).post(LINK, {**CREDENTIALS, "username": "second_name"}, format="json"),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    winner = next(a for a in answers if a.status_code == 200).json()["user"]["username"]
    assert User.objects.get(pk=body["user"]["id"]).username == winner


def test_the_access_token_of_a_guest_is_an_ordinary_token(guest):
    user, _ = guest
    assert as_user(access_token_for(user)).get("/api/me/").json()["is_guest"] is True


def test_a_device_cut_off_in_the_admin_no_longer_reaches_the_account(guest, client, make_user, api_client):
    user, guest_client = guest
    guest_client.post(LINK, CREDENTIALS, format="json")
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    device = GuestDevice.objects.get(user=user)
    assert client.get("/admin/accounts/guestdevice/").status_code == 200
    assert client.post(f"/admin/accounts/guestdevice/{device.pk}/delete/", {"post": "yes"}).status_code == 302
    again = device_login(api_client).json()
    assert again["created"] is True and again["user"]["id"] != user.pk
    login = api_client.post(LOGIN, {"username": "linked_one", "password": CREDENTIALS["password"]}, format="json")
    assert login.status_code == 200


def test_device_login_answers_without_the_trailing_slash(api_client):
    response = api_client.post("/api/auth/device", {"device_id": DEVICE_ID}, format="json")
    assert response.status_code == 200 and response.json()["created"] is True
