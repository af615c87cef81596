"""One event, one line: an answer is logged once (the access line), not again by Django."""

import io
import logging
import logging.config

import pytest
from django.conf import settings

from gameplatform.core.logs import BackgroundStreamHandler


@pytest.fixture
def console():
    """The process's own console handler (settings.LOGGING), writing to a buffer, at INFO."""
    import gameplatform.asgi  # noqa: F401 - its django.setup() configures logging again: before we look

    # The project's logging configuration, applied as a server does at start: an earlier test of
    # the run may have built a uvicorn Config in this process, which puts uvicorn's own handlers
    # on its loggers.
    logging.config.dictConfig(settings.LOGGING)
    root = logging.getLogger()
    (handler,) = [h for h in root.handlers if isinstance(h, BackgroundStreamHandler)]
    stream, handler.stream = handler.stream, io.StringIO()
    level = root.level
    root.setLevel(logging.INFO)  # as `make run` (the tests' settings keep only warnings)
    try:
        yield handler
    finally:
        handler.flush()
        handler.stream = stream
        root.setLevel(level)


def lines_about(handler, path: str) -> list[str]:
    handler.flush()
    return [line for line in handler.stream.getvalue().splitlines() if path in line]


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "status"), [("/api/no-such-route/", 404), ("/api/me/", 401), ("/nothing-here/", 404)])
def test_a_client_error_is_logged_as_one_line(client, console, path, status):
    assert client.get(path).status_code == status
    lines = lines_about(console, path)
    assert len(lines) == 1, lines
    assert str(status) in lines[0]


@pytest.mark.django_db
def test_an_answered_request_is_logged_at_debug_only_so_info_holds_what_went_wrong(client, console):
    """At INFO (production's default) a request answered below 400 writes no line; a refused one
    does (above). At DEBUG every request has its access line."""
    assert client.get("/api/status/").status_code == 200
    assert lines_about(console, "/api/status/") == []

    logging.getLogger().setLevel(logging.DEBUG)
    assert client.get("/api/status/").status_code == 200
    (line,) = lines_about(console, "/api/status/")
    assert "GET /api/status/ 200" in line


def test_a_server_error_is_still_logged_by_django(console):
    logging.getLogger("django.request").error("Internal Server Error: %s", "/api/broken/")
    assert len(lines_about(console, "/api/broken/")) == 1


def test_uvicorns_warnings_are_written_and_its_per_socket_info_lines_are_not(console):
    """By logger name and level (uvicorn's documented "uvicorn.error"), not by what it says:
    each socket is logged once by the kit ("socket open"), not again by uvicorn."""
    uvicorn = logging.getLogger("uvicorn.error")
    uvicorn.info('%s - "WebSocket %s" [accepted]', "127.0.0.1:5", "/ws/uvicorn-info/")
    uvicorn.warning("Invalid HTTP request received: %s", "/uvicorn-warning/")
    assert lines_about(console, "/ws/uvicorn-info/") == []
    assert len(lines_about(console, "/uvicorn-warning/")) == 1
