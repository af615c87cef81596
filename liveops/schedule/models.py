"""A live event and who joined which occurrence of it."""

from django.conf import settings
from django.db import models


class LiveEvent(models.Model):
    """A time when players matching ``condition`` see ``value`` and the flags' ``overrides``: once,
    from ``starts_at`` to ``ends_at``, or, with a ``recurrence`` (cron, read in ``timezone``: an
    IANA name, or ``player`` for each player's own), for ``duration_seconds`` from each of its
    times between ``starts_at`` and ``ends_at``."""

    AUTO, EXPLICIT = "auto", "explicit"
    JOIN_CHOICES = [(AUTO, "auto"), (EXPLICIT, "explicit")]

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    value = models.JSONField(null=True, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    recurrence = models.CharField(max_length=100, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    timezone = models.CharField(
        max_length=64, default="UTC", blank=True
    )  # blank: UTC; where ``recurrence`` is read (``running``)
    condition = models.JSONField(default=dict, blank=True)
    join = models.CharField(max_length=8, choices=JOIN_CHOICES, default=AUTO)
    overrides = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="liveops_live_event_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["ends_at"], name="liveops_live_event_ends_idx")]

    def __str__(self) -> str:
        return self.name


class LiveEventJoin(models.Model):
    event = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="joins")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    occurrence_start = models.DateTimeField()
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "user", "occurrence_start"], name="liveops_live_event_join_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.event_id} at {self.occurrence_start}"
