"""An appeal is reviewed by staff other than whoever imposed the sanction (EU DSA Art. 20), who
read the sanction's statement of reasons, the reports it was decided on with their evidence, and
the player's other sanctions."""

import pytest

from chat.lobbies.services import message_post
from safety.appeals import appeal_file
from safety.models import Appeal, Sanction
from safety.reports import report_file, report_resolve_quick
from safety.sanctions import sanction_impose
from staff.roles import MODERATOR

pytestmark = pytest.mark.django_db


@pytest.fixture
def appealed_mute(alice, bob, moderator, lobby_with):
    """Bob muted by ``moderator`` on alice's report of his lobby insult, an earlier warning, and his appeal."""
    sanction_impose(staff=moderator, user_id=bob.pk, action="warn", statement="Spam last week.")
    lobby = lobby_with(alice, bob)
    message_post(lobby_id=lobby.pk, user=bob, content="uninstall, loser")
    report, _ = report_file(reporter=alice, user_id=bob.pk, reason="harassment", context={"lobby_id": lobby.pk})
    report = report_resolve_quick(staff=moderator, report_id=report.pk, quick="mute_24h")
    return appeal_file(sanction=report.sanction, text="It was banter between friends.")


def decide(client, appeal: Appeal, decision: str = "upheld"):
    return client.post(
        f"/api/moderation/appeals/{appeal.pk}/decide/", {"decision": decision, "statement": "Reviewed."}, format="json"
    )


def test_the_moderator_who_imposed_a_sanction_cannot_decide_its_appeal(client_for, moderator, appealed_mute):
    answer = decide(client_for(moderator), appealed_mute, "reversed")

    assert answer.status_code == 409
    assert answer.json()["code"] == "same_moderator"
    appealed_mute.refresh_from_db()
    assert appealed_mute.status == "open"
    assert Sanction.objects.get(pk=appealed_mute.sanction_id).lifted_at is None


def test_another_moderator_decides_the_appeal(client_for, make_staff, appealed_mute):
    answer = decide(client_for(make_staff("reviewer", MODERATOR)), appealed_mute)

    assert answer.status_code == 200, answer.content
    assert (answer.json()["status"], answer.json()["decided_by"]["username"]) == ("upheld", "reviewer")


def test_the_appeal_view_shows_the_statement_the_evidence_the_report_and_the_players_history(
    client_for, make_staff, appealed_mute
):
    (shown,) = client_for(make_staff("reviewer", MODERATOR)).get("/api/moderation/appeals/").json()["results"]

    assert shown["text"] == "It was banter between friends."
    assert shown["imposed_by"]["username"] == "mod"
    assert shown["sanction"]["ground"] and '"uninstall, loser"' in shown["sanction"]["facts"]
    (report,) = shown["reports"]
    assert (report["reason"], report["reporter"]["username"]) == ("harassment", "alice")
    assert [m["content"] for m in report["evidence"]["messages"]] == ["uninstall, loser"]
    assert [(s["action"], s["statement"]) for s in shown["history"]] == [("warn", "Spam last week.")]


def test_the_admin_appeal_page_shows_the_statement_the_evidence_and_the_history(client, make_staff, appealed_mute):
    reviewer = make_staff("reviewer", MODERATOR)
    client.force_login(reviewer)

    page = client.get(f"/admin/safety/appeal/{appealed_mute.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    for shown in ("It was banter between friends.", "uninstall, loser", "Spam last week.", "Respect other players"):
        assert shown in html, shown
