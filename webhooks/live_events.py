"""Live events start and end by the clock, with nothing written: the ``webhooks.live_events``
timer looks each second at what runs (``liveops.schedule.running``) and sends
``live_event.started`` for an occurrence it has not seen running, ``live_event.ended`` for one it
saw that runs no more (ended, or its event deleted or moved). Each is sent once whichever runner
looks (a row per occurrence, unique; its end a conditional update), and a runner that was down
sends the ends it missed when it looks again. An occurrence that starts and ends between two
looks (shorter than a second, or inside a downtime) is not sent."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from gameplatform.chat.rooms import timestamp
from liveops.schedule import running
from webhooks.models import LiveEventOccurrence
from webhooks.services import endpoints_for, event_emit


def _data(*, live_event_id: int, name: str | None, value, starts_at, ends_at) -> dict:
    return {
        "live_event": {
            "id": live_event_id,
            "name": name,
            "value": value,
            "starts_at": timestamp(starts_at),
            "ends_at": timestamp(ends_at),
        }
    }


def live_events_look(now=None) -> int:
    """Send the starts and ends since the last look; how many were sent."""
    if not endpoints_for("live_event.started") and not endpoints_for("live_event.ended"):
        return 0
    now = now or timezone.now()
    occurrences = running.running(now)
    keys = {(o.event.pk, o.starts_at) for o in occurrences}
    sent = 0
    seen = set(LiveEventOccurrence.objects.filter(ended_at=None).values_list("live_event_id", "starts_at"))
    for occurrence in occurrences:
        event = occurrence.event
        if (event.pk, occurrence.starts_at) in seen:
            continue
        try:
            with transaction.atomic():
                LiveEventOccurrence.objects.create(
                    live_event_id=event.pk,
                    name=event.name,
                    value=event.value,
                    starts_at=occurrence.starts_at,
                    ends_at=occurrence.ends_at,
                )
                data = _data(
                    live_event_id=event.pk,
                    name=event.name,
                    value=event.value,
                    starts_at=occurrence.starts_at,
                    ends_at=occurrence.ends_at,
                )
                event_emit(type="live_event.started", data=data)
                sent += 1
        except IntegrityError:  # another runner saw it first (or saw it end already)
            continue
    for row in LiveEventOccurrence.objects.filter(ended_at=None).order_by("pk"):
        if (row.live_event_id, row.starts_at) in keys:
            continue
        with transaction.atomic():
            if LiveEventOccurrence.objects.filter(pk=row.pk, ended_at=None).update(ended_at=now) == 1:
                data = _data(
                    live_event_id=row.live_event_id,
                    name=row.name,
                    value=row.value,
                    starts_at=row.starts_at,
                    ends_at=row.ends_at,
                )
                event_emit(type="live_event.ended", data=data)
                sent += 1
    return sent
