"""What a sign-in leaves in the log: the process's own console handler (settings.LOGGING, the
JSON lines of production) writes the callback's access line with its ``code``, ``state`` and
OpenID ``openid.sig`` redacted, so no reader of the log can replay a sign-in."""

import io
import json
import logging
import logging.config
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.conf import settings
from django.test import override_settings

from gameplatform.core.logs import BackgroundStreamHandler, JsonFormatter
from identities.tests.standin import Provider

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def idp():
    with Provider() as provider:
        yield provider


@pytest.fixture
def console():
    """The process's console handler writing production's JSON lines to a buffer, at DEBUG (the
    level of an answered request's access line; the tests' settings keep only warnings)."""
    import gameplatform.asgi  # noqa: F401 - its django.setup() configures logging again: before we look

    logging.config.dictConfig(settings.LOGGING)
    root = logging.getLogger()
    (handler,) = [h for h in root.handlers if isinstance(h, BackgroundStreamHandler)]
    stream, formatter, level = handler.stream, handler.formatter, root.level
    handler.stream = io.StringIO()
    handler.setFormatter(JsonFormatter())
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        handler.flush()
        handler.stream = stream
        handler.setFormatter(formatter)
        root.setLevel(level)


def written(handler) -> str:
    handler.flush()
    return handler.stream.getvalue()


def access_line(text: str, path: str) -> dict:
    (line,) = [
        entry
        for entry in map(json.loads, text.splitlines())
        if entry["logger"] == "gameplatform.access" and entry["path"] == path
    ]
    return line


def to_the_provider_and_back(client, provider_id: str):
    """The callback's address as the provider sends the browser back to it."""
    start = client.get(f"/api/auth/providers/{provider_id}/start/", {"next": "/play/"})
    assert start.status_code == 302, start.content
    return urlparse(requests.get(start["Location"], allow_redirects=False, timeout=5).headers["Location"])


def test_the_callbacks_access_line_has_its_code_and_state_redacted(api_client, idp, console):
    with override_settings(AUTH_PROVIDERS=[idp.setting()]):
        back = to_the_provider_and_back(api_client, "idp")
        assert api_client.get(f"{back.path}?{back.query}").status_code == 302
    sent = {k: v[0] for k, v in parse_qs(back.query).items()}
    text = written(console)
    assert access_line(text, back.path)["query"] == "code=[redacted]&state=[redacted]"
    assert sent["code"] not in text and sent["state"] not in text


def test_a_steam_callbacks_access_line_has_its_signature_and_state_redacted(api_client, idp, console):
    idp.subject = "76561197960287930"
    with override_settings(STEAM_ENABLED=True, STEAM_OPENID_URL=f"{idp.issuer}/steam/login"):
        back = to_the_provider_and_back(api_client, "steam")
        assert api_client.get(f"{back.path}?{back.query}").status_code == 302
    sent = {k: v[0] for k, v in parse_qs(back.query).items()}
    text = written(console)
    query = parse_qs(access_line(text, back.path)["query"])
    assert query["state"] == query["openid.sig"] == ["[redacted]"]
    assert query["openid.claimed_id"] == ["https://steamcommunity.com/openid/id/76561197960287930"]
    assert sent["openid.sig"] not in text and sent["state"] not in text
