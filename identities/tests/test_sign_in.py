"""Sign-in with identity providers, against a local provider the tests start (standin.py)."""

import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests
from django.test import override_settings
from django.utils import timezone
from joserfc.jwk import RSAKey
from rest_framework.test import APIClient

from accounts.models import User
from conftest import access_token_for, requires_postgres
from gameplatform.testhelpers import run_at_once
from identities.flows import Profile
from identities.models import Identity, SpentIdToken
from identities.services import identity_sign_in
from identities.tests.standin import Provider
from identities.timers import forget_spent_tokens

pytestmark = pytest.mark.django_db

PROVIDERS = "/api/auth/providers/"


@pytest.fixture(scope="module")
def idp():
    with Provider() as provider:
        yield provider


@pytest.fixture
def configured(idp):
    with override_settings(AUTH_PROVIDERS=[idp.setting()]):
        yield idp


def as_user(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def post_id_token(client, token, provider="idp", **extra):
    return client.post(f"{PROVIDERS}{provider}/token/", {"id_token": token, **extra}, format="json")


def browser_sign_in(client, next_url="/play/"):
    """start -> the provider (it signs the user in and redirects back) -> callback -> next."""
    start = client.get(f"{PROVIDERS}idp/start/", {"next": next_url})
    assert start.status_code == 302, start.content
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert at_provider.status_code == 302
    callback = urlparse(at_provider.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def test_the_providers_list_names_the_configured_ones(api_client, configured):
    assert api_client.get(PROVIDERS).json() == [{"id": "idp", "name": "Test IdP", "kind": "oidc"}]


def test_without_providers_the_list_is_empty_and_their_routes_say_not_configured(api_client):
    assert api_client.get(PROVIDERS).json() == []
    for response in (
        api_client.get(f"{PROVIDERS}idp/start/"),
        post_id_token(api_client, "x.y.z"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_configured"


def test_a_browser_signs_in_through_the_provider_and_lands_on_next_with_usable_tokens(api_client, configured):
    configured.subject = "sub-browser"
    landed = browser_sign_in(api_client, "/play/")
    assert landed.status_code == 302
    page, _, fragment = landed["Location"].partition("#")
    assert page == "http://testserver/play/"
    tokens = {k: v[0] for k, v in parse_qs(fragment).items()}
    assert tokens["created"] == "1"
    me = as_user(tokens["access"]).get("/api/me/")
    assert me.status_code == 200
    assert me.json()["email"] == configured.email and me.json()["is_guest"] is False
    assert api_client.post("/api/auth/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code == 200
    again = browser_sign_in(api_client)
    assert parse_qs(again["Location"].partition("#")[2])["created"] == ["0"]
    assert Identity.objects.get(provider="idp", subject="sub-browser").user_id == me.json()["id"]


def test_a_callback_state_works_once(api_client, configured):
    start = api_client.get(f"{PROVIDERS}idp/start/")
    callback = urlparse(requests.get(start["Location"], allow_redirects=False, timeout=5).headers["Location"])
    assert api_client.get(f"{callback.path}?{callback.query}").status_code == 302
    replay = api_client.get(f"{callback.path}?{callback.query}")
    assert replay.status_code == 400 and replay.json()["code"] == "invalid_state"


def test_a_code_the_provider_refuses_lands_on_next_with_signin_error(api_client, configured, caplog):
    """The provider's token endpoint answers 400 ``invalid_grant`` (a code it never gave, or one
    already traded): the browser lands on ``next`` with the error, as for any refused sign-in."""
    start = api_client.get(f"{PROVIDERS}idp/start/", {"next": "/play/"})
    back = urlparse(requests.get(start["Location"], allow_redirects=False, timeout=5).headers["Location"])
    state = parse_qs(back.query)["state"][0]
    with caplog.at_level(logging.INFO, logger="identities"):
        landed = api_client.get(f"{back.path}?{urlencode({'code': 'a-code-it-never-gave', 'state': state})}")
    assert landed.status_code == 302
    assert landed["Location"] == "http://testserver/play/#signin_error=invalid_token"
    assert not Identity.objects.exists()
    (line,) = [record.getMessage() for record in caplog.records if record.name.startswith("identities")]
    assert "idp" in line and "invalid_grant" in line
    assert "a-code-it-never-gave" not in line and state not in line


def test_next_outside_the_allowed_origins_is_refused(api_client, configured):
    for next_url in ("https://evil.example/steal", "//evil.example/", "javascript:alert(1)"):
        response = api_client.get(f"{PROVIDERS}idp/start/", {"next": next_url})
        assert response.status_code == 400 and response.json()["code"] == "next_not_allowed"
    with override_settings(CORS_ALLOWED_ORIGINS=["https://game.example"]):
        response = api_client.get(f"{PROVIDERS}idp/start/", {"next": "https://game.example/lobby"})
        assert response.status_code == 302


def test_an_email_the_provider_verified_is_verified_and_one_it_did_not_is_not_taken(api_client, configured):
    """The provider vouched for the address (``email_verified``): the new account's address is
    verified and no verification mail is needed. An address it did not verify is not taken."""
    vouched = post_id_token(api_client, configured.id_token(sub="sub-vouched")).json()
    me = as_user(vouched["access"]).get("/api/me/").json()
    assert (me["email"], me["email_verified"]) == (configured.email, True)
    unverified = post_id_token(
        api_client, configured.id_token(sub="sub-unverified", email="other@example.com", email_verified=False)
    ).json()
    me = as_user(unverified["access"]).get("/api/me/").json()
    assert (me["email"], me["email_verified"]) == ("", False)


def test_a_client_posting_an_id_token_gets_the_platforms_tokens(api_client, configured):
    response = post_id_token(api_client, configured.id_token(sub="sub-native"))
    assert response.status_code == 200
    body = response.json()
    assert body["created"] is True and body["user"]["email"] == configured.email
    assert as_user(body["access"]).get("/api/me/").json()["id"] == body["user"]["id"]
    again = post_id_token(api_client, configured.id_token(sub="sub-native")).json()
    assert again["created"] is False and again["user"]["id"] == body["user"]["id"]


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda idp: idp.id_token(key=RSAKey.generate_key(2048, parameters={"kid": "standin-1"})), id="wrong-key"
        ),
        pytest.param(
            lambda idp: idp.id_token(key=RSAKey.generate_key(2048, parameters={"kid": "unknown"})), id="unknown-kid"
        ),
        pytest.param(lambda idp: idp.id_token(expires_in=-3600), id="expired"),
        pytest.param(lambda idp: idp.id_token(aud="another-client"), id="wrong-audience"),
        pytest.param(lambda idp: idp.id_token(iss="https://elsewhere.example"), id="wrong-issuer"),
        pytest.param(lambda idp: "not-a-token", id="garbage"),
    ],
)
def test_a_bad_id_token_is_refused_and_signs_no_one_in(api_client, configured, forge):
    response = post_id_token(api_client, forge(configured))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"
    assert not Identity.objects.exists()


def test_a_nonce_given_must_match_the_id_tokens(api_client, configured):
    token = configured.id_token(nonce="n-1")
    assert post_id_token(api_client, token, nonce="n-2").json()["code"] == "invalid_token"
    assert post_id_token(api_client, token, nonce="n-1").status_code == 200


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"nonce": "n-once"}, id="spent-by-its-nonce"),
        pytest.param({}, id="spent-by-its-jti"),
        pytest.param({"jti": None}, id="spent-by-its-digest"),  # Apple's: no jti, the nonce optional
    ],
)
def test_a_posted_id_token_signs_in_once(api_client, configured, claims):
    token = configured.id_token(sub="sub-once", **claims)
    first = post_id_token(api_client, token)
    assert first.status_code == 200
    replay = post_id_token(APIClient(), token)
    assert replay.status_code == 400
    assert replay.json()["code"] == "invalid_token" and "access" not in replay.json()
    fresh = post_id_token(APIClient(), configured.id_token(sub="sub-once"))
    assert fresh.json()["user"]["id"] == first.json()["user"]["id"]


def test_a_nonce_signs_in_once_whichever_token_carries_it(api_client, configured):
    assert post_id_token(api_client, configured.id_token(nonce="n-7"), nonce="n-7").status_code == 200
    again = post_id_token(api_client, configured.id_token(nonce="n-7"), nonce="n-7")
    assert again.status_code == 400 and again.json()["code"] == "invalid_token"


def test_a_token_that_linked_an_identity_does_not_sign_in_again(configured, alice):
    token = configured.id_token(sub="sub-linked-once")
    assert as_user(access_token_for(alice)).post("/api/auth/identities/idp/", {"id_token": token}).status_code == 200
    replay = post_id_token(APIClient(), token)
    assert replay.status_code == 400 and replay.json()["code"] == "invalid_token"


def test_spent_tokens_are_forgotten_once_they_expired(api_client, configured):
    assert post_id_token(api_client, configured.id_token(sub="sub-old")).status_code == 200
    SpentIdToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert post_id_token(api_client, configured.id_token(sub="sub-old")).status_code == 200
    assert forget_spent_tokens() == 1
    assert SpentIdToken.objects.count() == 1


def test_an_identity_links_to_me_and_then_signs_me_in(configured, alice):
    me = as_user(access_token_for(alice))
    linked = me.post("/api/auth/identities/idp/", {"id_token": configured.id_token(sub="sub-link")}, format="json")
    assert linked.status_code == 200 and linked.json()["provider"] == "idp"
    assert [i["subject"] for i in me.get("/api/auth/identities/").json()] == ["sub-link"]
    signed_in = post_id_token(APIClient(), configured.id_token(sub="sub-link")).json()
    assert signed_in["user"]["id"] == alice.pk and signed_in["created"] is False


def test_an_identity_of_another_user_is_refused_never_merged(configured, alice, bob):
    token = configured.id_token(sub="sub-taken")
    assert as_user(access_token_for(alice)).post("/api/auth/identities/idp/", {"id_token": token}).status_code == 200
    token = configured.id_token(sub="sub-taken")
    refused = as_user(access_token_for(bob)).post("/api/auth/identities/idp/", {"id_token": token})
    assert refused.status_code == 409 and refused.json()["code"] == "identity_in_use"
    assert Identity.objects.get(subject="sub-taken").user_id == alice.pk


def test_the_only_way_in_cannot_be_unlinked_but_one_of_two_can(api_client, configured):
    body = post_id_token(api_client, configured.id_token(sub="sub-only")).json()
    me = as_user(body["access"])
    refused = me.delete("/api/auth/identities/idp/")
    assert refused.status_code == 409 and refused.json()["code"] == "last_identity"
    with override_settings(AUTH_PROVIDERS=[configured.setting(), configured.setting("idp2")]):
        token = configured.id_token(sub="sub-second")
        assert me.post("/api/auth/identities/idp2/", {"id_token": token}).status_code == 200
        assert me.delete("/api/auth/identities/idp/").status_code == 204
        assert me.delete("/api/auth/identities/idp2/").json()["code"] == "last_identity"
    assert [i["provider"] for i in me.get("/api/auth/identities/").json()] == ["idp2"]


def test_a_user_with_a_password_can_unlink_their_identity(configured, alice):
    me = as_user(access_token_for(alice))
    me.post("/api/auth/identities/idp/", {"id_token": configured.id_token(sub="sub-pw")})
    assert me.delete("/api/auth/identities/idp/").status_code == 204
    assert me.get("/api/auth/identities/").json() == []


def test_a_guest_links_a_provider_and_signs_in_with_it_elsewhere(api_client, configured):
    guest = api_client.post("/api/auth/device/", {"device_id": "d" * 32}, format="json").json()
    me = as_user(guest["access"])
    assert me.post("/api/auth/identities/idp/", {"id_token": configured.id_token(sub="sub-guest")}).status_code == 200
    elsewhere = post_id_token(APIClient(), configured.id_token(sub="sub-guest")).json()
    assert elsewhere["user"]["id"] == guest["user"]["id"]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_sign_ins_of_one_subject_at_once_make_one_user():
    profile = Profile(provider="idp", subject="sub-race", email="race@idp.example", username_hint="racer")
    results = run_at_once(*[lambda: identity_sign_in(profile=profile)] * 4)
    assert all(isinstance(result, tuple) for result in results), results
    assert len({user.pk for user, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert User.objects.filter(username__startswith="racer").count() == 1
    assert Identity.objects.filter(subject="sub-race").count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_id_token_posted_four_times_at_once_signs_in_once(configured):
    token = configured.id_token(sub="sub-race-token")
    answers = run_at_once(*[lambda: post_id_token(APIClient(), token)] * 4)
    assert sorted(answer.status_code for answer in answers) == [200, 400, 400, 400], answers
    assert {answer.json()["code"] for answer in answers if answer.status_code == 400} == {"invalid_token"}
    assert Identity.objects.filter(subject="sub-race-token").count() == 1
