"""A suspended player is refused at every provider and device way in, told why and how to appeal:
the browser's callback lands on ``next`` with ``signin_error=account_suspended`` and the appeal
token in the fragment, a posted id token answers 403 ``account_suspended``, a guest's device
login too, and no device the account used makes a guest. Against the local provider the
identity tests start (``identities/tests/standin.py``)."""

from urllib.parse import parse_qs

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import User
from conftest import access_token_for
from identities.models import Identity
from identities.tests.standin import Provider
from identities.tests.test_sign_in import browser_sign_in, post_id_token
from safety.sanctions import sanction_impose, sanction_lift

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def idp():
    with Provider() as provider:
        yield provider


@pytest.fixture
def configured(idp):
    with override_settings(AUTH_PROVIDERS=[idp.setting()]):
        yield idp


def suspend(moderator, user_id: int):
    return sanction_impose(
        staff=moderator, user_id=user_id, action="suspend", duration_hours=48, statement="Cheating in ranked games."
    )


def test_a_suspended_player_s_provider_callback_lands_on_next_with_the_refusal_and_an_appeal_token(
    api_client, configured, moderator
):
    configured.subject = "sub-suspended"
    first = browser_sign_in(api_client, "/play/")
    assert "access=" in first["Location"]
    user_id = Identity.objects.get(provider="idp", subject="sub-suspended").user_id
    made = suspend(moderator, user_id)

    landed = browser_sign_in(api_client, "/play/")
    assert landed.status_code == 302
    page, _, fragment = landed["Location"].partition("#")
    assert page == "http://testserver/play/"
    told = {k: v[0] for k, v in parse_qs(fragment).items()}
    assert told["signin_error"] == "account_suspended"
    assert told["sanction_id"] == str(made.pk)
    assert told["statement"] == "Cheating in ranked games."
    assert told["until"].startswith(made.ends_at.strftime("%Y-%m-%dT%H:%M"))
    assert "access" not in told and "refresh" not in told

    appealed = APIClient().post(
        f"/api/sanctions/{made.pk}/appeal/",
        {"text": "It was my brother.", "appeal_token": told["appeal_token"]},
        format="json",
    )
    assert appealed.status_code == 201, appealed.content  # the token in the fragment lets them appeal


def test_a_suspended_player_s_posted_id_token_answers_403_account_suspended(api_client, configured, moderator):
    signed_in = post_id_token(api_client, configured.id_token(sub="sub-native-suspended")).json()
    made = suspend(moderator, signed_in["user"]["id"])

    refused = post_id_token(api_client, configured.id_token(sub="sub-native-suspended"))
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "account_suspended"
    assert body["sanction_id"] == made.pk and body["statement"] == "Cheating in ranked games."
    assert body["until"] and body["appeal_token"]
    assert "access" not in body


def test_a_suspended_guest_s_device_login_answers_403_account_suspended(api_client, moderator):
    device = {"device_id": "s" * 32}
    guest = api_client.post("/api/auth/device/", device, format="json").json()
    made = suspend(moderator, guest["user"]["id"])

    refused = api_client.post("/api/auth/device/", device, format="json")
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "account_suspended" and body["sanction_id"] == made.pk
    assert body["appeal_token"] and "access" not in body


# No way back as a guest: a device a suspended or banned account used makes no guest.

LOGIN = "/api/auth/login/"
DEVICE = "/api/auth/device/"
BROWSER = "browser-of-the-player-0001"


def device_login(client, device_id=BROWSER):
    return client.post(DEVICE, {"device_id": device_id}, format="json")


def assert_refused_as_login_is(refused, made):
    assert refused.status_code == 403, refused.content
    body = refused.json()
    assert body["code"] == "account_suspended"
    assert body["sanction_id"] == made.pk and body["statement"] == made.statement
    assert body["appeal_token"] and "access" not in body and "user" not in body
    return body


def test_the_browser_a_suspended_player_logged_in_from_makes_no_guest(api_client, make_user, moderator):
    player = make_user("cheater")
    logged_in = api_client.post(
        LOGIN, {"username": "cheater", "password": "pass-w0rd-long", "device_id": BROWSER}, format="json"
    )
    assert logged_in.status_code == 200
    made = suspend(moderator, player.pk)
    accounts_before = User.objects.count()

    body = assert_refused_as_login_is(device_login(api_client), made)
    assert body["until"].startswith(made.ends_at.strftime("%Y-%m-%dT%H:%M"))
    # The same body as the player's login gets.
    login = api_client.post(LOGIN, {"username": "cheater", "password": "pass-w0rd-long"}, format="json").json()
    assert {k: v for k, v in body.items() if k != "appeal_token"} == {
        k: v for k, v in login.items() if k != "appeal_token"
    }
    assert User.objects.count() == accounts_before  # no guest was made


def test_a_banned_player_s_browser_makes_no_guest_either(api_client, make_user, moderator):
    player = make_user("banned_one")
    api_client.post(
        LOGIN, {"username": "banned_one", "password": "pass-w0rd-long", "device_id": BROWSER}, format="json"
    )
    made = sanction_impose(staff=moderator, user_id=player.pk, action="ban", statement="Selling accounts.")

    body = assert_refused_as_login_is(device_login(api_client), made)
    assert body["until"] is None


def test_a_suspended_player_s_refused_login_marks_the_new_browser_too(api_client, make_user, moderator):
    player = make_user("newbrowser")
    made = suspend(moderator, player.pk)
    refused = api_client.post(
        LOGIN,
        {"username": "newbrowser", "password": "pass-w0rd-long", "device_id": "a-fresh-browser-0002"},
        format="json",
    )
    assert refused.status_code == 403

    assert_refused_as_login_is(device_login(api_client, "a-fresh-browser-0002"), made)


def test_a_wrong_password_marks_no_browser(api_client, make_user, moderator):
    player = make_user("victim")
    api_client.post(LOGIN, {"username": "victim", "password": "wrong-guess-1", "device_id": BROWSER}, format="json")
    suspend(moderator, player.pk)

    assert device_login(api_client).status_code == 200  # whoever guessed wrong is not the victim


def test_a_guest_made_on_the_browser_before_the_suspension_no_longer_logs_in(api_client, make_user, moderator):
    earlier_guest = device_login(api_client).json()["user"]
    player = make_user("two_accounts")
    api_client.post(
        LOGIN, {"username": "two_accounts", "password": "pass-w0rd-long", "device_id": BROWSER}, format="json"
    )
    made = suspend(moderator, player.pk)

    assert_refused_as_login_is(device_login(api_client), made)
    assert User.objects.filter(pk=earlier_guest["id"]).exists()  # refused, not deleted


def test_the_browser_a_suspended_player_registered_from_makes_no_guest(api_client, moderator):
    registered = api_client.post(
        "/api/auth/register/",
        {
            "username": "fresh_cheat",
            "email": "fresh@example.com",
            "password": "s3cret-Passphrase",
            "password_confirm": "s3cret-Passphrase",
            "device_id": BROWSER,
        },
        format="json",
    )
    assert registered.status_code == 201, registered.content
    made = suspend(moderator, registered.json()["user"]["id"])

    assert_refused_as_login_is(device_login(api_client), made)


def test_other_browsers_and_a_lifted_suspension_make_guests_again(api_client, make_user, moderator):
    player = make_user("lifted")
    api_client.post(LOGIN, {"username": "lifted", "password": "pass-w0rd-long", "device_id": BROWSER}, format="json")
    made = suspend(moderator, player.pk)
    assert device_login(api_client).status_code == 403

    other = device_login(api_client, "someone-elses-browser-3")
    assert other.status_code == 200 and other.json()["created"] is True

    sanction_lift(staff=moderator, sanction_id=made.pk, statement="Cleared on review.")
    again = device_login(api_client)
    assert again.status_code == 200 and again.json()["created"] is True


def test_the_device_a_provider_sign_in_named_makes_no_guest_while_suspended(api_client, configured, moderator):
    signed_in = post_id_token(api_client, configured.id_token(sub="sub-device"), device_id=BROWSER).json()
    made = suspend(moderator, signed_in["user"]["id"])

    assert_refused_as_login_is(device_login(api_client), made)


def test_an_identity_linked_to_a_suspended_password_account_is_refused(api_client, configured, make_user, moderator):
    player = make_user("linker")
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(player)}")
    linked = me.post("/api/auth/identities/idp/", {"id_token": configured.id_token(sub="sub-linked")}, format="json")
    assert linked.status_code == 200
    made = suspend(moderator, player.pk)

    assert_refused_as_login_is(post_id_token(api_client, configured.id_token(sub="sub-linked")), made)
