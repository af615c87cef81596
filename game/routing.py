from django.urls import path

from game.consumers import GameConsumer

websocket_urlpatterns = [
    path("ws/game/<id:game_id>/", GameConsumer.as_asgi()),
]
