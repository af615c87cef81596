from django.urls import path

from chat.lobbies.consumers import LobbyConsumer

websocket_urlpatterns = [
    path("ws/lobbies/<int:lobby_id>/", LobbyConsumer.as_asgi()),
]
