"""A moderator works the queue in the admin: the evidence laid out, the decision in the report's form."""

import pytest
from django.test import Client

from accounts.models import User
from safety.models import Report, Sanction
from safety.reports import report_file

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
