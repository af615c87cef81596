"""The admin's room inspector (``/admin/operations/games/<id>/``): a running game's full state,
audited, and the two staff actions, each applied by the room's owner.

The game's room runs on the test's event loop (its players' sockets are there); the admin's pages
run in a thread through Django's test client, whose staff commands go through the game's group
as from another server process (``RoomHost.command``): the owner applies them and sends back its
receipt."""

import asyncio

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from conftest import closed_with, receive_type
from game import rooms
from game.models import Game
from game.tests.conftest import db
from gameplatform.modes.commands import Forfeit
from staff.models import AuditEntry
from staff.roles import MODERATOR, SUPPORT

pytestmark = pytest.mark.django_db(transaction=True)


def page(game_id: int) -> str:
    return f"/admin/operations/games/{game_id}/"


@pytest.fixture
def staff_client(make_user):
    """A signed-in admin client for a staff member in ``role`` (None: in no role)."""

    def make(name: str, role: str | None, *, is_staff: bool = True) -> Client:
        user = make_user(name, is_staff=is_staff)
        if role is not None:
            user.groups.add(Group.objects.get(name=role))
        client = Client()
        client.force_login(user)
        return client

    return make


async def game_over(ws) -> dict:
    return await receive_type(ws, "game_over")


async def test_moderator_sees_a_running_games_players_and_state_and_the_view_is_audited(
    make_game, start_game, staff_client, alice, bob
):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    mia = await db(staff_client)("mia", MODERATOR)
    live = await db(mia.get)("/admin/operations/")
    assert f'href="{page(game.pk)}"' in live.content.decode()
    answer = await db(mia.get)(page(game.pk))
    assert answer.status_code == 200
    html = answer.content.decode()
    assert ">alice</a>" in html and ">bob</a>" in html
    assert "<th>Phase</th><td>active</td>" in html
    assert rooms.get_room_host().owner in html  # the process holding the room's lease
    assert "&quot;board&quot;" in html  # the mode's state as the owner saved it (escaped)
    assert "<td>ready</td>" in html  # the last steps
    entry = await db(AuditEntry.objects.get)(action="room.inspect")
    assert (entry.staff_name, entry.target_type, entry.target_id) == ("mia", "game", str(game.pk))
    assert entry.detail["phase"] == "active"
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_a_kicked_player_loses_by_forfeit_and_their_socket_closes_4403(
    make_game, start_game, staff_client, alice, bob
):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    mia = await db(staff_client)("mia", MODERATOR)
    answer = await db(mia.post)(page(game.pk), {"action": "kick", "user_id": alice.pk}, follow=True)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Kicked alice: they left the game by forfeit" in html
    over = await game_over(ws_b)
    assert (over["winner_id"], over["reason"]) == (bob.pk, "forfeit")
    assert (await receive_type(ws_a, "error"))["code"] == "not_a_player"
    assert await closed_with(ws_a) == 4403
    recorded = await db(Game.objects.get)(pk=game.pk)
    assert (recorded.state, recorded.winner_id, recorded.reason) == ("finished", bob.pk, "forfeit")
    entry = await db(AuditEntry.objects.get)(action="room.kick")
    assert entry.detail == {"user_id": alice.pk, "username": "alice"} and entry.target_id == str(game.pk)
    await ws_b.disconnect()


async def test_staff_end_a_game_abandoned(make_game, start_game, staff_client, alice, bob):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    admin = await db(staff_client)("ada", "admin")
    answer = await db(admin.post)(page(game.pk), {"action": "end"}, follow=True)
    assert "The game was ended" in answer.content.decode()
    for ws in (ws_a, ws_b):
        over = await game_over(ws)
        assert (over["winner_id"], over["reason"]) == (None, "abandoned")
    recorded = await db(Game.objects.get)(pk=game.pk)
    assert (recorded.state, recorded.reason) == ("abandoned", "abandoned")
    assert await db(AuditEntry.objects.filter(action="room.end", target_id=str(game.pk)).count)() == 1
    again = await db(admin.post)(page(game.pk), {"action": "end"}, follow=True)
    assert "The game is over. (game_over)" in again.content.decode()
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_a_command_to_a_room_run_here_is_applied_here(make_game, start_game, alice, bob):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    assert await asyncio.wait_for(rooms.room_command(game.pk, Forfeit(bob.pk)), 5)
    over = await game_over(ws_a)
    assert (over["winner_id"], over["reason"]) == (alice.pk, "forfeit")
    await ws_a.disconnect()
    await ws_b.disconnect()


@pytest.mark.parametrize(
    ("role", "is_staff", "status"),
    [(SUPPORT, True, 403), (None, True, 403), (MODERATOR, False, 302)],
    ids=["support", "staff-in-no-role", "not-staff"],
)
def test_only_moderators_and_admins_open_the_inspector(make_game, staff_client, alice, bob, role, is_staff, status):
    game = make_game(alice, bob)
    client = staff_client("sam", role, is_staff=is_staff)
    for answer in (client.get(page(game.pk)), client.post(page(game.pk), {"action": "end"})):
        assert answer.status_code == status
        if status == 302:
            assert answer["Location"].startswith("/admin/login/")
    assert not AuditEntry.objects.exists()
    assert Game.objects.get(pk=game.pk).state == "waiting_for_players"


def test_a_game_nobody_runs_shows_its_seats_and_refuses_actions(make_game, staff_client, alice, bob):
    game = make_game(alice, bob)
    mia = staff_client("mia", MODERATOR)
    html = mia.get(page(game.pk)).content.decode()
    assert "no process runs the room now" in html and ">alice</a>" in html
    answer = mia.post(page(game.pk), {"action": "kick", "user_id": alice.pk}, follow=True)
    assert "(room_not_running)" in answer.content.decode()
    assert list(AuditEntry.objects.values_list("action", flat=True).order_by("id")) == ["room.inspect", "room.inspect"]
    assert mia.get(page(10**9)).status_code == 404


async def test_a_finished_game_shows_no_seat_connected(make_game, start_game, staff_client, alice, bob):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    mia = await db(staff_client)("mia", MODERATOR)
    await ws_a.send_json_to({"type": "forfeit"})
    await game_over(ws_b)
    # Bob's socket is still open, but the game is over: no seat of it is connected to anything.
    html = (await db(mia.get)(page(game.pk))).content.decode()
    seats = html.split('id="seats"', 1)[1].split("</table>", 1)[0]
    assert "<td>connected</td>" not in seats
    assert seats.count("<td>game over</td>") == 2
    await ws_a.disconnect()
    await ws_b.disconnect()
