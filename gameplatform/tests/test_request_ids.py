"""Every log line about an HTTP request carries its id, those of its 503 answer included:
Django's own ``django.request`` line after the middlewares, and the bridge's own answers."""

import json
import logging

import pytest
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from gameplatform.core.errors import Unavailable
from gameplatform.tests.asgi_http import http, root_records

pytestmark = pytest.mark.django_db(transaction=True)


class DownApi(APIView):
    authentication_classes = permission_classes = ()

    def get(self, request):
        raise Unavailable()


class UpApi(APIView):
    authentication_classes = permission_classes = ()

    def get(self, request):
        logging.getLogger("gameplatform.tests.up").warning("answered")
        return Response({"ok": True})


urlpatterns = [path("api/down/", DownApi.as_view()), path("api/up/", UpApi.as_view())]


@pytest.fixture
def lines(settings):
    settings.ROOT_URLCONF = __name__
    with root_records() as records:
        yield records


async def test_every_line_of_a_503_answer_carries_the_request_id(lines):
    status, headers, body = await http("/api/down/", headers=[(b"x-request-id", b"req-503-lines")])
    assert status == 503 and json.loads(body)["code"] == "unavailable"
    assert headers[b"x-request-id"] == b"req-503-lines"
    errors = [r for r in lines if r.levelno >= logging.ERROR]
    assert [r.name for r in errors] == ["django.request"]  # "Service Unavailable: /api/down/"
    assert {(r.name, r.request_id) for r in lines} >= {
        ("django.request", "req-503-lines"),
        ("gameplatform.access", "req-503-lines"),
    }
    assert {r.request_id for r in lines} == {"req-503-lines"}


async def test_a_request_without_an_id_gets_one_and_every_line_has_it(lines):
    status, headers, _ = await http("/api/up/")
    assert status == 200
    request_id = headers[b"x-request-id"].decode()
    assert len(request_id) == 16
    assert {r.request_id for r in lines} == {request_id}


async def test_an_answer_of_the_bridge_alone_carries_the_request_id_and_its_access_line(lines, settings):
    settings.HTTP_MAX_BODY_BYTES = 1024
    status, headers, _ = await http(
        "/api/up/", method="POST", body=b"x" * 2048, headers=[(b"x-request-id", b"req-413-bridge")]
    )
    assert status == 413
    assert headers[b"x-request-id"] == b"req-413-bridge"
    access = [r for r in lines if r.name == "gameplatform.access"]
    assert [(r.status, r.request_id) for r in access] == [(413, "req-413-bridge")]
