"""Apps split into areas (``chat``: lobbies and dms; ``matchmaking``: queue and invites).

Each area is a subpackage with its own models, urls, routing, admin and demo
modules; the app-level module of the same name collects them with these helpers.
"""

from importlib import import_module
from importlib.util import find_spec
from types import ModuleType


def area_modules(app: str, areas: tuple[str, ...], module: str) -> list[ModuleType]:
    """``<app>.<area>.<module>`` for each area that has it, in order."""
    names = [f"{app}.{area}.{module}" for area in areas]
    return [import_module(name) for name in names if find_spec(name) is not None]


def collect(app: str, areas: tuple[str, ...], module: str, attribute: str) -> list:
    items = []
    for found in area_modules(app, areas, module):
        items += getattr(found, attribute)
    return items
