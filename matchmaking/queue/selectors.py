from django.db.models import Count, QuerySet

from matchmaking.queue.models import QueueEntry


def modes_with_waiting_pairs() -> list[str]:
    return list(
        QueueEntry.objects.values("mode").annotate(n=Count("id")).filter(n__gte=2).values_list("mode", flat=True)
    )


def queue_entries(*, mode: str) -> QuerySet:
    return QueueEntry.objects.filter(mode=mode).select_related("user").order_by("joined_at", "id")
