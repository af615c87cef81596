"""Notifications: what other apps call to reach a user's notification socket.

``notify`` persists a notification (unless ``persist=False``) and sends it as a
``notification`` frame after commit. ``badge_push`` sends a fresh ``badge`` frame
after commit, its counts read at that moment, so it never shows a rolled-back
change and never lags behind the change that asked for it.
"""

import logging

from django.db import transaction
from django.utils import timezone

from gameplatform.broadcast.groups import user_group
from gameplatform.broadcast.realtime import send_now, send_to_user
from notifications import events
from notifications.models import Notification
from notifications.selectors import badge_counts

logger = logging.getLogger(__name__)


def notify(*, user_id: int, kind: str, payload: dict, persist: bool = True) -> None:
    """Tell a user something (friend request, invite, DM while away...), after commit."""
    if persist:
        notification = Notification.objects.create(user_id=user_id, kind=kind, payload=payload)
        send_to_user(user_id, events.notification_frame(notification))
        return
    frame = {"type": "notification", "id": None, "kind": kind, "payload": payload, "created_at": timezone.now()}
    send_to_user(user_id, frame)


def badge_push(*, user_id: int) -> None:
    """Send the user a fresh ``badge`` frame (after commit), e.g. after a DM or an invite."""
    transaction.on_commit(lambda: _badge_send(user_id), robust=True)


def _badge_send(user_id: int) -> None:
    frame = events.badge_frame(badge_counts(user_id=user_id))
    send_now(user_group(user_id), frame)


@transaction.atomic
def notifications_mark_read(*, user_id: int, ids: list[int] | None = None, all: bool = False) -> int:
    """Mark some (``ids``) or all of a user's unread notifications read; return how many changed."""
    unread = Notification.objects.filter(user_id=user_id, read_at__isnull=True)
    if not all:
        unread = unread.filter(pk__in=ids or [])
    return unread.update(read_at=timezone.now())
