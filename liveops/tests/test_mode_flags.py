"""A game's mode reads flags (``ctx.flag``): the game's own values and each player's, taken when
its room is made: a running live event overrides them, an experiment hashed by ``game_id`` splits
games, a player's value is their own read (audience, variation, joined events) with its exposure."""

from datetime import timedelta

import pytest
from django.utils import timezone

from game import services as games
from game.models import Game
from gameplatform.rooms.flags import flags_now
from liveops.models import Exposure, PlayerAttributes
from liveops.schedule import services as events
from liveops.schedule.models import LiveEventJoin

pytestmark = pytest.mark.django_db

ROUND_LENGTH = {  # an experiment on a game's rules: a game is in one variation, whoever plays it
    "variations": [60, 90],
    "weights": [0.5, 0.5],
    "key": "round-length",
    "hashAttribute": "game_id",
    "coverage": 1,
}


def running_event(**fields):
    now = timezone.now()
    return events.live_event_create(
        staff=None, name="Double XP", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1), **fields
    )


def test_the_games_values_are_the_rules_for_everyone_not_a_players_audience_or_rollout(make_flag):
    make_flag("target", 3, [{"force": 7}])  # an audience of everyone: the game's too
    make_flag("premium_bonus", 0, [{"condition": {"is_premium": True}, "force": 10}])
    make_flag(
        "skin",
        "plain",
        [{"variations": ["a", "b"], "weights": [0.5, 0.5], "key": "exp", "hashAttribute": "id", "coverage": 1}],
    )
    assert flags_now(1, []).room == {"target": 7, "premium_bonus": 0, "skin": "plain"}


def test_a_running_live_event_overrides_the_games_value(make_flag):
    make_flag("xp_multiplier", 1)
    running_event(overrides={"xp_multiplier": 2})
    assert flags_now(1, []).room["xp_multiplier"] == 2


def test_an_explicit_or_conditional_live_event_is_a_players_not_the_games(make_flag, alice):
    make_flag("xp_multiplier", 1)
    joined = running_event(overrides={"xp_multiplier": 3}, join="explicit")
    LiveEventJoin.objects.create(event=joined, user=alice, occurrence_start=joined.starts_at)
    flags = flags_now(1, [alice.pk])
    assert flags.room["xp_multiplier"] == 1
    assert flags.players[alice.pk]["xp_multiplier"] == 3


def test_an_experiment_hashed_by_game_splits_games_and_each_game_keeps_one_value(make_flag, alice, bob):
    make_flag("round_seconds", 60, [ROUND_LENGTH])
    values = {game_id: flags_now(game_id, []).room["round_seconds"] for game_id in range(1, 41)}
    assert set(values.values()) == {60, 90}  # games in both variations
    assert all(flags_now(game_id, []).room["round_seconds"] == value for game_id, value in values.items())
    game_id = next(g for g, v in values.items() if v == 90)
    flags = flags_now(game_id, [alice.pk, bob.pk])
    exposed = set(Exposure.objects.filter(key="round-length").values_list("user_id", "variation"))
    assert exposed == {(alice.pk, 1), (bob.pk, 1)}  # the game's players, in its variation
    # a player's own read carries no game: the game's experiment is the game's value only
    assert flags.players[alice.pk]["round_seconds"] == 60


def test_each_players_value_is_their_own_read_with_its_exposure(make_flag, alice, bob):
    make_flag("bonus", 0, [{"condition": {"platform": "ios"}, "force": 5}])
    make_flag(
        "skin",
        "plain",
        [{"variations": ["a", "b"], "weights": [0, 1], "key": "skins", "hashAttribute": "id", "coverage": 1}],
    )
    PlayerAttributes.objects.create(user=alice, platform="ios")
    flags = flags_now(1, [alice.pk, bob.pk])
    assert (flags.players[alice.pk]["bonus"], flags.players[bob.pk]["bonus"]) == (5, 0)
    assert flags.players[alice.pk]["skin"] == flags.players[bob.pk]["skin"] == "b"
    assert set(Exposure.objects.filter(key="skins").values_list("user_id", flat=True)) == {alice.pk, bob.pk}


def test_a_new_games_flags_are_kept_on_its_record_for_its_replay(make_flag, alice, bob):
    make_flag("target", 3, [{"condition": {"platform": "ios"}, "force": 5}])
    PlayerAttributes.objects.create(user=alice, platform="ios")
    game = games.game_create(mode="tictactoe", players=[alice, bob])
    flags = games.game_flags_fix(game_id=game.pk, player_ids=[alice.pk, bob.pk])
    assert (flags.room["target"], flags.players[alice.pk]["target"], flags.players[bob.pk]["target"]) == (3, 5, 3)
    kept = Game.objects.get(pk=game.pk).flags
    assert kept == {"room": {"target": 3}, "players": {str(alice.pk): {"target": 5}, str(bob.pk): {"target": 3}}}
