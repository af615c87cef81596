"""This app's part of the player's data export (``accounts.exports``)."""

from accounts.exports import ExportPart, rows
from safety.models import Appeal, Report, Sanction


def reports_part(user) -> list[dict]:
    """The reports the player filed, without the evidence (other players' messages) or staff."""
    return rows(
        Report.objects.filter(reporter=user),
        leave_out=("evidence", "resolved_by_id", "claimed_by_id", "claimed_at"),
    )


def sanctions_part(user) -> dict:
    return {
        "sanctions": rows(Sanction.objects.filter(user=user), leave_out=("created_by_id", "lifted_by_id")),
        "appeals": rows(Appeal.objects.filter(sanction__user=user), leave_out=("decided_by_id",)),
    }


PARTS = {
    "reports": ExportPart(
        reports_part,
        covers=(
            "safety.Report.reporter",
            # Reports against the player are the reporters' data (their identity is protected);
            # the sanction they led to, with its statement of reasons, is exported.
            "safety.Report.user",
            # Staff's work on reports and sanctions is the studio's record, not the staff's data.
            "safety.Report.resolved_by",
            "safety.Report.claimed_by",
        ),
    ),
    "sanctions": ExportPart(
        sanctions_part,
        covers=(
            "safety.Sanction.user",
            "safety.Sanction.created_by",
            "safety.Sanction.lifted_by",
            "safety.Appeal.decided_by",
        ),
    ),
}
