"""A player who deletes their account forfeits the games they still play, through the room
wherever it runs: the other player wins at once instead of waiting out an away grace."""

import pytest

from accounts.models import User
from accounts.services import user_delete
from conftest import closed_with, receive_type
from game.models import Game
from game.tests.conftest import db

pytestmark = pytest.mark.django_db(transaction=True)


def delete(user_id: int) -> None:
    user_delete(user=User.objects.get(pk=user_id))


async def test_a_deleted_player_forfeits_their_running_game_and_the_other_player_wins(
    make_game, start_game, alice, bob
):
    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await db(delete)(alice.pk)
    over = await receive_type(ws_b, "game_over", timeout=10)
    assert (over["winner_id"], over["reason"]) == (bob.pk, "forfeit")
    assert await closed_with(ws_a, timeout=10) == 4401  # the account's sockets close with it
    recorded = await db(Game.objects.get)(pk=game.pk)
    assert (recorded.state, recorded.winner_id, recorded.reason) == ("finished", bob.pk, "forfeit")
    await ws_b.disconnect()


async def test_deleting_a_player_with_a_game_nobody_joined_yet_still_deletes_them(make_game, alice, bob):
    game = await db(make_game)(alice, bob)  # no room runs it: nothing to forfeit through
    await db(delete)(alice.pk)
    assert not await db(User.objects.filter(pk=alice.pk).exists)()
    assert await db(Game.objects.filter(pk=game.pk).exists)()
