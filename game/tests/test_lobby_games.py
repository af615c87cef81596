"""Games started from a chat lobby hand the lobby back when they end."""

import pytest

from chat.lobbies.factories import make_lobby
from chat.lobbies.services import lobby_start
from chat.models import Lobby
from game.models import Game
from game.offline import game_play_offline, start_all

pytestmark = pytest.mark.django_db


def test_lobby_start_creates_a_relay_game_for_the_members(premium_owner, alice, bob):
    lobby = make_lobby(owner=premium_owner, members=[alice, bob])
    lobby = lobby_start(lobby_id=lobby.pk, user=premium_owner)
    game = Game.objects.get(lobby_id=lobby.pk)
    assert lobby.status == Lobby.Status.IN_GAME
    assert game.mode == "relay"
    assert set(game.players.values_list("user_id", flat=True)) == {premium_owner.pk, alice.pk, bob.pk}


def test_lobby_opens_again_when_its_game_ends(premium_owner, alice):
    lobby = make_lobby(owner=premium_owner, members=[alice])
    lobby_start(lobby_id=lobby.pk, user=premium_owner)
    game = Game.objects.get(lobby_id=lobby.pk)

    def steps(room):
        start_all(room)
        room.forfeit(alice.pk)

    game_play_offline(game_id=game.pk, steps=steps)
    lobby.refresh_from_db()
    game.refresh_from_db()
    assert game.state in {Game.State.FINISHED, Game.State.ABANDONED}
    assert lobby.status == Lobby.Status.OPEN
