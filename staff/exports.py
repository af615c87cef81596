"""This app's part of the player's data export (``accounts.exports``)."""

from accounts.exports import ExportPart, rows
from staff.models import AuditEntry


def staff_part(user) -> list[dict]:
    """A staff member's own actions in the audit log (empty for players)."""
    return rows(AuditEntry.objects.filter(staff=user))


PARTS = {"staff_actions": ExportPart(staff_part, covers=("staff.AuditEntry.staff",))}
