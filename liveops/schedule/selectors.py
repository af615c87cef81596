"""Reads of live events: the staff's list, the events not yet over, which occurrences a player joined."""

from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.expressions import Expression
from django.utils import timezone

from liveops.schedule.models import LiveEvent, LiveEventJoin


def live_event_list() -> QuerySet[LiveEvent]:
    return LiveEvent.objects.order_by("-starts_at", "-id")


def live_event_get(*, event_id: int) -> LiveEvent | None:
    return LiveEvent.objects.filter(pk=event_id).first()


def live_events_not_over() -> list[LiveEvent]:
    """The events whose time is not over (what each process keeps, ``running``): indexed on ``ends_at``."""
    return list(LiveEvent.objects.filter(ends_at__gt=timezone.now()).order_by("id"))


def joined_of(*, event_id: int, occurrence_start: datetime, user_ref: str = "pk") -> Expression:
    """Whether the user ``OuterRef(user_ref)`` joined an occurrence, as an expression of a query over users."""
    user = OuterRef(user_ref)
    return Exists(LiveEventJoin.objects.filter(user_id=user, event_id=event_id, occurrence_start=occurrence_start))
