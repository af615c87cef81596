"""Socket Origin check: host and port, against the server's own origin or WS_ALLOWED_ORIGINS."""

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/ws/notifications/"


async def opens(ws_connect, make_user, origin, host=None):
    user = await sync_to_async(make_user)()
    headers = [(b"host", host.encode())] if host is not None else []
    ws, connected, _ = await ws_connect(PATH, user, origin=origin, headers=headers)
    if connected:
        await ws.disconnect()
    return connected


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("http://localhost:8000", "localhost:8000", True),  # a page served by this server
        ("http://LOCALHOST:8000", "localhost:8000", True),
        ("http://localhost:9999", "localhost:8000", False),  # another port of the same host
        ("http://localhost", "localhost:8000", False),
        ("http://localhost", "localhost", True),
        # Schemes are not compared (TLS often ends at a proxy): a Host without a port is on
        # the Origin scheme's default port.
        ("https://localhost", "localhost", True),
        ("https://localhost", "localhost:80", False),
        ("https://localhost:443", "localhost:443", True),
        ("http://[::1]:8000", "[::1]:8000", True),
        ("http://[::1]:8001", "[::1]:8000", False),
        ("http://evil.example:8000", "evil.example:8000", False),  # Host not in ALLOWED_HOSTS
        ("http://evil.example", "localhost", False),
        ("null", "localhost:8000", False),
        ("http://localhost:99999", "localhost:8000", False),
        # No Host header (in-process test clients only): ALLOWED_HOSTS on the default port.
        ("http://localhost", None, True),
        ("http://localhost:9999", None, False),
        (None, "localhost:8000", True),  # no Origin: a non-browser client
        (None, None, True),
    ],
)
async def test_origin_is_checked_with_its_port(ws_connect, make_user, origin, host, allowed):
    assert await opens(ws_connect, make_user, origin, host) is allowed


@override_settings(WS_ALLOWED_ORIGINS=["https://play.example.com", "http://localhost:3000"])
@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://play.example.com", True),
        ("https://play.example.com:443", True),
        ("https://play.example.com:8443", False),
        ("http://play.example.com", False),
        ("http://localhost:3000", True),  # a development front end on its own port
        ("http://localhost:3001", False),
        ("http://localhost:8000", True),  # still the server's own origin
    ],
)
async def test_configured_origins_are_allowed_by_host_and_port(ws_connect, make_user, origin, allowed):
    assert await opens(ws_connect, make_user, origin, "localhost:8000") is allowed


@override_settings(WS_ALLOWED_ORIGINS=["*"])
async def test_a_star_allows_any_origin(ws_connect, make_user):
    assert await opens(ws_connect, make_user, "http://anything.example:1234", "localhost:8000")
