from gameplatform.areas import area_modules
from matchmaking.areas import AREAS


def seed(*, users, stdout) -> None:
    for module in area_modules("matchmaking", AREAS, "demo"):
        module.seed(users=users, stdout=stdout)


def clear() -> None:
    for module in reversed(area_modules("matchmaking", AREAS, "demo")):
        module.clear()
