from importlib import import_module
from importlib.util import find_spec

# Each area of the app (queue, invites) keeps its own timers.py; importing them registers their jobs.
for _area in ("queue", "invites"):
    if find_spec(f"matchmaking.{_area}.timers") is not None:
        import_module(f"matchmaking.{_area}.timers")
