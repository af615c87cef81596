from importlib import import_module
from importlib.util import find_spec

# Each area of the app (lobbies, dms) keeps its own urls.py; they are served together.
urlpatterns = []
for _area in ("lobbies", "dms"):
    if find_spec(f"chat.{_area}.urls") is not None:
        urlpatterns += import_module(f"chat.{_area}.urls").urlpatterns
