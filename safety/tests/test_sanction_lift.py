"""Staff lift a running sanction: it ends at once, the player is told why, the audit log has it."""

import functools
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from accounts.models import User
from conftest import receive_type, requires_postgres
from gameplatform.testhelpers import run_at_once
from notifications.models import Notification
from safety.models import Sanction
from safety.reports import report_file, report_resolve
from safety.sanctions import sanction_impose, sanction_lift
from staff.models import AuditEntry
from staff.roles import MODERATOR

pytestmark = pytest.mark.django_db

PASSWORD = "pass-w0rd-long"


def impose(client, user, action, hours=None, statement="Insults in the lobby chat."):
    body = {"user_id": user.pk, "action": action, "statement": statement}
    if hours is not None:
        body["duration_hours"] = hours
    made = client.post("/api/moderation/sanctions/", body, format="json")
    assert made.status_code == 201, made.content
    return made.json()


def lift(client, sanction_id, statement="We were wrong: the messages were not yours."):
    return client.post(f"/api/moderation/sanctions/{sanction_id}/lift/", {"statement": statement}, format="json")


def say(client, lobby):
    return client.post(f"/api/lobbies/{lobby.pk}/messages/", {"content": "hello again"}, format="json")


def login(api_client, username):
    return api_client.post("/api/auth/login/", {"username": username, "password": PASSWORD}, format="json")


def test_a_lifted_mute_lets_the_player_speak_again_at_once(client_for, bob, moderator, lobby_with):
    lobby = lobby_with(bob)
    staff, player = client_for(moderator), client_for(bob)
    made = impose(staff, bob, "mute", hours=24)
    assert say(player, lobby).json()["code"] == "muted"

    lifted = lift(staff, made["id"])

    assert lifted.status_code == 200, lifted.content
    body = lifted.json()
    assert (body["active"], body["lift_statement"]) == (False, "We were wrong: the messages were not yours.")
    assert body["lifted_at"]
    assert say(player, lobby).status_code == 201
    mine = player.get("/api/sanctions/").json()["results"]
    assert [(s["id"], s["active"], s["lift_statement"]) for s in mine] == [
        (made["id"], False, "We were wrong: the messages were not yours.")
    ]


def test_a_lifted_suspension_lets_the_player_log_in_again(client_for, api_client, bob, moderator):
    made = impose(client_for(moderator), bob, "suspend", hours=24)
    assert login(api_client, "bob").json()["code"] == "account_suspended"

    assert lift(client_for(moderator), made["id"]).status_code == 200

    signed_in = login(api_client, "bob")
    assert signed_in.status_code == 200, signed_in.content
    assert client_for(bob).get("/api/me/").status_code == 200


def test_a_lifted_ban_of_two_locks_leaves_the_account_locked_until_the_other_ends(
    client_for, api_client, bob, moderator
):
    staff = client_for(moderator)
    ban = impose(staff, bob, "ban")
    week = impose(staff, bob, "suspend", hours=24 * 7)

    assert lift(staff, ban["id"]).status_code == 200

    refused = login(api_client, "bob").json()
    assert (refused["code"], refused["until"]) == ("account_suspended", week["ends_at"])
    assert refused["sanction_id"] == week["id"]


def test_the_player_is_told_of_the_lift_and_it_is_audited(client_for, bob, moderator):
    made = impose(client_for(moderator), bob, "mute", hours=2)

    lift(client_for(moderator), made["id"], statement="Muted by mistake.")

    told = Notification.objects.filter(user=bob, kind="sanction").order_by("-id").first()
    assert told.payload["event"] == "lifted"
    assert (told.payload["sanction"]["id"], told.payload["sanction"]["active"]) == (made["id"], False)
    assert told.payload["sanction"]["lift_statement"] == "Muted by mistake."
    entry = AuditEntry.objects.get(action="sanction.lift")
    assert (entry.staff, entry.target_type, entry.target_id, entry.target) == (moderator, "user", str(bob.pk), "")
    assert entry.detail == {"sanction_id": made["id"], "action": "mute", "statement": "Muted by mistake."}
    logged = client_for(moderator).get("/api/moderation/audit/", {"action": "sanction.lift"}).json()["results"]
    assert [e["detail"]["sanction_id"] for e in logged] == [made["id"]]


@pytest.mark.django_db(transaction=True)
async def test_a_lift_reaches_the_players_notification_socket(ws_connect, bob, make_user):
    staff = await sync_to_async(make_user)("staffer", is_staff=True, is_superuser=True)
    made = await sync_to_async(sanction_impose)(
        staff=staff, user_id=bob.pk, action="mute", duration_hours=1, statement="Spam."
    )
    ws, connected, _ = await ws_connect("/ws/notifications/", bob)
    assert connected

    await sync_to_async(sanction_lift)(staff=staff, sanction_id=made.pk, statement="It was a bot, not you.")

    told = await receive_type(ws, "notification")
    assert (told["kind"], told["payload"]["event"]) == ("sanction", "lifted")
    assert told["payload"]["sanction"]["lift_statement"] == "It was a bot, not you."
    assert told["payload"]["sanction"]["active"] is False
    await ws.disconnect()


def test_lifting_a_sanction_that_is_not_running_is_refused_sanction_not_active(client_for, bob, moderator):
    staff = client_for(moderator)
    mute = impose(staff, bob, "mute", hours=1)
    warning = impose(staff, bob, "warn")
    over = impose(staff, bob, "suspend", hours=1)
    Sanction.objects.filter(pk=over["id"]).update(ends_at=timezone.now() - timedelta(seconds=1))  # its hour is up
    assert lift(staff, mute["id"]).status_code == 200

    for sanction_id in (mute["id"], warning["id"], over["id"]):
        refused = lift(staff, sanction_id)
        assert (refused.status_code, refused.json()["code"]) == (409, "sanction_not_active")
    assert AuditEntry.objects.filter(action="sanction.lift").count() == 1
    assert Notification.objects.filter(user=bob, kind="sanction", payload__event="lifted").count() == 1
    missing = lift(staff, 999999)
    assert (missing.status_code, missing.json()["code"]) == (404, "sanction_not_found")


def test_a_lift_needs_a_statement_and_the_moderator_role(client_for, bob, moderator, support):
    made = impose(client_for(moderator), bob, "mute", hours=1)

    unsaid = lift(client_for(moderator), made["id"], statement="")
    assert unsaid.status_code == 400 and "statement" in unsaid.json()
    for outsider in (support, bob):
        refused = lift(client_for(outsider), made["id"])
        assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert Sanction.objects.get(pk=made["id"]).lifted_at is None


def admin_browser(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_the_sanctions_admin_lifts_the_selected_sanctions_with_the_statement_beside(moderator, bob, carol):
    mute = sanction_impose(staff=moderator, user_id=bob.pk, action="mute", duration_hours=1, statement="Spam.")
    ban = sanction_impose(staff=moderator, user_id=carol.pk, action="ban", statement="Cheating.")
    browser = admin_browser(moderator)

    unsaid = browser.post(
        "/admin/safety/sanction/", {"action": "lift", "_selected_action": [mute.pk], "statement": ""}, follow=True
    )
    assert f"Sanction {mute.pk} not lifted: Say why" in unsaid.content.decode()
    answer = browser.post(
        "/admin/safety/sanction/",
        {"action": "lift", "_selected_action": [mute.pk, ban.pk], "statement": "Appeal by mail upheld."},
        follow=True,
    )

    assert "Lifted 2 sanction(s)." in answer.content.decode()
    for sanction in (mute, ban):
        sanction.refresh_from_db()
        assert (sanction.lifted_by, sanction.lift_statement) == (moderator, "Appeal by mail upheld.")
    assert User.objects.get(pk=carol.pk).locked_until is None
    assert AuditEntry.objects.filter(action="sanction.lift").count() == 2
    again = browser.post(
        "/admin/safety/sanction/", {"action": "lift", "_selected_action": [mute.pk], "statement": "x"}, follow=True
    )
    assert f"Sanction {mute.pk} not lifted: This sanction is not running" in again.content.decode()


def test_staff_without_the_moderator_role_have_no_lift_in_the_admin(make_staff, moderator, bob):
    mute = sanction_impose(staff=moderator, user_id=bob.pk, action="mute", duration_hours=1, statement="Spam.")
    liveops = make_staff("ops", "liveops")

    answer = admin_browser(liveops).post(
        "/admin/safety/sanction/", {"action": "lift", "_selected_action": [mute.pk], "statement": "x"}
    )

    assert answer.status_code == 403
    mute.refresh_from_db()
    assert mute.lifted_at is None


def test_a_reversed_suspension_lifts_the_mute_imposed_for_the_same_incident(
    client_for, api_client, alice, bob, carol, make_user, moderator, make_staff, lobby_with
):
    lobby = lobby_with(alice, bob, carol)
    dave = make_user("dave")
    first, _ = report_file(reporter=alice, user_id=bob.pk, reason="harassment", context={"lobby_id": lobby.pk})
    second, _ = report_file(reporter=carol, user_id=bob.pk, reason="hate", context={"lobby_id": lobby.pk})
    elsewhere, _ = report_file(reporter=dave, user_id=bob.pk, reason="spam")  # no place: another case
    report_resolve(staff=moderator, report_id=first.pk, action="mute", duration_hours=24, statement="Insults.")
    report_resolve(staff=moderator, report_id=second.pk, action="suspend", duration_hours=72, statement="Slurs.")
    report_resolve(staff=moderator, report_id=elsewhere.pk, action="mute", duration_hours=48, statement="Spam.")
    suspension = Sanction.objects.get(user=bob, action="suspend")
    other_mute = Sanction.objects.get(user=bob, action="mute", statement="Spam.")
    token = login(api_client, "bob").json()["appeal_token"]
    filed = api_client.post(
        f"/api/sanctions/{suspension.pk}/appeal/", {"text": "Quoting a song.", "appeal_token": token}, format="json"
    )
    assert filed.status_code == 201, filed.content
    appeal_id = client_for(moderator).get("/api/moderation/appeals/").json()["results"][0]["id"]

    decided = client_for(make_staff("senior", MODERATOR)).post(
        f"/api/moderation/appeals/{appeal_id}/decide/",
        {"decision": "reversed", "statement": "The words were a quoted lyric."},
        format="json",
    )

    assert decided.status_code == 200, decided.content
    assert login(api_client, "bob").status_code == 200
    same_case = Sanction.objects.get(user=bob, action="mute", statement="Insults.")
    assert (same_case.lifted_at is not None, same_case.lift_statement) == (True, "The words were a quoted lyric.")
    other_mute.refresh_from_db()
    assert other_mute.lifted_at is None, "a sanction of another case stays"
    told = Notification.objects.filter(user=bob, kind="sanction", payload__event="lifted")
    assert [n.payload["sanction"]["id"] for n in told] == [same_case.pk]
    entry = AuditEntry.objects.get(action="sanction.lift")
    assert entry.detail["case_of"] == suspension.pk and entry.detail["sanction_id"] == same_case.pk


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_moderators_lifting_one_ban_at_once_lift_it_once(make_staff, bob):
    staff = [make_staff(f"lifter{n}", MODERATOR) for n in range(3)]
    ban = sanction_impose(staff=staff[0], user_id=bob.pk, action="ban", statement="Cheating.")

    results = run_at_once(
        *[functools.partial(sanction_lift, staff=user, sanction_id=ban.pk, statement="Not them.") for user in staff]
    )

    assert sorted(r if isinstance(r, str) else "lifted" for r in results) == ["lifted"] + ["sanction_not_active"] * 2
    assert User.objects.get(pk=bob.pk).locked_until is None
    assert AuditEntry.objects.filter(action="sanction.lift").count() == 1
    assert Notification.objects.filter(user=bob, kind="sanction", payload__event="lifted").count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_lift_and_a_new_suspension_at_once_leave_the_account_locked_by_the_new_one(make_staff, bob):
    lifter, imposer = make_staff("lifter", MODERATOR), make_staff("imposer", MODERATOR)
    for round_ in range(5):
        old = sanction_impose(staff=imposer, user_id=bob.pk, action="suspend", duration_hours=1, statement="Old.")

        lifted, new = run_at_once(
            functools.partial(sanction_lift, staff=lifter, sanction_id=old.pk, statement="Served."),
            functools.partial(
                sanction_impose, staff=imposer, user_id=bob.pk, action="suspend", duration_hours=5, statement="New."
            ),
        )

        assert isinstance(lifted, Sanction) and isinstance(new, Sanction), (round_, lifted, new)
        bob.refresh_from_db()
        assert bob.locked_until == new.ends_at, round_
        sanction_lift(staff=lifter, sanction_id=new.pk, statement="Next round.")
        assert User.objects.get(pk=bob.pk).locked_until is None
