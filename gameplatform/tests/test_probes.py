"""/healthz and /readyz on the real ASGI application: cheap, open to all, honest about dependencies."""

import json
import logging
import socket
import time

import pytest
from drf_spectacular.generators import SchemaGenerator

from gameplatform.data import ratelimit
from gameplatform.data.redis import reset_redis
from gameplatform.tests.asgi_http import OUTSIDER, http


def dead_redis_url() -> str:
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{s.getsockname()[1]}/0"


@pytest.fixture
def redis_down(settings):
    """REDIS_URL points at a port where nothing listens (the shared Redis is never touched)."""
    original = settings.REDIS_URL
    settings.REDIS_URL = dead_redis_url()
    reset_redis()
    ratelimit._redis_window = None
    yield
    settings.REDIS_URL = original
    reset_redis()
    ratelimit._redis_window = None


# No database mark: touching the database here would fail the test.
async def test_healthz_answers_ok_without_touching_any_dependency(redis_down):
    for path in ("/healthz", "/healthz/"):
        status, headers, body = await http(path, client=OUTSIDER, headers=[(b"host", b"10.1.2.3:8000")])
        assert status == 200 and json.loads(body) == {"status": "ok"}
        assert headers[b"content-type"] == b"application/json"


@pytest.mark.django_db(transaction=True)
async def test_readyz_is_ok_when_database_redis_and_channel_layer_answer(settings):
    settings.READYZ_TIMEOUT_SECONDS = 10  # a loaded CI machine is not an outage
    status, _, body = await http("/readyz", client=OUTSIDER)
    assert status == 200, body
    answer = json.loads(body)
    assert answer["status"] == "ok"
    assert answer["checks"] == {
        "database": "ok",
        "channel_layer": "ok",
        "redis": "ok" if settings.REDIS_URL else "disabled",
    }


@pytest.mark.django_db(transaction=True)
async def test_readyz_is_503_naming_redis_when_redis_is_unreachable(redis_down):
    started = time.monotonic()
    status, headers, body = await http("/readyz")
    assert time.monotonic() - started < 5  # short timeouts: a probe never hangs
    assert status == 503
    answer = json.loads(body)
    assert answer["code"] == "unavailable" and "redis" in answer["detail"]
    assert answer["checks"]["redis"] in ("error", "timeout")
    assert answer["checks"]["database"] == "ok"
    assert int(headers[b"retry-after"]) >= 1


@pytest.mark.django_db(transaction=True)
async def test_readyz_is_503_naming_the_database_when_it_is_down(monkeypatch, settings):
    settings.READYZ_TIMEOUT_SECONDS = 10  # a loaded CI machine is not an outage
    from django.db import OperationalError
    from django.db.backends.base.base import BaseDatabaseWrapper

    def refuse(self):
        raise OperationalError("connection failed: connection to server at 127.0.0.1, port 1 failed")

    with monkeypatch.context() as patch:
        patch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
        status, _, body = await http("/readyz")
    assert status == 503
    answer = json.loads(body)
    assert answer["checks"]["database"] == "error" and answer["checks"]["channel_layer"] == "ok"
    assert "database" in answer["detail"]
    assert (await http("/readyz"))[0] == 200  # back at once: nothing was cached


@pytest.mark.django_db(transaction=True)
async def test_probes_leave_no_access_log_line_and_are_never_throttled(caplog, settings):
    settings.READYZ_TIMEOUT_SECONDS = 10  # 30 real round trips: a loaded CI machine is not an outage
    with caplog.at_level(logging.DEBUG, logger="gameplatform.access"):  # the level of a 200's access line
        statuses = {(await http(path))[0] for path in ["/healthz", "/readyz"] * 30}
        assert statuses == {200}
        assert (await http("/api/status/"))[0] == 200  # an ordinary request is logged
    logged = [record.getMessage() for record in caplog.records if record.name == "gameplatform.access"]
    assert logged == ["GET /api/status/ 200"]


async def test_probes_take_get_only():
    status, headers, body = await http("/readyz", method="POST")
    assert status == 405 and json.loads(body)["code"] == "method_not_allowed"
    assert headers[b"allow"] == b"GET, HEAD"


def test_operations_endpoints_stay_out_of_the_openapi_schema():
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert "/api/status/" in paths
    assert not {"/healthz", "/readyz", "/metrics"} & {path.rstrip("/") for path in paths}
