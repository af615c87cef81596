from django.urls import path

from chat.dms.consumers import DirectMessageConsumer
from chat.lobbies.consumers import LobbyByNameConsumer, LobbyConsumer

websocket_urlpatterns = [
    path("ws/lobbies/<id:lobby_id>/", LobbyConsumer.as_asgi()),
    path("ws/dm/<id:user_id>/", DirectMessageConsumer.as_asgi()),
    # Seed 004's addresses: the lobby by its name, the DM socket by the friend's id.
    path("ws/chat/lobby/<str:lobby_name>/", LobbyByNameConsumer.as_asgi()),
    path("ws/chat/<id:user_id>/", DirectMessageConsumer.as_asgi()),
]
