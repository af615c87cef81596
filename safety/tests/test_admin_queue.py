"""A moderator works the queue in the admin: the evidence laid out, the decision in the report's form."""

import functools

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from conftest import requires_postgres
from gameplatform.testhelpers import run_at_once
from safety.models import Report, Sanction
from safety.reports import report_claim, report_file, report_resolve
from safety.sanctions import sanction_impose, sanction_lift
from staff.models import AuditEntry
from staff.roles import MODERATOR

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_as(moderator):
    moderator.set_password("mod-pass-long")
    moderator.save()
    browser = Client()
    browser.force_login(moderator)
    return browser


def test_a_moderator_sees_the_evidence_and_mutes_from_the_reports_page(admin_as, client_for, alice, bob, lobby_with):
    lobby = lobby_with(alice, bob)
    client_for(bob).post(f"/api/lobbies/{lobby.pk}/messages/", {"content": "you are awful"}, format="json")
    report, _ = report_file(reporter=alice, user_id=bob.pk, reason="harassment", context={"lobby_id": lobby.pk})

    queue = admin_as.get("/admin/safety/report/")
    assert queue.status_code == 200 and b"harassment" in queue.content
    page = admin_as.get(f"/admin/safety/report/{report.pk}/change/")
    assert page.status_code == 200
    assert b"you are awful" in page.content  # the lobby's messages as they were

    decided = admin_as.post(
        f"/admin/safety/report/{report.pk}/change/",
        {"decision": "mute", "duration_hours": "24", "statement": "Insults in the lobby."},
    )
    assert decided.status_code == 302, decided.content[:2000]
    report.refresh_from_db()
    assert report.status == "actioned"
    assert Sanction.objects.get(user=bob).action == "mute"


def test_a_report_s_and_a_sanction_s_pages_name_the_player_by_username(admin_as, moderator, alice, bob):
    report, _ = report_file(reporter=alice, user_id=bob.pk, reason="spam")
    heading = admin_as.get(f"/admin/safety/report/{report.pk}/change/").content.decode()
    assert f"<h2>report {report.pk}: spam against bob</h2>" in heading
    assert f"against user {bob.pk}" not in heading
    sanction = sanction_impose(staff=moderator, user_id=bob.pk, action="warn", statement="No spam.")
    heading = admin_as.get(f"/admin/safety/sanction/{sanction.pk}/change/").content.decode()
    assert "<h2>warn of bob</h2>" in heading


def test_a_support_user_sees_no_reports_page(make_user, support):
    browser = Client()
    browser.force_login(support)
    assert browser.get("/admin/safety/report/").status_code == 403
    assert b"Reports" not in browser.get("/admin/").content
    assert User.objects.filter(pk=support.pk).exists()
    assert not Report.objects.exists()


def test_a_suspended_moderator_loses_the_admin_at_once_their_session_too(admin_as, moderator, make_user):
    from safety.sanctions import sanction_impose

    assert admin_as.get("/admin/safety/report/").status_code == 200
    root = make_user("root", is_staff=True, is_superuser=True)
    sanction_impose(staff=root, user_id=moderator.pk, action="suspend", duration_hours=1, statement="Abuse of powers.")
    assert admin_as.get("/admin/safety/report/").status_code == 302  # to the login page


def listed(page) -> list[int]:
    """The report ids the list page shows."""
    return [report.pk for report in page.context["cl"].result_list]


def hours_left(sanction: Sanction) -> float:
    return (sanction.ends_at - timezone.now()).total_seconds() / 3600


def test_the_list_shows_the_open_reports_unless_another_status_is_chosen(admin_as, moderator, alice, bob, carol):
    kept, _ = report_file(reporter=alice, user_id=bob.pk, reason="spam")
    done, _ = report_file(reporter=carol, user_id=bob.pk, reason="hate")
    report_resolve(staff=moderator, report_id=done.pk, action="dismiss")

    assert listed(admin_as.get("/admin/safety/report/")) == [kept.pk]
    assert listed(admin_as.get("/admin/safety/report/?status=dismissed")) == [done.pk]
    assert listed(admin_as.get("/admin/safety/report/?status=all")) == [kept.pk, done.pk]


def test_one_click_on_the_list_mutes_each_selected_reports_user_for_24_hours_with_the_reasons_statement(
    admin_as, alice, bob, carol
):
    first, _ = report_file(reporter=alice, user_id=bob.pk, reason="harassment")
    second, _ = report_file(reporter=alice, user_id=carol.pk, reason="spam")

    answer = admin_as.post(
        "/admin/safety/report/", {"action": "quick_mute_24h", "_selected_action": [first.pk, second.pk]}
    )
    assert answer.status_code == 302

    for report, user, statement in (
        (first, bob, "Harassing another player."),
        (second, carol, "Spam or advertising in chat."),
    ):
        report.refresh_from_db()
        assert report.status == "actioned"
        sanction = Sanction.objects.get(user=user)
        assert (sanction.action, sanction.statement, report.sanction_id) == ("mute", statement, sanction.pk)
        assert 23.9 < hours_left(sanction) <= 24
        assert AuditEntry.objects.filter(action="report.actioned", target_id=str(report.pk)).exists()


def test_one_click_dismiss_and_warn_on_the_list_and_a_closed_report_is_refused_by_name(admin_as, alice, bob, carol):
    warned, _ = report_file(reporter=alice, user_id=bob.pk, reason="other")
    dismissed, _ = report_file(reporter=alice, user_id=carol.pk, reason="spam")

    admin_as.post("/admin/safety/report/", {"action": "quick_warn", "_selected_action": [warned.pk]})
    admin_as.post("/admin/safety/report/", {"action": "quick_dismiss", "_selected_action": [dismissed.pk]})
    again = admin_as.post(
        "/admin/safety/report/?status=all", {"action": "quick_dismiss", "_selected_action": [warned.pk]}, follow=True
    )

    warned.refresh_from_db()
    dismissed.refresh_from_db()
    assert (warned.status, warned.sanction.action) == ("actioned", "warn")
    assert (dismissed.status, dismissed.sanction) == ("dismissed", None)
    assert not Sanction.objects.filter(user=carol).exists()
    assert f"Report {warned.pk} not done: This report is resolved already." in again.content.decode()


def test_one_click_on_the_reports_page_suspends_its_user_for_seven_days(admin_as, alice, bob):
    report, _ = report_file(reporter=alice, user_id=bob.pk, reason="cheating")
    page = admin_as.get(f"/admin/safety/report/{report.pk}/change/").content.decode()
    assert 'name="_quick" value="suspend_7d"' in page
    assert page.index('name="_save"') < page.index('name="_quick"')  # Enter in a field still saves the form

    answer = admin_as.post(f"/admin/safety/report/{report.pk}/change/", {"_quick": "suspend_7d"})

    assert answer.status_code == 302
    report.refresh_from_db()
    sanction = Sanction.objects.get(user=bob)
    assert (report.status, sanction.action, sanction.statement) == ("actioned", "suspend", "Cheating in a game.")
    assert 7 * 24 - 0.1 < hours_left(sanction) <= 7 * 24
    bob.refresh_from_db()
    assert bob.locked_until == sanction.ends_at
    assert 'name="_quick"' not in admin_as.get(f"/admin/safety/report/{report.pk}/change/").content.decode()


def test_the_reports_page_shows_the_users_sanctions_as_they_are_now_beside_the_evidence(
    admin_as, moderator, alice, bob
):
    earlier = sanction_impose(staff=moderator, user_id=bob.pk, action="mute", duration_hours=1, statement="Old spam.")
    report, _ = report_file(reporter=alice, user_id=bob.pk, reason="hate")
    sanction_lift(staff=moderator, sanction_id=earlier.pk, statement="Served enough.")
    sanction_impose(staff=moderator, user_id=bob.pk, action="warn", statement="Mind your words.")
    sanction_impose(staff=moderator, user_id=bob.pk, action="mute", duration_hours=2, statement="Slurs in chat.")

    page = admin_as.get(f"/admin/safety/report/{report.pk}/change/").content.decode()

    assert "sanctions: mute" in page  # the evidence: the history as it was when reported
    now = page.split("The user&#x27;s sanctions now", 1)[1]
    assert "Slurs in chat." in now and "Mind your words." in now and "Old spam." in now
    assert "<td>running</td>" in now and "<td>lifted</td>" in now and "<td>ended</td>" in now


def test_a_report_claimed_in_the_admin_cannot_be_claimed_by_a_second_moderator(
    admin_as, moderator, make_staff, alice, bob
):
    report, _ = report_file(reporter=alice, user_id=bob.pk, reason="spam")
    admin_as.post("/admin/safety/report/", {"action": "claim", "_selected_action": [report.pk]})
    report.refresh_from_db()
    assert report.claimed_by == moderator

    second = Client()
    second.force_login(make_staff("mod2", MODERATOR))
    answer = second.post("/admin/safety/report/", {"action": "claim", "_selected_action": [report.pk]}, follow=True)

    assert f"Report {report.pk} not done: Another moderator works this report." in answer.content.decode()
    report.refresh_from_db()
    assert report.claimed_by == moderator


def test_a_claim_over_the_api_holds_against_a_second_moderator_and_ends_with_the_report(
    client_for, moderator, make_staff, alice, bob
):
    report, _ = report_file(reporter=alice, user_id=bob.pk, reason="spam")
    mine, other = client_for(moderator), client_for(make_staff("mod2", MODERATOR))
    claim = f"/api/moderation/reports/{report.pk}/claim/"

    assert mine.post(claim).status_code == 200
    refused = other.post(claim)
    assert (refused.status_code, refused.json()["code"]) == (409, "report_claimed")
    assert mine.post(claim).status_code == 200  # my own again: nothing changes
    assert AuditEntry.objects.filter(action="report.claim", target_id=str(report.pk)).count() == 1

    resolve = f"/api/moderation/reports/{report.pk}/resolve/"
    theirs = other.post(resolve, {"action": "mute", "duration_hours": 24}, format="json")
    assert (theirs.status_code, theirs.json()["code"]) == (409, "report_claimed"), "a claimed report is its claimer's"
    assert not Sanction.objects.filter(user=bob).exists()
    mine.post(resolve, {"action": "dismiss"}, format="json")
    closed = mine.post(claim)
    assert (closed.status_code, closed.json()["code"]) == (409, "report_closed")
    assert other.post("/api/moderation/reports/999999/claim/").json()["code"] == "report_not_found"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_four_moderators_claiming_one_report_at_once_leave_it_to_one(make_staff, alice, bob):
    report, _ = report_file(reporter=alice, user_id=bob.pk, reason="spam")
    staff = [make_staff(f"racer{n}", MODERATOR) for n in range(4)]

    results = run_at_once(*[functools.partial(report_claim, staff=user, report_id=report.pk) for user in staff])

    assert sorted(r if isinstance(r, str) else "claimed" for r in results) == ["claimed"] + ["report_claimed"] * 3
    report.refresh_from_db()
    (winner,) = [user for user, r in zip(staff, results, strict=True) if not isinstance(r, str)]
    assert report.claimed_by == winner
    assert AuditEntry.objects.filter(action="report.claim").count() == 1
