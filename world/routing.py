from django.urls import path

from world.consumers import WorldConsumer

websocket_urlpatterns = [
    path("ws/world/", WorldConsumer.as_asgi()),
    # The seed's own path (``/ws``; the trailing slash is added for every socket route).
    path("ws/", WorldConsumer.as_asgi()),
]
