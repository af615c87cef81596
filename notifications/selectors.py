from django.db.models import QuerySet

from notifications import hooks
from notifications.models import Notification


def notification_list(*, user_id: int, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user_id=user_id)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def badge_counts(*, user_id: int) -> dict:
    """The counts behind the ``badge`` frame, each from the app that registered it (``hooks.badge_count``)."""
    return hooks.badge_count.answers(user_id=user_id)
