"""Games started from a chat lobby hand the lobby back when they end."""

import pytest

from chat.lobbies.factories import make_lobby
from chat.lobbies.services import lobby_join, lobby_start
from chat.models import Lobby
from game import registry
from game.models import Game
from game.modes.builtin.relay import Relay
from game.offline import game_play_offline, start_all
from gameplatform.core.errors import ApplicationError

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


class Quartet(Relay):
    """A test mode for four players exactly."""

    name = "quartet"
    min_players = max_players = 4


@pytest.fixture
def quartet(settings):
    settings.GAME_MODES = [*settings.GAME_MODES, "game.tests.test_lobby_games.Quartet"]
    registry.modes.cache_clear()
    yield
    registry.modes.cache_clear()


def test_lobby_start_plays_the_arena_with_all_three_members(premium_owner, alice, bob):
    lobby = make_lobby(owner=premium_owner, members=[alice, bob])
    lobby = lobby_start(lobby_id=lobby.pk, user=premium_owner, mode="arena")
    game = Game.objects.get(pk=lobby.game_id)
    assert (game.mode, game.lobby_id) == ("arena", lobby.pk)
    assert list(game.players.order_by("seat").values_list("user_id", flat=True)) == [premium_owner.pk, alice.pk, bob.pk]


def test_a_mode_for_more_members_than_the_lobby_has_is_refused_until_they_come(
    premium_owner, alice, bob, carol, quartet
):
    lobby = make_lobby(owner=premium_owner, members=[alice, bob])
    with pytest.raises(ApplicationError) as refused:
        lobby_start(lobby_id=lobby.pk, user=premium_owner, mode="quartet")
    assert (refused.value.code, refused.value.status_code) == ("invalid_player_count", 409)
    assert refused.value.message == "quartet takes 4 players; this lobby has 3."
    assert not Game.objects.exists()
    lobby_join(lobby_id=lobby.pk, user=carol, via_invite=True)  # the fourth: now it starts
    game = Game.objects.get(pk=lobby_start(lobby_id=lobby.pk, user=premium_owner, mode="quartet").game_id)
    assert (game.mode, game.players.count()) == ("quartet", 4)
