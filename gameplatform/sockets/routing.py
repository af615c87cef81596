"""All WebSocket routes: each project app's ``routing.websocket_urlpatterns``, combined."""

from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.urls import re_path

from gameplatform.sockets.consumers import CLOSE_NOT_FOUND, BaseConsumer


class UnknownRouteConsumer(BaseConsumer):
    """Any other path, under ``/ws/`` or not (``/``, ``/api/me/``): accepted, then closed with
    4404, with or without credentials; never an HTTP error."""

    async def connect(self) -> None:
        self.groups_joined = set()
        self._expiry = None
        await self._refuse(CLOSE_NOT_FOUND)


def collect_websocket_urlpatterns() -> list:
    patterns = []
    for app in settings.PROJECT_APPS:
        if find_spec(f"{app}.routing") is not None:
            patterns += import_module(f"{app}.routing").websocket_urlpatterns
    return [*patterns, re_path(r"^", UnknownRouteConsumer.as_asgi())]
