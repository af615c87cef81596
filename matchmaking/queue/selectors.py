from django.db.models import Count

from game.registry import mode_names
from matchmaking.models import QueueEntry


def modes_with_waiting_pairs() -> list[str]:
    return list(
        QueueEntry.objects.values("mode").annotate(n=Count("id")).filter(n__gte=2).values_list("mode", flat=True)
    )


def queue_lengths() -> dict[str, int]:
    """``{mode: players waiting}`` for every registered mode (0 when none wait)."""
    counts = dict(QueueEntry.objects.values_list("mode").annotate(n=Count("id")).order_by())
    return {mode: counts.get(mode, 0) for mode in mode_names()}
