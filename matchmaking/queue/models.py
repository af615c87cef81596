from django.conf import settings
from django.db import models

__all__ = ["QueueEntry"]


class QueueEntry(models.Model):
    """A player waiting for a match. The row is the queue: it survives reconnects and restarts."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="queue_entry")
    mode = models.CharField(max_length=32)
    rating = models.IntegerField()  # the player's rating in ``mode`` when they joined
    joined_at = models.DateTimeField()

    class Meta:
        app_label = "matchmaking"
        ordering = ["joined_at", "id"]
        verbose_name_plural = "queue entries"
        indexes = [models.Index(fields=["mode", "joined_at", "id"], name="queue_mode_wait_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} waiting for {self.mode}"
