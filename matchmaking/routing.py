from gameplatform.areas import collect
from matchmaking.areas import AREAS

websocket_urlpatterns = collect("matchmaking", AREAS, "routing", "websocket_urlpatterns")
