from chat.areas import AREAS
from gameplatform.areas import collect

websocket_urlpatterns = collect("chat", AREAS, "routing", "websocket_urlpatterns")
