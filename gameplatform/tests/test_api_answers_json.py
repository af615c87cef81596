"""Every path under /api (in any case, with or without its slash) answers the contract's JSON
error shape, whatever Django refuses before a view: a foreign Host, no such route; and what the
HTTP server refuses before the application, as the manual says."""

import json
import logging
import socket
import time

import pytest

from gameplatform.tests.asgi_http import http, root_records
from gameplatform.tests.live import ROOT

# Holds a route or frame family of the contract to the server: `make test` runs it under daphne too.
pytestmark = [pytest.mark.contract, pytest.mark.django_db(transaction=True)]

FOREIGN_HOST = [(b"host", b"evil.example")]


def error_of(status: int, headers: dict, body: bytes) -> tuple[int, str]:
    assert headers[b"content-type"] == b"application/json", body[:200]
    answer = json.loads(body)
    assert set(answer) == {"detail", "code"}, answer
    return status, answer["code"]


@pytest.mark.parametrize("path", ["/api/status/", "/api", "/api/", "/API/me/", "/api/me/", "/Api/x", "/game/join/"])
async def test_a_foreign_host_on_an_api_path_is_a_json_400_and_one_warning(path):
    with root_records() as records:
        answer = await http(path, headers=FOREIGN_HOST)
    assert error_of(*answer) == (400, "invalid")
    logged = [(r.levelname, r.name) for r in records if r.levelno >= logging.WARNING]
    assert logged == [("WARNING", "django.security")]  # no ERROR, no traceback


@pytest.mark.parametrize("path", ["/api", "/API", "/API/me/", "/Api/status/", "/api/nothing-here"])
async def test_no_such_route_under_api_in_any_case_is_a_json_404(path):
    assert error_of(*await http(path)) == (404, "not_found")


@pytest.mark.parametrize("path", ["/", "/play/", "/admin/", "/apix/"])
async def test_other_paths_keep_django_pages_for_a_foreign_host(path):
    status, headers, _ = await http(path, headers=FOREIGN_HOST)
    assert status == 400
    assert headers[b"content-type"].startswith(b"text/html")


def raw_request(address: str, request: bytes) -> tuple[bytes, bytes]:
    """``request`` as sent, over a socket of its own (HTTP clients refuse to send a control
    character in a header); the answer's head and body, read until the server closes."""
    host, port = address.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head, body


def test_a_control_character_in_if_match_gets_the_answer_the_manual_gives(live):
    """RFC 9110 forbids control characters in a header's value. uvicorn's parser refuses such a
    request before the application sees it, in plain text: no JSON can be given there, and the
    manual says so where it describes If-Match. daphne passes it on, and the tag names no version.
    The request takes milliseconds: the only test of this module on the session's live server, it
    also starts that server (migrations and the demo data) when it is the first on its worker to ask
    for it."""
    user = live.register(f"ctl{time.time_ns() % 10**9}")
    body = b'{"value": {"level": 1}}'
    head, answer = raw_request(
        live.http,
        b"PUT /api/storage/saves/slot/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        + f"Authorization: Bearer {user['access']}\r\n".encode()
        + b'If-Match: "1\x01"\r\nContent-Type: application/json\r\n'
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body,
    )
    status = head.split(b"\r\n")[0]
    manual = (ROOT / "docs" / "domains" / "storage.md").read_text()
    if live.server == "uvicorn":
        assert status == b"HTTP/1.1 400 Bad Request"
        assert b"content-type: text/plain; charset=utf-8" in head.lower()
        assert answer == b"Invalid HTTP request received."
        assert "400 `text/plain` `Invalid HTTP request received.`" in " ".join(manual.split())
    else:
        assert status.startswith(b"HTTP/1.1 412")
        assert json.loads(answer)["code"] == "version_conflict"
