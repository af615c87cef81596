from importlib import import_module
from importlib.util import find_spec

# Each area of the app (queue, invites) keeps its own routing.py; they are served together.
websocket_urlpatterns = []
for _area in ("queue", "invites"):
    if find_spec(f"matchmaking.{_area}.routing") is not None:
        websocket_urlpatterns += import_module(f"matchmaking.{_area}.routing").websocket_urlpatterns
