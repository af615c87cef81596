"""A report's evidence comes only from a context its reporter was in; a second report of the same
player adds its evidence and comment to the first; a lobby's deleted messages stay in the evidence
staff read (never in the chat players read) for the appeal window."""

import functools
from datetime import timedelta

import pytest
from django.utils import timezone

from chat.dms.services import dm_send
from chat.lobbies.services import lobby_join, lobby_leave, message_delete, message_post
from chat.models import LobbyEvent
from conftest import requires_postgres
from game.services import game_create
from gameplatform.data.ratelimit import reset
from gameplatform.testhelpers import run_at_once
from groups.factories import make_group
from groups.services import message_post as group_post
from safety.models import Report
from safety.reports import REPORTS_RATE, report_file

pytestmark = pytest.mark.django_db


def report(client, user, **body):
    return client.post("/api/reports/", {"user_id": user.pk, "reason": "harassment", **body}, format="json")


def contents(evidence: dict) -> list[str]:
    return [m["content"] for m in evidence["messages"]]


# --- only from a context the reporter was in ------------------------------------------------


def test_a_non_member_cannot_copy_a_private_lobbys_chat_into_the_queue(client_for, carol, bob, premium_owner):
    from chat.lobbies.services import lobby_create

    lobby = lobby_create(owner=premium_owner, name="private", is_public=False)
    lobby_join(lobby_id=lobby.pk, user=bob, via_invite=True)
    message_post(lobby_id=lobby.pk, user=bob, content="our secret plans")

    answer = report(client_for(carol), bob, context={"lobby_id": lobby.pk})

    assert answer.status_code == 403
    assert answer.json()["code"] == "not_in_context"
    assert not Report.objects.exists()


def test_a_former_lobby_member_may_report_from_it(client_for, alice, bob, lobby_with):
    lobby = lobby_with(alice, bob)
    message_post(lobby_id=lobby.pk, user=bob, content="get out, alice")
    lobby_leave(lobby_id=lobby.pk, user=alice)

    answer = report(client_for(alice), bob, context={"lobby_id": lobby.pk})

    assert answer.status_code == 201
    assert contents(Report.objects.get().evidence) == ["get out, alice"]


def test_a_non_member_cannot_report_from_a_closed_group(client_for, alice, bob, carol):
    clan = make_group(creator=alice, members=[bob], name="Closed", open=False)
    group_post(group_id=clan.pk, user=bob, content="members only")

    answer = report(client_for(carol), bob, context={"group_id": clan.pk})

    assert answer.status_code == 403
    assert answer.json()["code"] == "not_in_context"


def test_a_group_member_may_report_from_the_group(client_for, alice, bob):
    clan = make_group(creator=alice, members=[bob], name="Open")
    group_post(group_id=clan.pk, user=bob, content="you are useless")

    assert report(client_for(alice), bob, context={"group_id": clan.pk}).status_code == 201


def test_only_a_player_of_a_game_may_report_from_it(client_for, alice, bob, carol):
    game = game_create(mode="tictactoe", players=[alice, bob])

    outsider = report(client_for(carol), bob, reason="cheating", context={"game_id": game.pk})
    player = report(client_for(alice), bob, reason="cheating", context={"game_id": game.pk})

    assert (outsider.status_code, outsider.json()["code"]) == (403, "not_in_context")
    assert player.status_code == 201


def test_a_dm_context_must_be_a_conversation_of_the_reporter(client_for, alice, bob, carol, befriend):
    befriend(bob, carol)
    dm_send(sender=bob, recipient_id=carol.pk, content="between bob and carol")

    answer = report(client_for(alice), bob, context={"dm_user_id": carol.pk})

    assert (answer.status_code, answer.json()["code"]) == (403, "not_in_context")


# --- a second report adds, not drops ----------------------------------------------------------


def test_a_second_report_adds_its_dm_evidence_and_comment_to_the_first(client_for, alice, bob, befriend, lobby_with):
    lobby = lobby_with(alice, bob)
    message_post(lobby_id=lobby.pk, user=bob, content="you play like trash")
    first = report(client_for(alice), bob, comment="insults in the lobby", context={"lobby_id": lobby.pk})
    befriend(alice, bob)
    dm_send(sender=bob, recipient_id=alice.pk, content="I know where you live")

    second = report(client_for(alice), bob, reason="hate", comment="now a threat", context={"dm_user_id": bob.pk})

    assert second.status_code == 200
    assert second.json() == first.json()
    kept = Report.objects.get()
    assert contents(kept.evidence) == ["you play like trash"]
    (added,) = kept.evidence["added"]
    assert (added["reason"], added["comment"], added["context"]) == ("hate", "now a threat", {"dm_user_id": bob.pk})
    assert contents(added) == ["I know where you live"]


def test_the_staff_queue_shows_what_a_second_report_added(client_for, alice, bob, moderator, lobby_with):
    lobby = lobby_with(alice, bob)
    report(client_for(alice), bob, comment="first")
    message_post(lobby_id=lobby.pk, user=bob, content="and again")
    report(client_for(alice), bob, comment="second", context={"lobby_id": lobby.pk})

    (queued,) = client_for(moderator).get("/api/moderation/reports/").json()["results"]

    assert queued["comment"] == "first"
    assert [(a["comment"], contents(a)) for a in queued["evidence"]["added"]] == [("second", ["and again"])]


# --- deleted messages stay in evidence --------------------------------------------------------


def test_an_owners_provocations_deleted_before_reporting_stay_in_the_evidence(
    client_for, bob, premium_owner, lobby_with
):
    lobby = lobby_with(bob)
    provocation = message_post(lobby_id=lobby.pk, user=premium_owner, content="come at me, bob")
    message_post(lobby_id=lobby.pk, user=bob, content="you asked for it")
    message_delete(message_id=provocation.pk, actor=premium_owner, lobby_id=lobby.pk)

    answer = report(client_for(premium_owner), bob, context={"lobby_id": lobby.pk})

    messages = Report.objects.get(pk=answer.json()["id"]).evidence["messages"]
    assert [(m["sender"], m["content"]) for m in messages] == [
        ("premium_owner", "come at me, bob"),
        ("bob", "you asked for it"),
    ]
    assert messages[0]["deleted"]["by_author"] is True
    assert "deleted" not in messages[1]
    history = client_for(bob).get(f"/api/lobbies/{lobby.pk}/messages/").json()
    shown = history["results"] if isinstance(history, dict) else history
    assert [m["content"] for m in shown] == ["you asked for it"]  # players never see it again


def test_a_message_deleted_longer_ago_than_the_appeal_window_is_not_evidence(
    client_for, bob, premium_owner, lobby_with
):
    lobby = lobby_with(bob)
    old = message_post(lobby_id=lobby.pk, user=premium_owner, content="long ago")
    message_delete(message_id=old.pk, actor=premium_owner, lobby_id=lobby.pk)
    LobbyEvent.objects.filter(kind="message_deleted").update(created_at=timezone.now() - timedelta(days=181))

    answer = report(client_for(premium_owner), bob, context={"lobby_id": lobby.pk})

    assert contents(Report.objects.get(pk=answer.json()["id"]).evidence) == []


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_reports_of_the_same_player_filed_at_once_make_one_report_that_keeps_every_comment(alice, bob):
    for round_ in range(3):
        reset(REPORTS_RATE.key(alice.pk))  # the race, not the hourly budget
        comments = [f"round {round_} comment {n}" for n in range(4)]

        results = run_at_once(
            *[
                functools.partial(report_file, reporter=alice, user_id=bob.pk, reason="harassment", comment=c)
                for c in comments
            ]
        )

        assert all(isinstance(r, tuple) for r in results), results
        (report,) = Report.objects.filter(status="open")
        kept = [report.comment] + [a["comment"] for a in report.evidence.get("added", [])]
        assert sorted(kept) == sorted(comments), round_
        Report.objects.filter(pk=report.pk).update(status="dismissed")
