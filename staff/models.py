"""The audit log: one row per staff action, never changed or deleted.

The database refuses UPDATE, DELETE and TRUNCATE of ``staff_auditentry``
(``migrations/0002_append_only.py``), so no code path, the admin and a raw SQL
statement included, can rewrite the record. That is also why ``staff`` is no
ordinary foreign key: ``SET_NULL`` on the user's deletion would be an UPDATE the
trigger refuses, and a constraint would block the deletion. It is kept without a
database constraint and without any ``on_delete`` work (``DO_NOTHING``, which also
keeps the entries out of the admin's "delete these related objects" page);
``staff_name`` is the name copied when the entry was written, so an entry still
says who acted after that user is gone (``staff_id`` then names no row).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who acted; empty for the system. May name a deleted user: read staff_name.",
    )
    staff_name = models.CharField(
        max_length=150, blank=True, help_text="The staff member's username, when it was written"
    )
    action = models.CharField(max_length=64, help_text='What was done: "sanction.mute", "admin.change", ...')
    target_type = models.CharField(max_length=64, help_text='What it was done to: "user", "game", "flag", ...')
    target_id = models.CharField(max_length=64, blank=True)
    target = models.CharField(max_length=200, blank=True, help_text="The target, for people")
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["action", "-at"], name="staff_audit_action_at"),
            models.Index(fields=["target_type", "target_id"], name="staff_audit_target"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.staff_name or 'system'} {self.action} {self.target_type}:{self.target_id}"
        )
