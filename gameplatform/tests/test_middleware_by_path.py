"""API requests skip the middlewares of cookies and static files; the admin keeps them."""

import io
import json

import pytest
from django.conf import settings
from django.http import JsonResponse
from django.urls import path

from gameplatform.http import MiddlewareByPath
from gameplatform.tests.asgi_http import http


def what_the_view_sees(request):
    return JsonResponse({"session": hasattr(request, "session"), "user": hasattr(request, "user")})


urlpatterns = [
    path("api/probe/", what_the_view_sees),
    path("game/probe/", what_the_view_sees),
    path("site/probe/", what_the_view_sees),
]


def get(app, path: str) -> tuple[str, dict, dict]:
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer.update(status=status, headers=dict(headers))

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
    }
    body = b"".join(app(environ, start_response))
    return answer["status"], answer["headers"], json.loads(body)


@pytest.fixture
def app(settings, db):
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["localhost"]
    return MiddlewareByPath()


def test_an_api_request_runs_without_session_or_cookie_user(app):
    for api_path in ("/api/probe/", "/game/probe/"):
        status, _, seen = get(app, api_path)
        assert status == "200 OK"
        assert seen == {"session": False, "user": False}, api_path


def test_any_other_request_runs_the_whole_chain(app):
    status, _, seen = get(app, "/site/probe/")
    assert status == "200 OK"
    assert seen == {"session": True, "user": True}


def test_api_responses_keep_the_security_and_request_id_headers(app):
    _, api_headers, _ = get(app, "/api/probe/")
    _, site_headers, _ = get(app, "/site/probe/")
    for name in ("X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options", "X-Request-ID"):
        assert name in api_headers, name
        assert api_headers[name] == site_headers[name] or name == "X-Request-ID"


def test_building_the_api_chain_leaves_the_setting_as_it_was():
    before = list(settings.MIDDLEWARE)
    MiddlewareByPath()
    assert settings.MIDDLEWARE == before


@pytest.mark.django_db(transaction=True)
async def test_the_admin_login_page_still_sets_its_csrf_cookie_through_the_server():
    status, headers, body = await http("/admin/login/")
    assert status == 200
    assert b"csrftoken=" in headers[b"set-cookie"]
    assert b"csrfmiddlewaretoken" in body


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("page", ["/api/docs/", "/api/schema/", "/api/asyncapi/", "/api/status/"])
async def test_the_api_pages_that_need_no_token_are_served_through_the_api_chain(page):
    status, headers, body = await http(page)
    assert status == 200, body[:300]
    assert b"set-cookie" not in headers  # no session, no CSRF cookie on the API's paths
    if page == "/api/docs/":
        assert b"content-security-policy" in headers
