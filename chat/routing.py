from importlib import import_module
from importlib.util import find_spec

# Each area of the app (lobbies, dms) keeps its own routing.py; they are served together.
websocket_urlpatterns = []
for _area in ("lobbies", "dms"):
    if find_spec(f"chat.{_area}.routing") is not None:
        websocket_urlpatterns += import_module(f"chat.{_area}.routing").websocket_urlpatterns
