"""API requests pass by the middlewares of cookies and static files; the admin keeps them.

One chain, ``settings.MIDDLEWARE``, serves every request (Django's test client runs the same one
as the server); its middlewares of sessions, the cookie user, messages and WhiteNoise let requests
under ``settings.API_PATH_PREFIXES`` by."""

import re

import pytest
from django.http import JsonResponse
from django.test import Client
from django.urls import include, path

from gameplatform.tests.asgi_http import http


def what_the_view_sees(request):
    return JsonResponse({"session": hasattr(request, "session"), "user": hasattr(request, "user")})


urlpatterns = [
    path("api/probe/", what_the_view_sees),
    path("game/probe/", what_the_view_sees),
    path("site/probe/", what_the_view_sees),
    path("", include("gameplatform.urls")),
]


@pytest.fixture
def probes(settings, db):
    settings.ROOT_URLCONF = __name__
    return Client()


def test_an_api_request_runs_without_session_or_cookie_user(probes):
    for api_path in ("/api/probe/", "/game/probe/"):
        response = probes.get(api_path)
        assert response.status_code == 200
        assert response.json() == {"session": False, "user": False}, api_path


def test_any_other_request_runs_the_whole_chain(probes):
    response = probes.get("/site/probe/")
    assert response.status_code == 200
    assert response.json() == {"session": True, "user": True}


def test_api_responses_keep_the_security_and_request_id_headers(probes):
    api, site = probes.get("/api/probe/"), probes.get("/site/probe/")
    for name in ("X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options", "X-Request-ID"):
        assert name in api.headers, name
        assert api.headers[name] == site.headers[name] or name == "X-Request-ID"


@pytest.mark.django_db
def test_an_admin_logged_in_by_cookie_is_not_logged_into_the_api_and_gets_no_cookie_there(django_user_model):
    django_user_model.objects.create_superuser(username="root", email="root@example.com", password="a long password")
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/admin/login/")
    assert "csrftoken" in page.cookies
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    login = browser.post(
        "/admin/login/?next=/admin/",
        {"username": "root", "password": "a long password", "csrfmiddlewaretoken": token},
    )
    assert login.status_code == 302 and "sessionid" in login.cookies
    assert browser.get("/admin/").status_code == 200  # the session cookie logs the admin in

    me = browser.get("/api/me/")  # the same browser, its session and CSRF cookies sent
    assert me.status_code == 401
    assert not me.cookies  # no cookie set, refreshed or cleared on the API's paths
    assert "Cookie" not in me.headers.get("Vary", "")


@pytest.mark.django_db
@pytest.mark.parametrize("api_path", ["/api/asyncapi/", "/api/asyncapi.json", "/api/no-such-route/", "/api/me/"])
def test_no_api_path_refuses_a_request_for_its_missing_csrf_token(api_path):
    browser = Client(enforce_csrf_checks=True)
    browser.cookies["csrftoken"] = "a" * 32  # a browser that once opened the admin
    response = browser.post(api_path, b"{}", content_type="application/json")
    assert response.status_code != 403, response.content
    assert not response.cookies


@pytest.mark.django_db(transaction=True)
async def test_the_admin_login_page_still_sets_its_csrf_cookie_through_the_server():
    status, headers, body = await http("/admin/login/")
    assert status == 200
    assert b"csrftoken=" in headers[b"set-cookie"]
    assert b"csrfmiddlewaretoken" in body


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("page", ["/api/docs/", "/api/schema/", "/api/asyncapi/", "/api/status/"])
async def test_the_api_pages_that_need_no_token_are_served_without_cookies(page):
    status, headers, body = await http(page)
    assert status == 200, body[:300]
    assert b"set-cookie" not in headers  # no session, no CSRF cookie on the API's paths
    if page == "/api/docs/":
        assert b"content-security-policy" in headers


@pytest.mark.django_db(transaction=True)
async def test_static_files_are_still_served_through_the_server():
    status, headers, _ = await http("/static/admin/css/base.css")
    assert status == 200
    assert headers[b"content-type"].startswith(b"text/css")
