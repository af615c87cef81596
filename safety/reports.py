"""Reports: a player reports a player; staff work the queue and resolve each report.

A moderator claims a report while working it, so two do not work it at once. A claim ends when
the report is resolved, when its claimer (or a superuser) releases it, or by itself
``REPORT_CLAIM_MINUTES`` after it was made (a moderator who went home leaves no report stuck);
claiming one's own again renews it.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from gameplatform.chat.rooms import timestamp
from gameplatform.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from gameplatform.data.ratelimit import Budget
from safety import hooks
from safety.evidence import context_clean, context_require_reporter_in, evidence_take
from safety.models import Report
from safety.sanctions import sanction_impose
from staff import audit

# Reports filed per reporter: 10 an hour (429 ``rate_limited`` past them).
REPORTS_RATE = Budget("reports:user", limit=10, window=3600.0, what="reports")
# Additions a report keeps from its reporter's later reports of the same user (``_add``).
ADDED_MOST = 20
RESOLUTIONS = ("dismiss", "warn", "mute", "suspend", "ban")
# The queue's one-click decisions: (action, duration_hours), with a statement made from the reason.
QUICK = {"dismiss": ("dismiss", None), "warn": ("warn", None), "mute_24h": ("mute", 24), "suspend_7d": ("suspend", 168)}
QUICK_STATEMENTS = {
    Report.Reason.CHEATING: "Cheating in a game.",
    Report.Reason.HARASSMENT: "Harassing another player.",
    Report.Reason.HATE: "Hateful words towards other players.",
    Report.Reason.SPAM: "Spam or advertising in chat.",
    Report.Reason.INAPPROPRIATE_NAME: "A name that breaks the community rules.",
    Report.Reason.OTHER: "Behaviour that breaks the community rules.",
}


def report_file(*, reporter, user_id: int, reason: str, comment: str = "", context=None) -> tuple[Report, bool]:
    """File a report with its evidence taken now; ``(report, created)``. The context must be one
    the reporter was in (403 ``not_in_context``). A second open report of the same user by the
    same reporter answers the first (created False) and adds to it its context's evidence and
    its comment (``_add``), spending from the same budget. ``reporter`` None: the platform's own
    flag (a classifier), in every context, never rate-limited."""
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
    comment = (comment or "")[:1000]
    if reporter_id is not None:
        REPORTS_RATE.spend(reporter_id)
    context_require_reporter_in(reporter_id=reporter_id, context=context)
    # Taken before any row is locked: a game's inputs are read from its room's store.
    evidence = evidence_take(reporter_id=reporter_id, user_id=user_id, context=context)
    if reporter_id is not None:
        added = _add(reporter_id, user_id, reason=reason, comment=comment, context=context, evidence=evidence)
        if added is not None:
            return added, False
    try:
        with transaction.atomic():
            report = Report.objects.create(
                reporter_id=reporter_id, user_id=user_id, reason=reason, comment=comment, context=context,
                evidence=evidence,
            )  # fmt: skip
            hooks.report_filed(report)  # in the report's transaction (webhooks' outbox row)
    except IntegrityError:  # the same report filed twice at once: the first one wins, the second adds to it
        added = _add(reporter_id, user_id, reason=reason, comment=comment, context=context, evidence=evidence)
        if added is None:  # resolved meanwhile as well: a new report, then
            return report_file(reporter=reporter, user_id=user_id, reason=reason, comment=comment, context=context)
        return added, False
    return report, True


@transaction.atomic
def _add(reporter_id: int, user_id: int, *, reason: str, comment: str, context: dict, evidence: dict) -> Report | None:
    """Add a second report's comment and its context's evidence to the reporter's open report of
    the user (its row locked, so two additions at once both stay); None: there is none open. Past
    ``ADDED_MOST`` additions the report answers as it is (the budget keeps them few an hour)."""
    report = (
        Report.objects.select_for_update()
        .filter(reporter_id=reporter_id, user_id=user_id, status=Report.Status.OPEN)
        .first()
    )
    if report is None:
        return None
    added = report.evidence.get("added", [])
    if len(added) >= ADDED_MOST:
        return report
    taken = {key: value for key, value in evidence.items() if key != "history"}
    entry = {"at": timestamp(timezone.now()), "reason": reason, "comment": comment, "context": context, **taken}
    report.evidence = {**report.evidence, "added": [*added, entry]}
    report.save(update_fields=["evidence"])
    return report


def _locked_open(report_id: int) -> Report:
    """The report, its row locked: 404 ``report_not_found``, 409 ``report_closed`` once resolved."""
    report = Report.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise NotFound("No such report.", code="report_not_found")
    if report.status != Report.Status.OPEN:
        raise Conflict("This report is resolved already.", code="report_closed")
    return report


def claim_ends_at(report: Report):
    """When the report's claim lapses (None: it has no claim, or one of unknown age, made before
    claims lapsed: that one has lapsed)."""
    if report.claimed_by_id is None or report.claimed_at is None:
        return None
    return report.claimed_at + timedelta(minutes=settings.REPORT_CLAIM_MINUTES)


def claim_holder_id(report: Report, now=None) -> int | None:
    """Who holds the report's claim now: its claimer until the claim lapses, then nobody."""
    ends = claim_ends_at(report)
    return report.claimed_by_id if ends is not None and ends > (now or timezone.now()) else None


def _claimed_by_another(report: Report, staff) -> Conflict | None:
    holder = claim_holder_id(report)
    if holder in (None, staff.pk):
        return None
    return Conflict("Another moderator works this report.", code="report_claimed")


@transaction.atomic
def report_claim(*, staff, report_id: int) -> Report:
    """Mark an open report as worked by ``staff``, so two moderators do not work it at once:
    409 ``report_claimed`` while another holds it (claiming one's own again renews it, with no
    new audit entry), 409 ``report_closed`` once it is resolved. The row lock makes two claims at
    once take turns."""
    report = _locked_open(report_id)
    refusal = _claimed_by_another(report, staff)
    if refusal is not None:
        raise refusal
    renewed = claim_holder_id(report) == staff.pk
    report.claimed_by, report.claimed_at = staff, timezone.now()
    report.save(update_fields=["claimed_by", "claimed_at"])
    if not renewed:
        audit.record_on(report, staff=staff, action="report.claim", target_type="report")
    return report


@transaction.atomic
def report_unclaim(*, staff, report_id: int) -> Report:
    """Release a report's claim: the report is open to every moderator again. Its claimer or a
    superuser may; another moderator gets 403 ``not_claimer`` while the claim holds. A report
    nobody holds (never claimed, or the claim lapsed) is released by anyone (a lapsed claim's
    name is cleared, audited; a report never claimed changes nothing). 409 ``report_closed``
    once it is resolved."""
    report = _locked_open(report_id)
    holder = claim_holder_id(report)
    if holder not in (None, staff.pk) and not staff.is_superuser:
        raise Forbidden(
            "Only the moderator who claimed this report, or a superuser, may release it.", code="not_claimer"
        )
    if report.claimed_by_id is None:
        return report
    detail = {"claimed_by": report.claimed_by_id, "lapsed": holder is None}
    report.claimed_by, report.claimed_at = None, None
    report.save(update_fields=["claimed_by", "claimed_at"])
    audit.record_on(report, staff=staff, action="report.unclaim", target_type="report", detail=detail)
    return report


@transaction.atomic
def report_resolve(
    *,
    staff,
    report_id: int,
    action: str,
    statement: str = "",
    duration_hours: int | None = None,
    rule: str = "",
    facts: str = "",
) -> Report:
    """Dismiss a report, or act on it with a sanction of its user; once (409 ``report_closed``), and
    by the moderator who holds its claim, if one does (409 ``report_claimed`` for the others). The
    sanction's ground is ``rule`` (none: the report's reason), its facts ``facts`` (none: the
    report's evidence, ``rules.facts_from_report``)."""
    if action not in RESOLUTIONS:
        raise ApplicationError(
            "Unknown action.", code="invalid", extra={"fields": {"action": [f"One of {', '.join(RESOLUTIONS)}."]}}
        )
    report = _locked_open(report_id)
    refusal = _claimed_by_another(report, staff)
    if refusal is not None:
        raise refusal
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
            rule=rule,
            facts=facts,
        )
        report.status = Report.Status.ACTIONED
    report.resolved_at, report.resolved_by = timezone.now(), staff
    report.save(update_fields=["status", "sanction", "resolved_at", "resolved_by"])
    detail = {"action": action, "user_id": report.user_id}
    audit.record_on(report, staff=staff, action=f"report.{report.status}", target_type="report", detail=detail)
    return report


def report_resolve_quick(*, staff, report_id: int, quick: str) -> Report:
    """One of the queue's one-click decisions (``QUICK``), with the statement of the report's
    reason: ``report_resolve`` as the decision form calls it."""
    if quick not in QUICK:
        raise ApplicationError(
            "Unknown decision.", code="invalid", extra={"fields": {"quick": [f"One of {', '.join(QUICK)}."]}}
        )
    action, hours = QUICK[quick]
    reason = Report.objects.filter(pk=report_id).values_list("reason", flat=True).first()
    return report_resolve(
        staff=staff,
        report_id=report_id,
        action=action,
        duration_hours=hours,
        statement="" if action == "dismiss" else QUICK_STATEMENTS.get(reason, QUICK_STATEMENTS["other"]),
    )
