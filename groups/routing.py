from django.urls import path

from groups.consumers import GroupConsumer

websocket_urlpatterns = [
    path("ws/groups/<id:group_id>/", GroupConsumer.as_asgi()),
]
