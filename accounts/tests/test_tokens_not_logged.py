"""No access token, refresh token or WebSocket ticket reaches any log line, of any logger.

Every record the root logger sees at DEBUG (and caplog's) is rendered by the JSON
formatter of ``gameplatform.core.logs``, by the plain (DEBUG) format, and with every attribute
the record carries; the secrets of the requests and sockets below appear in none.
"""

import logging

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from accounts import services
from gameplatform.core.logs import JsonFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db(transaction=True)


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.addFilter(RequestIdFilter())
        self.json = JsonFormatter()
        self.plain = logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"])
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.json.format(record))
        self.lines.append(self.plain.format(record))
        self.lines.append(" ".join(f"{key}={value!s}" for key, value in vars(record).items()))


@pytest.fixture
def captured(caplog):
    import gameplatform.asgi  # noqa: F401 - its django.setup() configures logging again: before the capture

    caplog.set_level(logging.DEBUG)
    root = logging.getLogger()
    handler = Capture()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    yield handler
    root.setLevel(old_level)
    root.removeHandler(handler)
    handler.lines.extend(caplog.text.splitlines())


def assert_not_logged(captured, caplog, *secrets):
    lines = captured.lines + [caplog.text] + [record.getMessage() for record in caplog.records]
    assert len(lines) > 3, "nothing was logged: the capture is broken"
    for secret in secrets:
        leaks = [line for line in lines if secret in line]
        assert secret and not leaks, f"a secret reached the logs: {leaks[:3]}"


def requests_with_secrets(user) -> list[str]:
    client = APIClient()
    tokens = client.post("/api/auth/login/", {"username": user.username, "password": "pass-w0rd-long"}).json()
    access, refresh = tokens["access"], tokens["refresh"]
    bad = access[:-6] + "AAAAAA"
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    ticket = client.post("/api/auth/ws-ticket/").json()["ticket"]
    assert client.get(f"/api/me/?token={access}&ticket={ticket}").status_code == 200
    assert client.get(f"/api/no-such-route/?token={access}&refresh={refresh}").status_code == 404
    assert client.get(f"/api/users/999999/?token={access}").status_code == 404
    assert client.get(f"/nowhere/?token={access}&ticket={ticket}").status_code == 404
    assert client.post(f"/api/auth/refresh/?token={access}", {"refresh": refresh}).status_code == 200
    assert client.post("/api/auth/refresh/", {"refresh": refresh}).status_code == 401  # rotated
    anonymous = APIClient()
    anonymous.credentials(HTTP_AUTHORIZATION=f"Bearer {bad}")
    assert anonymous.get(f"/api/me/?token={bad}").status_code == 401
    assert anonymous.get(f"/admin/?token={bad}").status_code == 302
    return [access, refresh, bad, ticket]


@pytest.mark.parametrize("debug", [False, True])
def test_http_requests_log_no_token(captured, caplog, make_user, debug):
    user = make_user("logged")
    with override_settings(DEBUG=debug):
        secrets = requests_with_secrets(user)
    assert_not_logged(captured, caplog, *secrets)


async def test_socket_handshakes_log_no_token(captured, caplog, make_user, ws_connect):
    user = await sync_to_async(make_user)("socketeer")
    tokens = await sync_to_async(services.tokens_for)(user)
    access = tokens["access"]
    bad = access[:-6] + "AAAAAA"
    ticket = (await sync_to_async(services.ws_ticket_issue)(user=user))["ticket"]

    ws, connected, _ = await ws_connect("/ws/notifications/", query=f"token={access}")
    assert connected
    await ws.disconnect()
    ws, connected, _ = await ws_connect("/ws/notifications/", query=f"ticket={ticket}")
    assert connected
    await ws.disconnect()
    # Refused: a bad token, a used ticket, a bad Bearer header, an unknown route.
    for query, headers in (
        (f"token={bad}", None),
        (f"ticket={ticket}", None),
        (f"token={bad}", [(b"authorization", f"Bearer {bad}".encode())]),
    ):
        ws, connected, code = await ws_connect("/ws/notifications/", query=query, headers=headers)
        await ws.disconnect()
    ws, connected, code = await ws_connect("/ws/no-such-socket/", query=f"token={access}&ticket={ticket}")
    await ws.disconnect()
    assert_not_logged(captured, caplog, access, bad, ticket)
