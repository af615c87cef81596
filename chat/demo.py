from chat.areas import AREAS
from gameplatform.areas import area_modules


def seed(*, users, stdout) -> None:
    for module in area_modules("chat", AREAS, "demo"):
        module.seed(users=users, stdout=stdout)


def clear() -> None:
    for module in reversed(area_modules("chat", AREAS, "demo")):
        module.clear()
