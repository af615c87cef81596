"""How the HTTP bridge passes request headers on to Django."""

from gameplatform.http.handler import build_environ


def scope_with(headers: list[tuple[bytes, bytes]]) -> dict:
    return {"type": "http", "method": "GET", "path": "/api/me/", "headers": headers}


def test_repeated_cookie_headers_reach_django_as_one_cookie_string():
    environ = build_environ(scope_with([(b"cookie", b"sessionid=abc"), (b"cookie", b"csrftoken=xyz")]), b"")
    assert environ["HTTP_COOKIE"] == "sessionid=abc; csrftoken=xyz"


def test_other_repeated_headers_are_joined_with_commas():
    environ = build_environ(scope_with([(b"accept", b"text/html"), (b"accept", b"application/json")]), b"")
    assert environ["HTTP_ACCEPT"] == "text/html,application/json"
