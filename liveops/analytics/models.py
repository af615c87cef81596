"""Analytics events the clients send, each kept once per player and client id."""

from django.conf import settings
from django.db import models
from django.utils import timezone

CLIENT_ID_MAX = 64


class AnalyticsEvent(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client_id = models.CharField(max_length=CLIENT_ID_MAX)  # the client's id: a resend is the same event
    name = models.CharField(max_length=100)
    timestamp = models.DateTimeField()  # the client's clock
    value = models.FloatField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(default=timezone.now)  # the server's clock (experiment results read it)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "client_id"], name="liveops_event_user_client_id")]
        indexes = [models.Index(fields=["name", "user", "received_at"], name="liveops_event_goal_idx")]

    def __str__(self) -> str:
        return f"{self.name} by {self.user_id}"
