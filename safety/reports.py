"""Reports: a player reports a player; staff work the queue and resolve each report."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from gameplatform.errors import ApplicationError, Conflict, NotFound
from gameplatform.ratelimit import Budget
from safety.evidence import context_clean, evidence_take
from safety.models import Report
from safety.sanctions import sanction_impose
from staff import audit

# Reports filed per reporter: 10 an hour (429 ``rate_limited`` past them).
REPORTS_RATE = Budget("reports:user", limit=10, window=3600.0, what="reports")
RESOLUTIONS = ("dismiss", "warn", "mute", "suspend", "ban")


def report_file(*, reporter, user_id: int, reason: str, comment: str = "", context=None) -> tuple[Report, bool]:
    """File a report with its evidence taken now; ``(report, created)``. A second open report of
    the same user by the same reporter answers the first (created False) and spends nothing.
    ``reporter`` None: the platform's own flag (a classifier), never rate-limited."""
    reporter_id = getattr(reporter, "pk", None)
    if reporter_id is not None and reporter_id == user_id:
        raise ApplicationError("You cannot report yourself.", code="cannot_report_self")
    if not User.objects.filter(pk=user_id).exists():
        raise NotFound("No such user.", code="user_not_found")
    if reason not in Report.Reason.values:
        raise ApplicationError(
            "Unknown reason.",
            code="invalid",
            extra={"fields": {"reason": [f"One of {', '.join(Report.Reason.values)}."]}},
        )
    context = context_clean(context)
    if reporter_id is not None:
        open_one = Report.objects.filter(reporter_id=reporter_id, user_id=user_id, status=Report.Status.OPEN).first()
        if open_one is not None:
            return open_one, False
        REPORTS_RATE.spend(reporter_id)
    evidence = evidence_take(reporter_id=reporter_id, user_id=user_id, context=context)
    try:
        with transaction.atomic():
            report = Report.objects.create(
                reporter_id=reporter_id,
                user_id=user_id,
                reason=reason,
                comment=(comment or "")[:1000],
                context=context,
                evidence=evidence,
            )
    except IntegrityError:  # the same report filed twice at once: the first one wins
        return Report.objects.get(reporter_id=reporter_id, user_id=user_id, status=Report.Status.OPEN), False
    return report, True


@transaction.atomic
def report_claim(*, staff, report_id: int) -> Report:
    report = Report.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise NotFound("No such report.", code="report_not_found")
    report.claimed_by = staff
    report.save(update_fields=["claimed_by"])
    audit.record(staff=staff, action="report.claim", target_type="report", target_id=report.pk, target=str(report))
    return report


@transaction.atomic
def report_resolve(
    *, staff, report_id: int, action: str, statement: str = "", duration_hours: int | None = None
) -> Report:
    """Dismiss a report, or act on it with a sanction of its user; once (409 ``report_closed``)."""
    if action not in RESOLUTIONS:
        raise ApplicationError(
            "Unknown action.", code="invalid", extra={"fields": {"action": [f"One of {', '.join(RESOLUTIONS)}."]}}
        )
    report = Report.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise NotFound("No such report.", code="report_not_found")
    if report.status != Report.Status.OPEN:
        raise Conflict("This report is resolved already.", code="report_closed")
    if action == "dismiss":
        report.status = Report.Status.DISMISSED
    else:
        report.sanction = sanction_impose(
            staff=staff,
            user_id=report.user_id,
            action=action,
            statement=statement,
            duration_hours=duration_hours,
            report=report,
        )
        report.status = Report.Status.ACTIONED
    report.resolved_at, report.resolved_by = timezone.now(), staff
    report.save(update_fields=["status", "sanction", "resolved_at", "resolved_by"])
    audit.record(
        staff=staff,
        action=f"report.{report.status}",
        target_type="report",
        target_id=report.pk,
        target=str(report),
        detail={"action": action, "user_id": report.user_id},
    )
    return report
