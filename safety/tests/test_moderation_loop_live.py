"""The loop a moderator works, against the live server: a report's context must be the reporter's,
its evidence is what was said there, a claim is let go, a suspension carries its statement of
reasons, the suspended player cannot come back as a guest, and their appeal is decided by another
moderator than the one who imposed it."""

import uuid

import httpx
import pytest

from conftest import requires_postgres
from gameplatform.tests.live import bearer

pytestmark = [pytest.mark.live, requires_postgres]
_run = uuid.uuid4().hex[:6]


def call(live, method: str, path: str, access: str | None = None, **body) -> httpx.Response:
    headers = bearer(access) if access else {}
    return httpx.request(method, f"{live.http}{path}", json=body or None, headers=headers, timeout=10)


def second_moderator(live) -> dict:
    password = "pass-w0rd-long-enough"
    user = live.register(f"mod2_{_run}", password)
    live.shell(
        "from django.contrib.auth.models import Group; from accounts.models import User; "
        f"u = User.objects.get(pk={user['id']}); u.is_staff = True; u.save(update_fields=['is_staff']); "
        "u.groups.add(Group.objects.get(name='moderator'))"
    )
    return user


def test_a_report_goes_through_the_whole_loop_on_the_live_server(live):
    first, second = live.moderator(), second_moderator(live)
    reporter = live.register(f"rep_{_run}")
    outsider = live.register(f"out_{_run}")
    device = str(uuid.uuid4())
    offender = call(
        live, "POST", "/api/auth/register/", username=f"off_{_run}", email=f"off_{_run}@example.com",
        password="pass-w0rd-long-enough", password_confirm="pass-w0rd-long-enough", device_id=device,
    ).json()  # fmt: skip
    code = (
        "from accounts.models import User; from chat.lobbies.services import lobby_create, lobby_join; "
        f"o = User.objects.get(pk={reporter['id']}); "
        "o.is_premium = True; o.save(update_fields=['is_premium']); "
        f"lobby = lobby_create(owner=o, name='loop {_run}'); "
        f"lobby_join(lobby_id=lobby.pk, user=User.objects.get(pk={offender['user']['id']})); print(lobby.pk)"
    )
    lobby_id = int(live.shell(code).strip().splitlines()[-1])
    said = call(live, "POST", f"/api/lobbies/{lobby_id}/messages/", offender["access"], content=f"you lose {_run}")
    assert said.status_code == 201, said.text
    offender_id = offender["user"]["id"]

    # A context the reporter was never in is refused; their own lobby is taken, with its evidence.
    outside = call(
        live, "POST", "/api/reports/", outsider["access"], user_id=offender_id, reason="harassment",
        context={"lobby_id": lobby_id},
    )  # fmt: skip
    assert (outside.status_code, outside.json()["code"]) == (403, "not_in_context")
    filed = call(
        live, "POST", "/api/reports/", reporter["access"], user_id=offender_id, reason="harassment",
        comment="Insults in the lobby.", context={"lobby_id": lobby_id},
    )  # fmt: skip
    assert filed.status_code == 201, filed.text
    report_id = filed.json()["id"]
    queue = call(live, "GET", "/api/moderation/reports/?status=open", first["access"]).json()
    queued = next(report for report in queue["results"] if report["id"] == report_id)
    assert f"you lose {_run}" in str(queued["evidence"])

    # A claim holds the report for its moderator until they let it go.
    assert call(live, "POST", f"/api/moderation/reports/{report_id}/claim/", first["access"]).status_code == 200
    held = call(
        live, "POST", f"/api/moderation/reports/{report_id}/resolve/", second["access"], action="dismiss",
        statement="-",
    )  # fmt: skip
    assert (held.status_code, held.json()["code"]) == (409, "report_claimed")
    assert call(live, "POST", f"/api/moderation/reports/{report_id}/unclaim/", first["access"]).status_code == 200
    resolved = call(
        live, "POST", f"/api/moderation/reports/{report_id}/resolve/", second["access"], action="suspend",
        duration_hours=24, statement="Insulting another player in a lobby.",
    )  # fmt: skip
    assert resolved.status_code == 200, resolved.text

    # The player is told why, and cannot come back as a guest from the same device.
    login = call(live, "POST", "/api/auth/login/", username=f"off_{_run}", password="pass-w0rd-long-enough")
    assert (login.status_code, login.json()["code"]) == (403, "account_suspended")
    refusal = login.json()
    guest = call(live, "POST", "/api/auth/device/", device_id=device)
    assert (guest.status_code, guest.json()["code"]) == (403, "account_suspended")
    sanction_id = refusal["sanction_id"]
    appealed = call(
        live, "POST", f"/api/sanctions/{sanction_id}/appeal/", text="It was a joke between friends.",
        appeal_token=refusal["appeal_token"],
    )  # fmt: skip
    assert appealed.status_code == 201, appealed.text

    # The moderator who imposed it cannot decide the appeal; another one reverses it.
    appeals = call(live, "GET", "/api/moderation/appeals/?status=open", first["access"]).json()["results"]
    appeal = next(appeal for appeal in appeals if appeal["sanction"]["id"] == sanction_id)
    assert appeal["sanction"]["statement"] == "Insulting another player in a lobby."
    same = call(
        live, "POST", f"/api/moderation/appeals/{appeal['id']}/decide/", second["access"], decision="reversed",
        statement="-",
    )  # fmt: skip
    assert (same.status_code, same.json()["code"]) == (409, "same_moderator")
    reversed_ = call(
        live, "POST", f"/api/moderation/appeals/{appeal['id']}/decide/", first["access"], decision="reversed",
        statement="Between friends: no harassment.",
    )  # fmt: skip
    assert reversed_.status_code == 200, reversed_.text
    again = call(live, "POST", "/api/auth/login/", username=f"off_{_run}", password="pass-w0rd-long-enough")
    assert again.status_code == 200, again.text
