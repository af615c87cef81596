"""The outbox: an event that happened (one row, its body as sent) and a delivery of it to each
endpoint of ``WEBHOOKS`` that listens to its type. Both are written in the transaction of the
change that caused them, so a change that commits is sent and one that rolls back is not."""

from django.db import models


class Event(models.Model):
    """What the platform says happened: ``{id, type, created_at, data}``, kept as the body sent."""

    type = models.CharField(max_length=64)
    body = models.TextField()  # the JSON sent, byte for byte the same on every attempt
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk}"


class Delivery(models.Model):
    """One event to one endpoint: pending until a 2xx (delivered) or its give-up time (failed)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    url = models.URLField(max_length=2000)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # The next attempt's time; a claimed delivery's is pushed past its attempt's longest time, so a
    # deliverer that dies mid-attempt leaves it due again, never lost.
    next_attempt_at = models.DateTimeField()
    give_up_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)  # the receiver's HTTP status
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "url"], name="webhooks_delivery_once_per_endpoint"),
            models.CheckConstraint(
                condition=~models.Q(status="delivered") | models.Q(delivered_at__isnull=False),
                name="webhooks_delivery_delivered_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(status="pending"), name="webhooks_delivery_due_idx"
            )
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.event_id} to {self.url} ({self.status})"


class LiveEventOccurrence(models.Model):
    """An occurrence of a live event seen running (its ``live_event.started`` sent), until it is
    seen over (``ended_at``, its ``live_event.ended`` sent): each once, whichever runner looks."""

    live_event_id = models.PositiveBigIntegerField()  # no key: the event may be deleted while it runs
    name = models.CharField(max_length=200)
    value = models.JSONField(null=True, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["live_event_id", "starts_at"], name="webhooks_occurrence_once")]
        indexes = [models.Index(fields=["live_event_id"], condition=models.Q(ended_at=None), name="webhooks_open_idx")]

    def __str__(self) -> str:
        return f"live event {self.live_event_id} at {self.starts_at}"
