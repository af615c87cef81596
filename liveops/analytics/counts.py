"""How many events of a name a player sent, ever, as one SQL expression over the accounts'
table (``events.<name>`` in a player's attributes): the daily roll-up's counts, plus the raw
events received since its boundary (the raw events of rolled-up days, kept until their
retention ends, are in the roll-up already). The boundary is read in the same statement, so a
roll-up committing meanwhile is seen whole or not at all."""

from datetime import UTC, datetime

from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.expressions import Expression
from django.db.models.functions import Coalesce

from liveops.analytics.models import AnalyticsDay, AnalyticsEvent, AnalyticsRollup

_BEFORE_EVERYTHING = datetime(1970, 1, 1, tzinfo=UTC)


def raw_from() -> Expression:
    boundary = AnalyticsRollup.objects.filter(pk=1).values("raw_from")
    return Coalesce(Subquery(boundary), Value(_BEFORE_EVERYTHING))


def event_count(*, name: str, user_ref: str = "pk") -> Expression:
    """The count of ``name`` events of the player ``OuterRef(user_ref)``: two index lookups."""
    rolled = (
        AnalyticsDay.objects.filter(user_id=OuterRef(user_ref), name=name)
        .values("user_id")
        .annotate(total=Sum("count"))
        .values("total")
    )
    raw = (
        AnalyticsEvent.objects.filter(user_id=OuterRef(user_ref), name=name, received_at__gte=raw_from())
        .values("user_id")
        .annotate(total=Count("pk"))
        .values("total")
    )
    zero = Value(0)
    return Coalesce(Subquery(rolled, output_field=IntegerField()), zero) + Coalesce(
        Subquery(raw, output_field=IntegerField()), zero
    )
