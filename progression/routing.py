from django.urls import path

from progression.consumers import BattleConsumer

websocket_urlpatterns = [
    path("ws/battle/<id:battle_id>/", BattleConsumer.as_asgi()),
]
