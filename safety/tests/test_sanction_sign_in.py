"""A suspended player is refused at every provider and device way in, told why and how to appeal:
the browser's callback lands on ``next`` with ``signin_error=account_suspended`` and the appeal
token in the fragment, a posted id token answers 403 ``account_suspended``, a guest's device
login too. Against the local provider the identity tests start (``identities/tests/standin.py``)."""

from urllib.parse import parse_qs

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from identities.models import Identity
from identities.tests.standin import Provider
from identities.tests.test_sign_in import browser_sign_in, post_id_token
from safety.sanctions import sanction_impose

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
