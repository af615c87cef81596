from importlib import import_module
from importlib.util import find_spec

# Each area of the app (lobbies, dms) registers its own admin classes.
for _area in ("lobbies", "dms"):
    if find_spec(f"chat.{_area}.admin") is not None:
        import_module(f"chat.{_area}.admin")
