"""Shared by the matchmaking and game bench scripts: Django set-up and throwaway bench users."""

import os
import sys
from pathlib import Path


def django_setup() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameplatform.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import warnings

    import django

    warnings.filterwarnings("ignore", module="jwt")
    django.setup()


def make_users(prefix: str, count: int) -> list:
    """``count`` fresh users named ``<prefix>_<n>`` (previous ones removed) and an access token for each."""
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User

    User.objects.filter(username__startswith=f"{prefix}_").delete()
    users = User.objects.bulk_create(
        [User(username=f"{prefix}_{n}", email=f"{prefix}_{n}@bench.invalid", password="!") for n in range(count)]
    )
    users = list(User.objects.filter(username__startswith=f"{prefix}_").order_by("id"))
    return [(user, str(AccessToken.for_user(user))) for user in users]


def drop_users(prefix: str) -> None:
    from accounts.models import User

    User.objects.filter(username__startswith=f"{prefix}_").delete()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]
