"""Player safety: reports with their evidence, sanctions with their statements, appeals.

A report keeps its evidence as it was when it was filed (``evidence``: the context's last
messages, a game's players and inputs, the target's history), so a message deleted later still
shows. A sanction is the one record of a restriction: its end is its own (``ends_at``), so it
ends by itself; staff lift it sooner, or a reversal on appeal does (``lifted_at``, with who
lifted it and why); it keeps its statement of reasons (``rule``, ``ground``, ``facts``,
``automated``: ``safety.rules``). A reporter's later reports of the same user, while the first is
open, are added to its evidence (``evidence["added"]``). Appeals: one per sanction. A claim on a report holds for
``REPORT_CLAIM_MINUTES`` from ``claimed_at`` (``safety.reports``), then lapses by itself.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Report(models.Model):
    class Reason(models.TextChoices):
        CHEATING = "cheating"
        HARASSMENT = "harassment"
        HATE = "hate"
        SPAM = "spam"
        INAPPROPRIATE_NAME = "inappropriate_name"
        OTHER = "other"

    class Status(models.TextChoices):
        OPEN = "open"
        ACTIONED = "actioned"
        DISMISSED = "dismissed"

    # Null: filed by the platform itself (a classifier's flag), or the reporter's account is gone.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports_filed"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_against")
    reason = models.CharField(max_length=32, choices=Reason.choices)
    comment = models.TextField(max_length=1000, blank=True)
    context = models.JSONField(default=dict, blank=True)  # {"lobby_id": 3} ... as the reporter sent it
    evidence = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The staff member working it (the admin queue's claim), until it is resolved.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)  # the claim lapses REPORT_CLAIM_MINUTES after
    sanction = models.ForeignKey("Sanction", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One open report of a user by a reporter: a second one answers the first.
            models.UniqueConstraint(
                fields=["reporter", "user"], condition=Q(status="open"), name="safety_report_one_open_per_pair"
            ),
        ]

    def __str__(self) -> str:
        # The admin's heading for the report: the player by name, as staff know them.
        return f"report {self.pk}: {self.reason} against {self.user.username}"


class Sanction(models.Model):
    class Action(models.TextChoices):
        WARN = "warn"
        MUTE = "mute"
        SUSPEND = "suspend"
        BAN = "ban"

    # Kept when the player deletes their account (the DSA's record of decisions), without them.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="sanctions")
    action = models.CharField(max_length=16, choices=Action.choices)
    statement = models.TextField(max_length=2000)
    starts_at = models.DateTimeField(db_index=True)
    # Null: a warning (nothing to end) or a ban (no end).
    ends_at = models.DateTimeField(null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)  # lifted by staff, or reversed on appeal
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_statement = models.TextField(max_length=2000, blank=True)  # why it was lifted: the player reads it
    # Its statement of reasons beside ``statement`` (DSA Art. 17, ``safety.rules``): the rule broken
    # (its key and its text as it was then), the facts it concerns, and whether automated means decided it.
    rule = models.CharField(max_length=64, blank=True)
    ground = models.TextField(max_length=1000, blank=True)
    facts = models.TextField(max_length=2000, blank=True)
    automated = models.BooleanField(default=False)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["action", "ends_at"], name="safety_sanction_running_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=["warn", "ban"], ends_at__isnull=True)
                | Q(action__in=["mute", "suspend"], ends_at__isnull=False),
                name="safety_sanction_end_fits_action",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} of {self.user.username if self.user_id else 'a deleted player'}"


class Appeal(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        UPHELD = "upheld"
        REVERSED = "reversed"

    # One appeal per sanction, decided by the database.
    sanction = models.OneToOneField(Sanction, on_delete=models.CASCADE, related_name="appeal")
    text = models.TextField(max_length=2000)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    statement = models.TextField(max_length=2000, blank=True)  # the decision's reasons
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"appeal of sanction {self.sanction_id}"
