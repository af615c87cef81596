from django.urls import path

from friends.consumers import FriendStatusConsumer

websocket_urlpatterns = [
    path("ws/friends/status/", FriendStatusConsumer.as_asgi()),
]
