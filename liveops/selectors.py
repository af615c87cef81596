"""Reads of live operations: flags, the version, and a player's attributes as rules see them."""

from django.db.models import QuerySet
from django.utils import timezone

from game.selectors import finished_games_played
from liveops.models import Flag, LiveopsVersion, PlayerAttributes
from payments.selectors import spent_cents
from progression.selectors import player_level


def flag_list() -> QuerySet[Flag]:
    return Flag.objects.order_by("name")


def flag_rows() -> list[tuple[str, object, list]]:
    """``(name, default_value, rules)`` of every flag, by name (what the cache compiles)."""
    return list(Flag.objects.order_by("name").values_list("name", "default_value", "rules"))


def liveops_version() -> int:
    """The version of what players see: 0 before its first change."""
    return LiveopsVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def attributes_of(*, user_id: int) -> PlayerAttributes | None:
    return PlayerAttributes.objects.filter(user_id=user_id).first()


def player_attributes(*, user) -> dict:
    """The attributes a rule's condition and bucketing read for ``user`` (GrowthBook's ``attributes``):
    what the server knows, read now, and what the client last sent."""
    sent = attributes_of(user_id=user.pk)
    return {
        "id": user.pk,
        "username": user.username,
        "is_guest": bool(user.is_guest),
        "is_premium": bool(user.is_premium),
        "created_days": (timezone.now() - user.date_joined).days,
        "level": player_level(user_id=user.pk),
        "games_played": finished_games_played(user_id=user.pk),
        "spent": spent_cents(user_id=user.pk),
        "country": sent.country if sent else "",
        "platform": sent.platform if sent else "",
        "app_version": sent.app_version if sent else "",
        "custom": sent.custom if sent else {},
    }
