"""A textbook Channels room, for comparison only: one group membership and one JSON encoding per socket.

DJANGO_SETTINGS_MODULE=bench.textbook_settings daphne -p 8011 bench.textbook_asgi:application
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.textbook_settings")

from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.urls import path  # noqa: E402

django_app = get_asgi_application()


class TextbookRoom(AsyncJsonWebsocketConsumer):
    channel_layer_alias = "textbook"

    async def connect(self):
        await self.channel_layer.group_add("bench", self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard("bench", self.channel_name)

    async def bench_event(self, event):
        await self.send_json(event["payload"])


application = ProtocolTypeRouter(
    {"http": django_app, "websocket": URLRouter([path("ws/textbook/", TextbookRoom.as_asgi())])}
)
