from importlib import import_module
from importlib.util import find_spec

_AREAS = ("lobbies", "dms")


def _modules():
    return [import_module(f"chat.{area}.demo") for area in _AREAS if find_spec(f"chat.{area}.demo") is not None]


def seed(*, users, stdout) -> None:
    for module in _modules():
        module.seed(users=users, stdout=stdout)


def clear() -> None:
    for module in reversed(_modules()):
        module.clear()
