"""The web client's "Sign in with X": headless Chromium on a server configured with a local
OpenID Connect provider (identities/tests/standin.py) signs a new player in through it."""

import json

import pytest

from gameplatform.tests.live import LiveServer
from identities.tests.standin import Provider

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def idp():
    with Provider() as provider:
        yield provider


@pytest.fixture(scope="module")
def server_with_provider(idp, tmp_path_factory):
    # Without Redis: the session's own live server uses the test Redis, and its ids overlap this one's.
    env = {"AUTH_PROVIDERS": json.dumps([idp.setting(name="Test IdP")]), "REDIS_URL": ""}
    server = LiveServer(tmp_path_factory.mktemp("signin_live"), env=env)
    server.start()
    yield server
    server.stop()


def test_a_new_player_signs_in_to_play_with_a_configured_provider(server_with_provider, idp, new_page):
    """A new player signs in through the configured OpenID Connect provider and plays. It takes
    tens of seconds: it starts a server of its own (a database migrated and seeded from scratch, with
    the provider configured) and a headless Chromium, then follows the provider's redirects."""
    idp.subject = "sub-chromium"
    page = new_page("newcomer")
    page.goto(f"{server_with_provider.http}/play/")
    page.click("#provider-sign-in a:text('Sign in with Test IdP')")
    page.wait_for_selector("body[data-user]")
    page.wait_for_selector("#conn-status.live")
    assert "access=" not in page.url  # the tokens were taken out of the address
    assert page.get_attribute("body", "data-user").startswith("Alice_Idp")
    page.reload()
    page.wait_for_selector("body[data-user]")
    assert not page.problems, page.problems
