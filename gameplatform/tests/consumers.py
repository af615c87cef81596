"""A small consumer used only by the real-time kit's tests."""

from django.urls import path
from rest_framework import serializers

from gameplatform.consumers import BaseConsumer
from gameplatform.errors import Forbidden


class EchoInput(serializers.Serializer):
    text = serializers.CharField(max_length=20)


class EchoConsumer(BaseConsumer):
    client_types = frozenset({"echo", "explode"})

    async def on_connect(self) -> None:
        if self.user.username == "mallory":
            raise Forbidden()
        await self.join_group("game_1")

    async def handle_echo(self, frame: dict) -> None:
        data = self.validate(EchoInput, frame)
        await self.send_frame({"type": "echo", "text": data["text"]})

    async def handle_explode(self, frame: dict) -> None:
        raise RuntimeError("boom")


test_urlpatterns = [path("ws/test/echo/", EchoConsumer.as_asgi())]
