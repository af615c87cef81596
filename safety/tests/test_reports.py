"""A player reports a player; the report keeps its evidence; staff work the queue."""

import pytest

from chat.lobbies.services import message_delete
from safety.models import Report
from staff.models import AuditEntry

pytestmark = pytest.mark.django_db


def report(client, user, **body):
    return client.post("/api/reports/", {"user_id": user.pk, "reason": "harassment", **body}, format="json")


def test_a_report_keeps_the_lobbys_last_messages_even_one_deleted_afterwards(
    client_for, alice, bob, premium_owner, lobby_with
):
    lobby = lobby_with(alice, bob)
    for text in ("hello", "you are awful", "really awful"):
        client_for(bob).post(f"/api/lobbies/{lobby.pk}/messages/", {"content": text}, format="json")
    answer = report(client_for(alice), bob, comment="insults", context={"lobby_id": lobby.pk})
    assert answer.status_code == 201, answer.content
    assert answer.json()["status"] == "open"

    worst = lobby.messages.get(content="you are awful")
    message_delete(message_id=worst.pk, actor=premium_owner, lobby_id=lobby.pk)

    kept = Report.objects.get(pk=answer.json()["id"])
    assert [m["content"] for m in kept.evidence["messages"]] == ["hello", "you are awful", "really awful"]
    assert kept.evidence["lobby"] == {"id": lobby.pk, "name": "the lobby"}


def test_a_player_cannot_report_themselves(client_for, alice):
    answer = report(client_for(alice), alice)
    assert answer.status_code == 400
    assert answer.json()["code"] == "cannot_report_self"


def test_a_second_open_report_of_the_same_player_answers_the_first(client_for, alice, bob):
    first = report(client_for(alice), bob)
    again = report(client_for(alice), bob, reason="spam")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Report.objects.count() == 1


def test_an_eleventh_report_within_the_hour_is_rate_limited(client_for, make_user, alice):
    client = client_for(alice)
    for _ in range(10):
        assert report(client, make_user()).status_code == 201
    answer = report(client, make_user())
    assert answer.status_code == 429
    assert answer.json()["code"] == "rate_limited"


def test_a_context_that_names_nothing_is_refused_naming_the_field(client_for, alice, bob):
    answer = report(client_for(alice), bob, context={"lobby_id": 999999})
    assert answer.status_code == 400
    assert "context" in answer.json()["fields"]
    answer = report(client_for(alice), bob, context={"lobby_id": 1, "game_id": 2})
    assert answer.status_code == 400


def test_a_player_sees_their_own_reports(client_for, alice, bob, carol):
    report(client_for(alice), bob)
    report(client_for(carol), bob)
    mine = client_for(alice).get("/api/reports/").json()["results"]
    assert [(r["user"]["username"], r["status"]) for r in mine] == [("bob", "open")]


def test_the_queue_lists_open_reports_oldest_first_with_evidence_and_the_users_open_count(
    client_for, alice, bob, carol, moderator
):
    report(client_for(alice), bob)
    report(client_for(carol), bob)
    report(client_for(bob), carol)
    queue = client_for(moderator).get("/api/moderation/reports/").json()["results"]
    assert [(r["reporter"]["username"], r["user"]["username"]) for r in queue] == [
        ("alice", "bob"),
        ("carol", "bob"),
        ("bob", "carol"),
    ]
    assert [r["open_reports_against_user"] for r in queue] == [2, 2, 1]
    assert "history" in queue[0]["evidence"]


def test_dismissing_a_report_closes_it_once_and_is_audited(client_for, alice, bob, moderator):
    filed = report(client_for(alice), bob).json()
    staff = client_for(moderator)
    answer = staff.post(f"/api/moderation/reports/{filed['id']}/resolve/", {"action": "dismiss"}, format="json")
    assert answer.status_code == 200
    assert answer.json()["status"] == "dismissed"
    again = staff.post(f"/api/moderation/reports/{filed['id']}/resolve/", {"action": "dismiss"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "report_closed"
    assert AuditEntry.objects.filter(action="report.dismissed", target_id=str(filed["id"])).exists()


def test_a_support_user_and_a_player_cannot_work_the_queue_or_sanction(client_for, alice, bob, support):
    for user in (support, alice):
        client = client_for(user)
        assert client.get("/api/moderation/reports/").status_code == 403
        answer = client.post(
            "/api/moderation/sanctions/",
            {"user_id": bob.pk, "action": "ban", "statement": "no"},
            format="json",
        )
        assert answer.status_code == 403
