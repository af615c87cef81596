from django.db.models import Count

from matchmaking.models import QueueEntry


def modes_with_waiting_pairs() -> list[str]:
    return list(
        QueueEntry.objects.values("mode").annotate(n=Count("id")).filter(n__gte=2).values_list("mode", flat=True)
    )
