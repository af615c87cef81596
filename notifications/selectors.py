from django.db.models import QuerySet

from chat.dms.selectors import unread_dm_count
from friends.selectors import pending_request_count
from matchmaking.invites.selectors import pending_invite_count
from notifications.models import Notification


def notification_list(*, user_id: int, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user_id=user_id)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def badge_counts(*, user_id: int) -> dict:
    """The counts behind the ``badge`` frame, each from the app that owns it."""
    return {
        "unread_dms": unread_dm_count(user_id=user_id),
        "pending_invites": pending_invite_count(user_id=user_id),
        "pending_friend_requests": pending_request_count(user_id=user_id),
    }
