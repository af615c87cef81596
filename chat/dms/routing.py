from django.urls import path

from chat.dms.consumers import DirectMessageConsumer

websocket_urlpatterns = [
    path("ws/dm/<int:user_id>/", DirectMessageConsumer.as_asgi()),
]
