"""Analytics events the clients send, each kept once per player and client id, for
``ANALYTICS_RAW_DAYS``; and their daily roll-up, kept for good: per day, event name and player,
how many, the sum of their values and the last one's time, added an hour at a time
(``liveops.analytics.services``)."""

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
    received_at = models.DateTimeField(default=timezone.now)  # the server's clock (results and roll-ups read it)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "client_id"], name="liveops_event_user_client_id")]
        indexes = [
            models.Index(fields=["name", "user", "received_at"], name="liveops_event_goal_idx"),
            models.Index(fields=["received_at"], name="liveops_event_received_idx"),  # a day's roll-up, retention
        ]

    def __str__(self) -> str:
        return f"{self.name} by {self.user_id}"


class AnalyticsDay(models.Model):
    """One player's events of one name on one day (UTC, by ``received_at``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    day = models.DateField()
    count = models.PositiveIntegerField()
    value_sum = models.FloatField(null=True, blank=True)  # null when none of them had a value
    last_at = models.DateTimeField()  # the latest ``received_at``: a conversion after an exposure

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "name", "day"], name="liveops_event_day_unique")]

    def __str__(self) -> str:
        return f"{self.count} {self.name} by {self.user_id} on {self.day}"


class AnalyticsRollup(models.Model):
    """One row: where the roll-up stands. Events received before ``raw_from`` (the start of an
    hour) are in ``AnalyticsDay``; later ones only in ``AnalyticsEvent``. It only moves forward."""

    raw_from = models.DateTimeField(null=True, blank=True)  # null: nothing rolled up yet

    def __str__(self) -> str:
        return f"events rolled up before {self.raw_from}"
