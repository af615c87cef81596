"""The presets: Discord (OAuth 2, the user from its /users/@me) and Steam (OpenID 2.0), each
against the local provider's stand-in of them."""

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.test import override_settings

from identities.models import Identity
from identities.tests.standin import Provider
from identities.tests.test_sign_in import as_user

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def idp():
    with Provider() as provider:
        yield provider


def through_the_provider(client, provider_id: str):
    start = client.get(f"/api/auth/providers/{provider_id}/start/", {"next": "/play/"})
    assert start.status_code == 302, start.content
    back = urlparse(requests.get(start["Location"], allow_redirects=False, timeout=5).headers["Location"])
    landed = client.get(f"{back.path}?{back.query}")
    assert landed.status_code == 302
    return {k: v[0] for k, v in parse_qs(landed["Location"].partition("#")[2]).items()}


@pytest.fixture
def discord(idp):
    with override_settings(
        DISCORD_CLIENT_ID=idp.client_id,
        DISCORD_CLIENT_SECRET=idp.client_secret,
        DISCORD_AUTHORIZE_URL=f"{idp.issuer}/discord/authorize",
        DISCORD_API_BASE=f"{idp.issuer}/discord",
    ):
        yield idp


def test_discord_is_listed_as_oauth2(api_client, discord):
    assert api_client.get("/api/auth/providers/").json() == [{"id": "discord", "name": "Discord", "kind": "oauth2"}]


def test_a_browser_signs_in_with_discord(api_client, discord):
    discord.subject = "41771983423143937"
    tokens = through_the_provider(api_client, "discord")
    me = as_user(tokens["access"]).get("/api/me/").json()
    assert tokens["created"] == "1" and me["email"] == "nelly@discord.example"
    assert Identity.objects.get(provider="discord").subject == "41771983423143937"


def test_a_client_posts_a_discord_access_token(api_client, discord):
    token = discord.discord_token(user_id="123456789")
    body = api_client.post("/api/auth/providers/discord/token/", {"access_token": token}, format="json").json()
    assert body["created"] is True and body["user"]["username"].startswith("nelly")
    refused = api_client.post("/api/auth/providers/discord/token/", {"access_token": "made-up"}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_token"


@pytest.fixture
def steam(idp):
    with override_settings(STEAM_ENABLED=True, STEAM_OPENID_URL=f"{idp.issuer}/steam/login"):
        yield idp


def test_a_browser_signs_in_with_steam(api_client, steam):
    steam.subject = "76561197960287930"
    tokens = through_the_provider(api_client, "steam")
    assert as_user(tokens["access"]).get("/api/me/").status_code == 200
    assert Identity.objects.get(provider="steam").subject == "76561197960287930"


def test_a_steam_assertion_the_provider_did_not_make_is_refused(api_client, steam):
    start = api_client.get("/api/auth/providers/steam/start/")
    back = urlparse(requests.get(start["Location"], allow_redirects=False, timeout=5).headers["Location"])
    forged = back.query.replace("openid.sig=", "openid.sig=forged")
    landed = api_client.get(f"{back.path}?{forged}")
    assert landed.status_code == 302 and landed["Location"].endswith("#signin_error=invalid_token")
    assert not Identity.objects.exists()


def test_a_steam_id_of_digits_that_are_not_ascii_is_refused(api_client, steam):
    """Steam ids are ASCII digits; a claimed id such as "²" (``str.isdigit`` says yes) is not one."""
    steam.subject = "7656119796028793²"
    start = api_client.get("/api/auth/providers/steam/start/")
    back = urlparse(requests.get(start["Location"], allow_redirects=False, timeout=5).headers["Location"])
    landed = api_client.get(f"{back.path}?{back.query}")
    assert landed.status_code == 302 and landed["Location"].endswith("#signin_error=invalid_token")
    assert not Identity.objects.exists()
