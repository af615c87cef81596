"""A small consumer used only by the real-time kit's tests."""

import weakref

from django.urls import path

from gameplatform.core.errors import Forbidden
from gameplatform.http import serializers
from gameplatform.sockets.consumers import BaseConsumer


class EchoInput(serializers.Serializer):
    text = serializers.CharField(max_length=20)


class EchoConsumer(BaseConsumer):
    client_types = frozenset({"echo", "explode", "replace_me"})
    opened: list[weakref.ref] = []  # every socket opened, as weak references

    async def on_connect(self) -> None:
        self.opened.append(weakref.ref(self))
        if self.user.username == "mallory":
            raise Forbidden()
        await self.join_group("game_1")

    async def handle_echo(self, frame: dict) -> None:
        data = self.validate(EchoInput, frame)
        await self.send_frame({"type": "echo", "text": data["text"]})

    async def handle_explode(self, frame: dict) -> None:
        raise RuntimeError("boom")

    async def handle_replace_me(self, frame: dict) -> None:
        # Two reasons to end arriving together (a newer socket, and its subject deleted).
        await self.end(4409, "replaced", "A newer socket took over.")
        await self.end(4404, "not_found", "It is gone.")


test_urlpatterns = [path("ws/test/echo/", EchoConsumer.as_asgi())]
