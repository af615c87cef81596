"""Identity reads."""

from django.db.models import QuerySet

from accounts.models import User
from identities.models import Identity


def identity_get(*, provider: str, subject: str) -> Identity | None:
    return Identity.objects.filter(provider=provider, subject=subject).select_related("user").first()


def identity_list_for_user(*, user: User) -> QuerySet[Identity]:
    return Identity.objects.filter(user=user).order_by("linked_at", "id")
