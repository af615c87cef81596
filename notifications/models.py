from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class Notification(models.Model):
    """Something a user should see even if no socket of theirs was open when it happened.

    ``kind`` is free text owned by the sending app; known kinds: ``friend_request``,
    ``friend_accepted`` (friends), ``invite_received`` (invites), ``dm_received`` (DMs while away),
    ``tournament_ended`` (leaderboards).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)
    payload = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notif_user_created"),
            models.Index(
                fields=["user", "-created_at"], condition=models.Q(read_at__isnull=True), name="notif_user_unread"
            ),
        ]
        constraints = [models.CheckConstraint(condition=~models.Q(kind=""), name="notification_kind_not_empty")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"
