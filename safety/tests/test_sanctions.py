"""Sanctions hold everywhere at once, are told with their statement, and end by themselves."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from matchmaking.models import QueueEntry
from matchmaking.queue.services import queue_join
from notifications.models import Notification
from safety.models import Sanction
from safety.mutes import MUTES
from staff.models import AuditEntry
from staff.roles import MODERATOR

pytestmark = pytest.mark.django_db


def sanction(client, user, action, hours=None, statement="Insults in the lobby chat."):
    body = {"user_id": user.pk, "action": action, "statement": statement}
    if hours is not None:
        body["duration_hours"] = hours
    return client.post("/api/moderation/sanctions/", body, format="json")


def test_a_muted_player_cannot_chat_in_a_lobby_or_a_dm_until_the_mute_ends(
    client_for, alice, bob, moderator, lobby_with, befriend
):
    lobby = lobby_with(alice, bob)
    befriend(alice, bob)
    assert sanction(client_for(moderator), bob, "mute", hours=24).status_code == 201

    said = client_for(bob).post(f"/api/lobbies/{lobby.pk}/messages/", {"content": "hi"}, format="json")
    assert said.status_code == 403
    assert said.json()["code"] == "muted"
    assert said.json()["until"]
    dm = client_for(bob).post(f"/api/dm/{alice.pk}/messages/", {"content": "hi"}, format="json")
    assert dm.status_code == 403 and dm.json()["code"] == "muted"
    # Others still talk.
    assert (
        client_for(alice).post(f"/api/lobbies/{lobby.pk}/messages/", {"content": "hi"}, format="json").status_code
        == 201
    )

    Sanction.objects.filter(user=bob).update(ends_at=timezone.now() - timedelta(seconds=1))  # its time is up
    MUTES.forget()
    assert (
        client_for(bob).post(f"/api/lobbies/{lobby.pk}/messages/", {"content": "back"}, format="json").status_code
        == 201
    )


def test_every_sanction_reaches_its_player_with_its_statement_and_is_audited(client_for, bob, moderator):
    assert sanction(client_for(moderator), bob, "warn", statement="Mind your words.").status_code == 201
    told = Notification.objects.get(user=bob, kind="sanction")
    assert told.payload["sanction"]["statement"] == "Mind your words."
    assert told.payload["sanction"]["action"] == "warn"
    assert AuditEntry.objects.filter(action="sanction.warn", target_id=str(bob.pk), staff=moderator).exists()
    mine = client_for(bob).get("/api/sanctions/").json()["results"]
    assert [(s["action"], s["active"], s["appeal"]) for s in mine] == [("warn", False, None)]


def refused_fields(answer) -> set[str]:
    assert answer.status_code == 400, answer.content
    body = answer.json()
    return set(body.get("fields", body))


def test_a_mute_or_suspension_needs_a_duration_and_every_sanction_a_statement(client_for, bob, moderator):
    staff = client_for(moderator)
    assert "duration_hours" in refused_fields(sanction(staff, bob, "mute"))
    assert "duration_hours" in refused_fields(sanction(staff, bob, "suspend"))
    assert "statement" in refused_fields(sanction(staff, bob, "ban", statement=""))


def test_a_suspended_player_is_locked_out_of_login_refresh_and_every_token_already_issued(
    client_for, api_client, bob, moderator
):
    tokens = api_client.post(
        "/api/auth/login/", {"username": "bob", "password": "pass-w0rd-long"}, format="json"
    ).json()
    old = client_for(bob)
    assert old.get("/api/me/").status_code == 200
    made = sanction(client_for(moderator), bob, "suspend", hours=48).json()

    refused = old.get("/api/me/")
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "account_suspended"
    assert body["sanction_id"] == made["id"]
    assert body["statement"] == "Insults in the lobby chat."
    assert body["until"] and body["appeal_token"]

    login = api_client.post("/api/auth/login/", {"username": "bob", "password": "pass-w0rd-long"}, format="json")
    assert login.status_code == 403 and login.json()["code"] == "account_suspended"
    refresh = api_client.post("/api/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refresh.status_code == 403 and refresh.json()["code"] == "account_suspended"
    # A wrong password still says only that it is wrong.
    wrong = api_client.post("/api/auth/login/", {"username": "bob", "password": "nope-nope-nope"}, format="json")
    assert wrong.status_code == 401


def test_a_ban_has_no_end_and_says_so(client_for, bob, moderator):
    sanction(client_for(moderator), bob, "ban")
    body = client_for(bob).get("/api/me/").json()
    assert body["code"] == "account_suspended"
    assert body["until"] is None


def test_a_suspended_player_leaves_the_matchmaking_queue(client_for, bob, moderator):
    queue_join(user_id=bob.pk, mode="tictactoe")
    sanction(client_for(moderator), bob, "suspend", hours=1)
    assert not QueueEntry.objects.filter(user=bob).exists()


def test_a_suspension_ends_by_itself(client_for, bob, moderator):
    sanction(client_for(moderator), bob, "suspend", hours=1)
    User.objects.filter(pk=bob.pk).update(locked_until=timezone.now() - timedelta(seconds=1))  # its hour is up
    assert client_for(bob).get("/api/me/").status_code == 200


def test_a_locked_player_appeals_without_logging_in_once_and_a_reversal_lets_them_back(
    client_for, api_client, bob, moderator, make_staff
):
    made = sanction(client_for(moderator), bob, "ban").json()
    token = api_client.post(
        "/api/auth/login/", {"username": "bob", "password": "pass-w0rd-long"}, format="json"
    ).json()["appeal_token"]
    appeal = api_client.post(
        f"/api/sanctions/{made['id']}/appeal/", {"text": "It was my brother.", "appeal_token": token}, format="json"
    )
    assert appeal.status_code == 201, appeal.content
    assert appeal.json()["appeal"]["status"] == "open"
    again = api_client.post(
        f"/api/sanctions/{made['id']}/appeal/", {"text": "Please.", "appeal_token": token}, format="json"
    )
    assert again.status_code == 409 and again.json()["code"] == "appeal_exists"

    staff = client_for(make_staff("reviewer", MODERATOR))  # another moderator than the one who imposed it
    queue = staff.get("/api/moderation/appeals/").json()["results"]
    assert [a["text"] for a in queue] == ["It was my brother."]
    decided = staff.post(
        f"/api/moderation/appeals/{queue[0]['id']}/decide/",
        {"decision": "reversed", "statement": "We could not confirm it was you."},
        format="json",
    )
    assert decided.status_code == 200, decided.content

    login = api_client.post("/api/auth/login/", {"username": "bob", "password": "pass-w0rd-long"}, format="json")
    assert login.status_code == 200
    told = Notification.objects.filter(user=bob, kind="sanction").order_by("-id").first()
    assert told.payload["event"] == "appeal_decided"
    assert told.payload["sanction"]["appeal"]["status"] == "reversed"
    assert told.payload["sanction"]["active"] is False
    assert AuditEntry.objects.filter(action="appeal.reversed").exists()


def test_an_appeal_after_180_days_or_with_a_forged_token_is_refused(client_for, api_client, bob, moderator):
    made = sanction(client_for(moderator), bob, "warn").json()
    forged = api_client.post(
        f"/api/sanctions/{made['id']}/appeal/", {"text": "x", "appeal_token": "abc"}, format="json"
    )
    assert forged.status_code == 404
    anonymous = api_client.post(f"/api/sanctions/{made['id']}/appeal/", {"text": "x"}, format="json")
    assert anonymous.status_code == 401
    Sanction.objects.filter(pk=made["id"]).update(starts_at=timezone.now() - timedelta(days=181))
    late = client_for(bob).post(f"/api/sanctions/{made['id']}/appeal/", {"text": "x"}, format="json")
    assert late.status_code == 409 and late.json()["code"] == "appeal_window_closed"


def test_the_transparency_counts_for_a_period_also_as_csv(client_for, alice, bob, carol, moderator):
    client_for(alice).post("/api/reports/", {"user_id": bob.pk, "reason": "spam"}, format="json")
    filed = client_for(carol).post("/api/reports/", {"user_id": bob.pk, "reason": "hate"}, format="json").json()
    staff = client_for(moderator)
    staff.post(
        f"/api/moderation/reports/{filed['id']}/resolve/",
        {"action": "mute", "duration_hours": 2, "statement": "Hate speech."},
        format="json",
    )
    counts = staff.get("/api/moderation/transparency/").json()
    assert counts["reports"]["spam"] == 1 and counts["reports"]["hate"] == 1
    assert counts["actions"]["mute"] == 1
    assert counts["median_hours_to_action"] is not None
    assert counts["appeals"] == 0 and counts["reversed"] == 0
    later = staff.get("/api/moderation/transparency/", {"since": (timezone.now() + timedelta(hours=1)).isoformat()})
    assert later.json()["reports"]["spam"] == 0
    csv = staff.get("/api/moderation/transparency/", {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert "reports,spam,1" in csv.content.decode()
