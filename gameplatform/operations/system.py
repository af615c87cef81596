"""System routes: health and version."""

import logging
import time

from django.conf import settings
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from gameplatform import STARTED_AT
from gameplatform.broadcast.realtime import channel_layer_roundtrip
from gameplatform.core.errors import UNAVAILABLE_RETRY_AFTER
from gameplatform.data import db
from gameplatform.data.redis import get_redis, redis_enabled
from gameplatform.http import serializers
from gameplatform.sockets import presence

logger = logging.getLogger(__name__)


def _check(name: str, check) -> str:
    try:
        return "ok" if check() else "error"
    except Exception:
        logger.exception("status check %s failed", name)
        return "error"


def _redis_ok() -> bool:
    return bool(get_redis().ping())


def _online_users() -> int | None:
    try:
        return presence.online_count()
    except Exception:
        logger.warning("status: online users not counted", exc_info=True)
        return None


def _database_ok() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


class StatusApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        responses={
            200: inline_serializer(
                "Status",
                {
                    "status": serializers.ChoiceField(["ok", "degraded"]),
                    "version": serializers.CharField(),
                    "uptime_s": serializers.FloatField(),
                    "database": serializers.ChoiceField(["ok", "error"]),
                    "channel_layer": serializers.ChoiceField(["ok", "error"]),
                    # "disabled": the embedded setup, without Redis.
                    "redis": serializers.ChoiceField(["ok", "error", "disabled"]),
                    "online_users": serializers.IntegerField(allow_null=True),
                },
            )
        },
        tags=["system"],
    )
    def get(self, request):
        database = _check("database", _database_ok)
        redis = _check("redis", _redis_ok) if redis_enabled() else "disabled"
        layer = _check("channel_layer", lambda: db.await_on_loop(channel_layer_roundtrip(2.0, "status"), timeout=3.0))
        body = {
            "status": "ok" if database == layer == "ok" and redis != "error" else "degraded",
            "version": settings.VERSION,
            "uptime_s": round(time.monotonic() - STARTED_AT, 1),
            "database": database,
            "channel_layer": layer,
            "redis": redis,
            # None when Redis (where presence lives) cannot be reached.
            "online_users": _online_users() if redis != "error" else None,
        }
        response = Response(body, status=200 if body["status"] == "ok" else 503)
        if body["status"] != "ok":
            response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
        return response
