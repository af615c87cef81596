from importlib import import_module
from importlib.util import find_spec

# Each area of the app (queue, invites) keeps its own urls.py; they are served together.
urlpatterns = []
for _area in ("queue", "invites"):
    if find_spec(f"matchmaking.{_area}.urls") is not None:
        urlpatterns += import_module(f"matchmaking.{_area}.urls").urlpatterns
