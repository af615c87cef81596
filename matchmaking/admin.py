from importlib import import_module
from importlib.util import find_spec

# Each area of the app (queue, invites) registers its own admin classes.
for _area in ("queue", "invites"):
    if find_spec(f"matchmaking.{_area}.admin") is not None:
        import_module(f"matchmaking.{_area}.admin")
