"""This app's part of the player's data export (``accounts.exports``)."""

from accounts.exports import ExportPart, rows
from notifications.models import Notification


def notifications_part(user) -> list[dict]:
    return rows(Notification.objects.filter(user=user))


PARTS = {"notifications": ExportPart(notifications_part, covers=("notifications.Notification.user",))}
