import json

import pytest
from drf_spectacular.generators import SchemaGenerator

from gameplatform.core.logs import redact_query

pytestmark = pytest.mark.django_db


def test_status_reports_database_and_channel_layer(api_client):
    response = api_client.get("/api/status/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok" and body["channel_layer"] == "ok"
    assert set(body) == {"status", "version", "uptime_s", "database", "channel_layer", "redis", "online_users"}


def test_openapi_schema_generates_without_warnings(capsys):
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "/api/auth/register/" in schema["paths"]
    assert "/api/status/" in schema["paths"]
    assert not GENERATOR_STATS, f"schema warnings: {capsys.readouterr().err}"


def test_docs_page_and_its_assets_are_served_locally(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower()
    assert client.get("/api/schema/").status_code == 200


def test_secrets_in_query_strings_are_redacted():
    assert redact_query("token=abc&x=1") == "token=[redacted]&x=1"
    assert "secret" not in redact_query(b"ticket=secret")


def test_a_request_logged_by_django_shows_no_token(api_client, caplog):
    import logging

    from gameplatform.core.logs import JsonFormatter

    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = api_client.get("/api/me/?token=very-secret-access-token")
    assert response.status_code == 401
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    line = JsonFormatter().format(record)
    assert "very-secret-access-token" not in line
    assert json.loads(line)["request"] == "GET /api/me/?token=[redacted]"


def test_unknown_api_route_is_404(api_client):
    assert api_client.get("/api/nothing-here/").status_code == 404


def test_uvicorn_logs_no_second_access_line_of_its_own():
    """uvicorn configures its loggers first (``--no-access-log``), Django's LOGGING after: the
    access logger must stay without a handler, or every request is logged twice, the second
    time with its raw query string (tokens included)."""
    import os
    import subprocess
    import sys

    script = (
        "import logging, django, uvicorn.config\n"
        "uvicorn.config.Config('gameplatform.asgi:application', access_log=False).configure_logging()\n"
        "django.setup()\n"
        "print(logging.getLogger('uvicorn.access').hasHandlers())\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gameplatform.settings"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
