from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

__all__ = ["DirectMessage"]

DM_MAX_LENGTH = 2000


class DirectMessage(models.Model):
    """One message between two users; ``read_at`` is set when the recipient reads the conversation."""

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dms_sent")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dms_received")
    content = models.TextField(max_length=DM_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # History of one conversation (both directions), newest first by id.
            models.Index(fields=["sender", "recipient", "id"], name="dm_pair_id_idx"),
            # Unread counts: only unread rows are indexed.
            models.Index(
                fields=["recipient", "sender"], condition=models.Q(read_at__isnull=True), name="dm_unread_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(sender=models.F("recipient")), name="dm_not_self"),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("content"), 1) & LessThanOrEqual(Length("content"), DM_MAX_LENGTH),
                name="dm_content_length",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender_id} -> {self.recipient_id}: {self.content[:40]}"
