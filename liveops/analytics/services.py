"""Recording the analytics events a client sends. An event is kept once per player and client id:
the ids already stored are read in one query, the new ones inserted in one ``INSERT … ON CONFLICT
DO NOTHING`` (so two requests racing with the same ids still store each once: the unique
constraint decides; only the counts they answer could then both call an event new)."""

from django.db import transaction

from accounts.models import User
from liveops.analytics.models import AnalyticsEvent


@transaction.atomic
def events_record(*, user: User, events: list[dict]) -> tuple[int, int]:
    """Store ``events`` (each ``{id, name, timestamp, value, metadata}``, validated); answer
    ``(accepted, duplicates)``: an id stored before, or repeated in the batch, is a duplicate."""
    fresh: dict[str, dict] = {}
    for event in events:
        fresh.setdefault(event["id"], event)
    stored = set(
        AnalyticsEvent.objects.filter(user=user, client_id__in=list(fresh)).values_list("client_id", flat=True)
    )
    new = [
        AnalyticsEvent(
            user=user,
            client_id=client_id,
            name=event["name"],
            timestamp=event["timestamp"],
            value=event.get("value"),
            metadata=event.get("metadata") or {},
        )
        for client_id, event in fresh.items()
        if client_id not in stored
    ]
    AnalyticsEvent.objects.bulk_create(new, ignore_conflicts=True)
    return len(new), len(events) - len(new)
