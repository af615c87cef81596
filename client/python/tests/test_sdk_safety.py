"""Player safety from the SDK against a live server: a report, a suspension the player's client
meets as ``AccountSuspended`` (its calls and its socket), an appeal by token, the sanctions."""

import asyncio

import pytest
from gameplatform_client import AccountSuspended, GameClient, MessageType, Muted
from gameplatform_client.errors import error_from_frame, error_from_response

from .conftest import new_name


def test_account_suspended_and_muted_carry_their_fields():
    body = {
        "detail": "This account is banned.",
        "code": "account_suspended",
        "until": None,
        "statement": "Cheating.",
        "sanction_id": 4,
        "appeal_token": "tok",
    }
    locked = error_from_response(403, body)
    assert isinstance(locked, AccountSuspended)
    assert (locked.until, locked.banned, locked.statement, locked.sanction_id, locked.appeal_token) == (
        None,
        True,
        "Cheating.",
        4,
        "tok",
    )
    muted = error_from_frame({"type": "error", "code": "muted", "message": "Muted.", "until": "2030-01-01T00:00:00Z"})
    assert isinstance(muted, Muted) and muted.until == "2030-01-01T00:00:00Z"


def second_moderator(server) -> tuple[str, str]:
    """(username, password) of another user in the ``moderator`` role than ``server.moderator()``."""
    username, password = new_name("mod2"), "pass-w0rd-long-enough"
    user = server.register(username, password)
    server.shell(
        "from django.contrib.auth.models import Group; from accounts.models import User; "
        f"u = User.objects.get(pk={user['id']}); u.is_staff = True; u.save(update_fields=['is_staff']); "
        "u.groups.add(Group.objects.get(name='moderator'))"
    )
    return username, password


async def test_a_report_a_suspension_and_an_appeal_by_token(server, make_client):
    alice, bob = await make_client("alice"), await make_client("bob")
    answers = []

    async def status_of(response):
        answers.append(response.status_code)

    alice._http.event_hooks["response"].append(status_of)
    filed = await alice.report(bob.user_id, "harassment", comment="Insults.")
    again = await alice.report(bob.user_id, "spam")
    assert (filed["status"], again["id"], answers[-2:]) == ("open", filed["id"], [201, 200])
    assert [(r["id"], r["status"]) for r in await alice.my_reports()] == [(filed["id"], "open")]

    await bob.open_sockets(world=False)
    told = asyncio.get_running_loop().create_future()
    bob.register_handler(MessageType.SANCTION, lambda f: told.done() or told.set_result(f))
    closed = asyncio.get_running_loop().create_future()
    bob.register_handler("disconnected", lambda e: closed.done() or closed.set_result(e))
    group = await bob.create_group(new_name("g"))

    moderator = server.moderator()
    async with GameClient(server.http) as staff:
        await staff.login(moderator["username"], moderator["password"])
        await staff.post(
            f"/api/moderation/reports/{filed['id']}/resolve/",
            {"action": "mute", "duration_hours": 1, "statement": "Insults after the match."},
        )
        notice = (await asyncio.wait_for(told, 5))["payload"]
        assert (notice["event"], notice["sanction"]["action"]) == ("imposed", "mute")
        with pytest.raises(Muted) as muted:
            await bob.post_group_message(group["id"], "hello")
        assert muted.value.until == notice["sanction"]["ends_at"]

        statement = "Threats."
        await staff.post(
            "/api/moderation/sanctions/",
            {"user_id": bob.user_id, "action": "suspend", "duration_hours": 24, "statement": statement},
        )
        gone = await asyncio.wait_for(closed, 5)
        assert (gone.code, gone.will_retry, type(gone.error)) == (4403, False, AccountSuspended)
        with pytest.raises(AccountSuspended) as locked:
            await bob.me()
        error = locked.value
        assert error.statement == statement and error.until is not None and error.appeal_token

        # Bob's tokens would be refused: the appeal goes without them, by the token.
        appealed = await bob.appeal(error.sanction_id, "It was a joke.", appeal_token=error.appeal_token)
        assert appealed["appeal"]["status"] == "open"
        appeals = [a async for a in staff.pages("/api/moderation/appeals/")]
        appeal_id = next(a["id"] for a in appeals if a["sanction"]["id"] == error.sanction_id)
    async with GameClient(server.http) as reviewer:  # another moderator than the one who imposed it
        await reviewer.login(*second_moderator(server))
        await reviewer.post(
            f"/api/moderation/appeals/{appeal_id}/decide/", {"decision": "reversed", "statement": "Ok."}
        )

    sanctions = {s["action"]: s for s in await bob.my_sanctions()}
    assert (sanctions["suspend"]["active"], sanctions["suspend"]["appeal"]["status"]) == (False, "reversed")
    assert sanctions["mute"]["active"] and sanctions["mute"]["statement"] == "Insults after the match."
