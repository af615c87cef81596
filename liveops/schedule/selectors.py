"""Reads of live events: the staff's list, the events not yet over, which occurrences a player joined."""

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from liveops.schedule.models import LiveEvent, LiveEventJoin


def live_event_list() -> QuerySet[LiveEvent]:
    return LiveEvent.objects.order_by("-starts_at", "-id")


def live_event_get(*, event_id: int) -> LiveEvent | None:
    return LiveEvent.objects.filter(pk=event_id).first()


def live_events_not_over() -> list[LiveEvent]:
    """The events whose time is not over (what each process keeps, ``running``): indexed on ``ends_at``."""
    return list(LiveEvent.objects.filter(ends_at__gt=timezone.now()).order_by("id"))


def joined_occurrences(*, user_id: int, occurrences: list[tuple[int, datetime]]) -> set[tuple[int, datetime]]:
    """Which of ``(event id, occurrence start)`` the user joined."""
    if not occurrences:
        return set()
    rows = LiveEventJoin.objects.filter(
        user_id=user_id, event_id__in=[e for e, _ in occurrences], occurrence_start__in=[s for _, s in occurrences]
    ).values_list("event_id", "occurrence_start")
    return set(rows) & set(occurrences)
