"""Reads of player safety: a player's reports and sanctions, the queue, the transparency counts."""

import statistics
from datetime import datetime

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from safety.models import Appeal, Report, Sanction


def reports_of(*, reporter_id: int) -> QuerySet[Report]:
    return Report.objects.filter(reporter_id=reporter_id).select_related("user").order_by("-created_at", "-id")


def sanctions_of(*, user_id: int) -> QuerySet[Sanction]:
    return Sanction.objects.filter(user_id=user_id).select_related("appeal").order_by("-starts_at", "-id")


def report_queue(*, status: str | None = Report.Status.OPEN) -> QuerySet[Report]:
    """Oldest first, each with how many open reports its user has."""
    open_against = (
        Report.objects.filter(user_id=OuterRef("user_id"), status=Report.Status.OPEN)
        .order_by()
        .values("user_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    reports = Report.objects.select_related("reporter", "user", "claimed_by").annotate(
        open_reports_against_user=Coalesce(Subquery(open_against), 0)
    )
    if status:
        reports = reports.filter(status=status)
    return reports.order_by("created_at", "id")


def appeal_queue(*, status: str | None = Appeal.Status.OPEN) -> QuerySet[Appeal]:
    """Oldest first, each with what its review reads: the sanction's statement of reasons, the
    reports it was decided on (their evidence), and its player's sanctions."""
    history = Sanction.objects.select_related("appeal").order_by("-starts_at", "-id")
    appeals = Appeal.objects.select_related(
        "sanction", "sanction__user", "sanction__created_by", "decided_by"
    ).prefetch_related(
        Prefetch("sanction__reports", queryset=Report.objects.select_related("reporter", "user").order_by("id")),
        Prefetch("sanction__user__sanctions", queryset=history),
    )
    if status:
        appeals = appeals.filter(status=status)
    # A deleted account's sanctions are kept, without it: its appeals have nobody to decide for.
    return appeals.filter(sanction__user__isnull=False).order_by("created_at", "id")


def transparency(*, since: datetime | None, until: datetime | None) -> dict:
    """The counts of the contract for reports filed, sanctions imposed and appeals filed in [since, until)."""

    def within(queryset, field):
        if since is not None:
            queryset = queryset.filter(**{f"{field}__gte": since})
        if until is not None:
            queryset = queryset.filter(**{f"{field}__lt": until})
        return queryset

    reports = within(Report.objects.all(), "created_at")
    by_reason = dict(reports.order_by().values_list("reason").annotate(n=Count("id")))
    sanctions = within(Sanction.objects.all(), "starts_at")
    by_action = dict(sanctions.order_by().values_list("action").annotate(n=Count("id")))
    hours = [
        (resolved - created).total_seconds() / 3600
        for created, resolved in reports.filter(status=Report.Status.ACTIONED).values_list("created_at", "resolved_at")
        if resolved is not None
    ]
    appeals = within(Appeal.objects.all(), "created_at")
    return {
        "reports": {reason: by_reason.get(reason, 0) for reason in Report.Reason.values},
        "actions": {action: by_action.get(action, 0) for action in Sanction.Action.values},
        "median_hours_to_action": round(statistics.median(hours), 2) if hours else None,
        "appeals": appeals.count(),
        "reversed": appeals.filter(status=Appeal.Status.REVERSED).count(),
    }
