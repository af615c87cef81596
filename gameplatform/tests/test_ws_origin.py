"""Socket Origin check: scheme, host and port, against the server's own origin or WS_ALLOWED_ORIGINS."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from conftest import access_token_for
from gameplatform.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/ws/notifications/"


async def opens(ws_connect, make_user, origin, host=None):
    user = await sync_to_async(make_user)()
    headers = [(b"host", host.encode())] if host is not None else []
    ws, connected, _ = await ws_connect(PATH, user, origin=origin, headers=headers)
    if connected:
        await ws.disconnect()
    return connected


async def opens_over(scheme: str, origin: str, host: str | None, user) -> bool:
    """A socket whose scope has ``scheme`` (as the server sets it: ``wss`` under TLS or behind
    a trusted proxy's ``X-Forwarded-Proto: https``)."""
    headers = [(b"origin", origin.encode()), (b"authorization", f"Bearer {access_token_for(user)}".encode())]
    if host is not None:
        headers.append((b"host", host.encode()))
    ws = WebsocketCommunicator(application, PATH, headers=headers)
    ws.scope["scheme"] = scheme
    connected, _ = await ws.connect(timeout=5)
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
        # An http server's own pages are http: an https page of the same host and port is
        # another origin (the socket's scheme is ws here).
        ("https://localhost", "localhost", False),
        ("https://localhost:80", "localhost:80", False),
        ("https://localhost:8000", "localhost:8000", False),
        ("https://localhost:443", "localhost:443", False),
        ("http://[::1]:8000", "[::1]:8000", True),
        ("http://[::1]:8001", "[::1]:8000", False),
        ("http://evil.example:8000", "evil.example:8000", False),  # Host not in ALLOWED_HOSTS
        ("http://evil.example", "localhost", False),
        ("null", "localhost:8000", False),
        ("http://localhost:99999", "localhost:8000", False),
        # No Host header (in-process test clients only): ALLOWED_HOSTS on the default port.
        ("http://localhost", None, True),
        ("http://localhost:9999", None, False),
        ("https://localhost", None, False),
        (None, "localhost:8000", True),  # no Origin: a non-browser client
        (None, None, True),
    ],
)
async def test_origin_is_checked_with_its_scheme_and_port(ws_connect, make_user, origin, host, allowed):
    assert await opens(ws_connect, make_user, origin, host) is allowed


@override_settings(WS_ALLOWED_ORIGINS=["https://play.example.com", "http://localhost:3000"])
@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://play.example.com", True),
        ("https://play.example.com:443", True),
        ("https://play.example.com:8443", False),
        ("http://play.example.com", False),
        ("http://play.example.com:443", False),  # https's port, not its scheme
        ("http://localhost:3000", True),  # a development front end on its own port
        ("http://localhost:3001", False),
        ("http://localhost:8000", True),  # still the server's own origin
    ],
)
async def test_configured_origins_are_allowed_by_scheme_host_and_port(ws_connect, make_user, origin, allowed):
    assert await opens(ws_connect, make_user, origin, "localhost:8000") is allowed


@override_settings(WS_ALLOWED_ORIGINS=["*"])
async def test_a_star_allows_any_origin(ws_connect, make_user):
    assert await opens(ws_connect, make_user, "http://anything.example:1234", "localhost:8000")


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("https://localhost", "localhost", True),  # a Host without a port: https's 443
        ("https://localhost:443", "localhost:443", True),
        ("https://localhost:8443", "localhost:8443", True),
        ("http://localhost:8443", "localhost:8443", False),  # an http page on a TLS server
        ("http://localhost", "localhost", False),
        ("https://localhost", None, True),
        ("http://localhost", None, False),
    ],
)
async def test_a_tls_socket_takes_https_origins_only(make_user, origin, host, allowed):
    user = await sync_to_async(make_user)()
    assert await opens_over("wss", origin, host, user) is allowed


async def opens_behind_tls_proxy(forwarded_proto: str | None, origin: str, user) -> bool:
    """A socket whose scope has no scheme (daphne's), through a proxy that says how the client came."""
    headers = [(b"origin", origin.encode()), (b"host", b"game.example.com")]
    headers.append((b"authorization", f"Bearer {access_token_for(user)}".encode()))
    if forwarded_proto is not None:
        headers.append((b"x-forwarded-proto", forwarded_proto.encode()))
    ws = WebsocketCommunicator(application, PATH, headers=headers)
    ws.scope.pop("scheme", None)
    connected, _ = await ws.connect(timeout=5)
    await ws.disconnect()
    return connected


@override_settings(ALLOWED_HOSTS=["game.example.com"], SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
async def test_behind_a_trusted_tls_proxy_an_https_page_opens_its_socket_whatever_the_server(make_user):
    user = await sync_to_async(make_user)()
    assert await opens_behind_tls_proxy("https", "https://game.example.com", user)
    assert not await opens_behind_tls_proxy("https", "http://game.example.com", user)
    assert not await opens_behind_tls_proxy("http", "https://game.example.com", user)
    assert await opens_behind_tls_proxy("http", "http://game.example.com", user)


@override_settings(ALLOWED_HOSTS=["game.example.com"])
async def test_a_forwarded_proto_header_is_ignored_unless_the_proxy_is_trusted(make_user):
    user = await sync_to_async(make_user)()
    assert not await opens_behind_tls_proxy("https", "https://game.example.com", user)
