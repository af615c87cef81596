"""Every path under /api (in any case, with or without its slash) answers the contract's JSON
error shape, whatever Django refuses before a view: a foreign Host, no such route."""

import json
import logging

import pytest

from gameplatform.tests.asgi_http import http, root_records

pytestmark = pytest.mark.django_db(transaction=True)

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
