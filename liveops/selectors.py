"""Reads of live operations: flags, the version, and a player's attributes as rules see them."""

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from game.selectors import finished_games_played
from liveops.analytics.counts import event_count
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


SENT = ("country", "platform", "app_version", "custom")


def sent_and_events(*, user_id: int) -> tuple[dict, dict[str, int]]:
    """What the client last sent (``{}`` before it sent anything) and ``{name: count}`` of the
    events ``ANALYTICS_AUDIENCE_EVENTS`` names, in one query (a player's answer reads it)."""
    names = settings.ANALYTICS_AUDIENCE_EVENTS
    if not names:
        sent = attributes_of(user_id=user_id)
        return ({field: getattr(sent, field) for field in SENT} if sent else {}), {}
    counts = {f"events_{n}": event_count(name=name) for n, name in enumerate(names)}
    row = User.objects.filter(pk=user_id).values(*(f"playerattributes__{field}" for field in SENT), **counts).first()
    row = row or {}
    sent = {field: row.get(f"playerattributes__{field}") for field in SENT}
    return sent, {name: row.get(f"events_{n}", 0) for n, name in enumerate(names)}


def player_attributes(*, user) -> dict:
    """The attributes a rule's condition and bucketing read for ``user`` (GrowthBook's ``attributes``):
    what the server knows, read now, what the client last sent, and the counts of the events
    audiences read."""
    sent, events = sent_and_events(user_id=user.pk)
    return {
        "id": user.pk,
        "username": user.username,
        "is_guest": bool(user.is_guest),
        "is_premium": bool(user.is_premium),
        "created_days": (timezone.now() - user.date_joined).days,
        "level": player_level(user_id=user.pk),
        "games_played": finished_games_played(user_id=user.pk),
        "spent": spent_cents(user_id=user.pk),
        "country": sent.get("country") or "",
        "platform": sent.get("platform") or "",
        "app_version": sent.get("app_version") or "",
        "custom": sent.get("custom") or {},
        "events": events,
    }
