from matchmaking.areas import AREAS
from gameplatform.areas import collect

websocket_urlpatterns = collect("matchmaking", AREAS, "routing", "websocket_urlpatterns")
