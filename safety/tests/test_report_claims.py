"""A claim on a report ends: its claimer or a superuser releases it, and it lapses by itself."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from safety.models import Report, Sanction
from safety.reports import report_claim, report_file
from staff.models import AuditEntry
from staff.roles import MODERATOR

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(alice, bob):
    filed, _ = report_file(reporter=alice, user_id=bob.pk, reason="spam")
    return filed


@pytest.fixture
def other_moderator(make_staff):
    return make_staff("mod2", MODERATOR)


def claim(client, report):
    return client.post(f"/api/moderation/reports/{report.pk}/claim/")


def unclaim(client, report):
    return client.post(f"/api/moderation/reports/{report.pk}/unclaim/")


def claimed_ago(report, minutes: float) -> None:
    """The claim was made ``minutes`` ago (the time a claim lapses is counted from)."""
    Report.objects.filter(pk=report.pk).update(claimed_at=timezone.now() - timedelta(minutes=minutes))


def test_the_claimer_releases_a_report_and_another_moderator_takes_it(client_for, report, moderator, other_moderator):
    mine, theirs = client_for(moderator), client_for(other_moderator)
    held = claim(mine, report).json()
    assert (held["claimed_by"]["id"], held["claim_ends_at"] is not None) == (moderator.pk, True)

    released = unclaim(mine, report)

    assert released.status_code == 200, released.content
    assert (released.json()["claimed_by"], released.json()["claim_ends_at"]) == (None, None)
    assert claim(theirs, report).status_code == 200
    entry = AuditEntry.objects.get(action="report.unclaim")
    assert (entry.staff, entry.target_id, entry.detail) == (
        moderator,
        str(report.pk),
        {"claimed_by": moderator.pk, "lapsed": False},
    )


def test_a_superuser_releases_another_moderators_claim(client_for, make_staff, report, moderator, other_moderator):
    claim(client_for(moderator), report)
    root = make_staff("root", superuser=True)

    assert unclaim(client_for(root), report).status_code == 200

    resolved = client_for(other_moderator).post(
        f"/api/moderation/reports/{report.pk}/resolve/", {"action": "dismiss"}, format="json"
    )
    assert resolved.status_code == 200, resolved.content


def test_another_moderator_cannot_release_a_claim_that_holds(client_for, report, moderator, other_moderator):
    claim(client_for(moderator), report)

    refused = unclaim(client_for(other_moderator), report)

    assert (refused.status_code, refused.json()["code"]) == (403, "not_claimer")
    report.refresh_from_db()
    assert report.claimed_by == moderator
    assert not AuditEntry.objects.filter(action="report.unclaim").exists()


def test_a_player_or_support_cannot_release_a_claim(client_for, report, moderator, support, alice):
    claim(client_for(moderator), report)
    for outsider in (support, alice):
        refused = unclaim(client_for(outsider), report)
        assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")


def test_a_claim_lapses_after_report_claim_minutes_and_the_report_is_open_to_all(
    client_for, settings, report, moderator, other_moderator, bob
):
    settings.REPORT_CLAIM_MINUTES = 10
    mine, theirs = client_for(moderator), client_for(other_moderator)
    claim(mine, report)
    claimed_ago(report, 9)
    assert claim(theirs, report).json()["code"] == "report_claimed"

    claimed_ago(report, 11)

    queued = theirs.get("/api/moderation/reports/").json()["results"]
    assert [(r["id"], r["claimed_by"]) for r in queued] == [(report.pk, None)]
    resolved = theirs.post(
        f"/api/moderation/reports/{report.pk}/resolve/",
        {"action": "mute", "duration_hours": 1, "statement": "Spam."},
        format="json",
    )
    assert resolved.status_code == 200, resolved.content
    assert Sanction.objects.get(user=bob).created_by == other_moderator


def test_a_lapsed_claim_is_taken_by_another_moderator_and_claiming_ones_own_renews_it(
    report, moderator, other_moderator
):
    report_claim(staff=moderator, report_id=report.pk)
    claimed_ago(report, 20)
    report_claim(staff=moderator, report_id=report.pk)  # mine again: the claim starts anew
    report.refresh_from_db()
    assert timezone.now() - report.claimed_at < timedelta(minutes=1)
    assert AuditEntry.objects.filter(action="report.claim").count() == 1

    claimed_ago(report, 31)  # the default REPORT_CLAIM_MINUTES is 30
    report_claim(staff=other_moderator, report_id=report.pk)

    report.refresh_from_db()
    assert report.claimed_by == other_moderator
    assert AuditEntry.objects.filter(action="report.claim").count() == 2


def test_a_lapsed_claim_is_released_by_anyone_and_a_resolved_report_by_nobody(
    client_for, report, moderator, other_moderator
):
    claim(client_for(moderator), report)
    claimed_ago(report, 31)

    assert unclaim(client_for(other_moderator), report).status_code == 200
    assert AuditEntry.objects.get(action="report.unclaim").detail == {"claimed_by": moderator.pk, "lapsed": True}
    client_for(other_moderator).post(f"/api/moderation/reports/{report.pk}/resolve/", {"action": "dismiss"})
    closed = unclaim(client_for(other_moderator), report)
    assert (closed.status_code, closed.json()["code"]) == (409, "report_closed")
    assert client_for(moderator).post("/api/moderation/reports/999999/unclaim/").json()["code"] == "report_not_found"


def test_the_reports_list_releases_the_claims_of_the_selected_reports_in_the_admin(report, moderator, other_moderator):
    mine, theirs = Client(), Client()
    mine.force_login(moderator)
    theirs.force_login(other_moderator)
    mine.post("/admin/safety/report/", {"action": "claim", "_selected_action": [report.pk]})

    refused = theirs.post("/admin/safety/report/", {"action": "unclaim", "_selected_action": [report.pk]}, follow=True)
    assert f"Report {report.pk} not done: Only the moderator who claimed" in refused.content.decode()
    released = mine.post("/admin/safety/report/", {"action": "unclaim", "_selected_action": [report.pk]}, follow=True)

    assert "Released 1 report(s)." in released.content.decode()
    report.refresh_from_db()
    assert report.claimed_by is None
