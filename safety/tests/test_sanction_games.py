"""A suspended player's running game takes their forfeit at once, under the game's rules."""

import pytest
from asgiref.sync import sync_to_async

from conftest import closed_with, receive_type
from game.models import Game
from game.tests.conftest import db, make_game, open_game, start_game  # noqa: F401
from safety.sanctions import sanction_impose
from staff.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_suspended_players_running_game_ends_by_their_forfeit(make_game, start_game, make_user, alice, bob):  # noqa: F811
    staff = await sync_to_async(make_user)("staffer", is_staff=True, is_superuser=True)
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await db(sanction_impose)(staff=staff, user_id=alice.pk, action="suspend", duration_hours=1, statement="Cheating.")
    over = await receive_type(ws_b, "game_over", timeout=10)
    assert (over["winner_id"], over["reason"]) == (bob.pk, "forfeit")
    recorded = await db(Game.objects.get)(pk=game.pk)
    assert (recorded.winner_id, recorded.reason) == (bob.pk, "forfeit")
    assert await db(AuditEntry.objects.filter(action="room.kick", target_id=str(game.pk)).exists)()
    assert await closed_with(ws_a, timeout=5) == 4403
    await ws_b.disconnect()
