"""The inbox: a message staff write for the players a condition matches, and each player's copy."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Message(models.Model):
    """Delivered from ``send_at`` on to every player whose attributes match ``condition`` (a
    GrowthBook condition; ``{}`` matches everyone); ``sent_at`` is set once the delivery is done.
    ``grants`` (``{gold, gems, items: [{item_id, quantity}]}``, None for none) is what each player
    may claim once, until ``expires_at`` (None: no end)."""

    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    condition = models.JSONField(default=dict, blank=True)
    send_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    grants = models.JSONField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # The id of the last player the delivery has tried: it goes on from there, a chunk a timer round.
    delivered_through = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["send_at"], condition=Q(sent_at__isnull=True), name="liveops_message_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("send_at")),
                name="liveops_message_expires_after_send",
            )
        ]

    def __str__(self) -> str:
        return self.title


class InboxEntry(models.Model):
    """A message in one player's inbox: at most one per message and player (a second delivery
    inserts nothing); ``claimed_at`` is set once, by the claim that granted its gifts."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "inbox entries"
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="liveops_inbox_message_user")]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="liveops_inbox_user_idx"),
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="liveops_inbox_unread_idx"),
        ]

    def __str__(self) -> str:
        return f"message {self.message_id} to {self.user_id}"
