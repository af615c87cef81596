"""Payload builders for notification-socket frames (pure functions)."""

from notifications.models import Notification


def notification_frame(notification: Notification) -> dict:
    return {
        "type": "notification",
        "id": notification.pk,
        "kind": notification.kind,
        "payload": notification.payload,
        "created_at": notification.created_at,
    }


def badge_frame(counts: dict) -> dict:
    return {"type": "badge", **counts}
