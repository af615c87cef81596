"""Relay mode end to end: moves and actions relayed, the result accepted only when reports agree."""

import pytest

from conftest import receive_type
from game import registry, services
from game.models import Game, Rating
from game.modes.builtin.relay import Relay
from game.offline import game_play_offline, start_all
from game.tests.conftest import db

pytestmark = pytest.mark.django_db(transaction=True)


async def test_relay_game_end_to_end(make_game, alice, bob, start_game):
    game = await db(make_game)(alice, bob, mode="relay")
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await ws_a.send_json_to({"type": "player_move", "movement": {"x": 10, "y": 4, "vx": -1}})
    for ws in (ws_a, ws_b):
        frame = await ws.receive_json_from()
        assert frame == {"type": "player_move", "user_id": alice.pk, "movement": {"x": 10, "y": 4, "vx": -1}}
    await ws_b.send_json_to({"type": "player_move", "movement": [1, 2]})
    assert (await ws_b.receive_json_from())["code"] == "invalid"
    await ws_b.send_json_to({"type": "player_move", "movement": {"blob": "x" * 5000}})
    assert (await ws_b.receive_json_from())["code"] == "invalid"

    scores = {str(alice.pk): 5, str(bob.pk): 3}
    disagree = {str(alice.pk): 4, str(bob.pk): 3}
    for sender, report in ((ws_a, scores), (ws_b, disagree)):
        await sender.send_json_to({"type": "game_action", "action": "report_score", "data": {"scores": report}})
        for ws in (ws_a, ws_b):  # every report is relayed to the room, its sender included
            assert (await receive_type(ws, "game_action"))["data"]["scores"] == report
            state = await receive_type(ws, "game_state")  # the reports are in the view
            assert state["state"] == "active" and state["view"]["reports"][str(alice.pk)] == scores
    assert await ws_a.receive_nothing(0.2)  # no agreement: the game goes on
    assert (await db(Game.objects.get)(pk=game.pk)).state == "active"

    await ws_b.send_json_to({"type": "game_action", "action": "report_score", "data": {"scores": scores}})
    for ws in (ws_a, ws_b):
        state = await receive_type(ws, "game_state")
        assert state["state"] == "finished" and {p["id"]: p["score"] for p in state["players"]} == {
            alice.pk: 5,
            bob.pk: 3,
        }
        assert await ws.receive_json_from() == {"type": "game_over", "winner_id": alice.pk, "reason": "win"}
    assert await db(lambda: Rating.objects.get(user=alice, mode="relay").rating)() == 1016
    await ws_a.disconnect()
    await ws_b.disconnect()


def test_relay_lobby_game_goes_on_when_one_of_three_forfeits(make_game, alice, bob, carol):
    game = make_game(alice, bob, carol, mode="relay", lobby_id=12)
    assert [p.side for p in game.players.all()] == ["left", "right", "left"]
    scores = {"scores": {str(alice.pk): 1, str(bob.pk): 1}}

    def steps(room):
        start_all(room)
        room.forfeit(carol.pk)
        assert room.phase == "active"
        room.action(alice.pk, "report_score", scores)
        room.action(bob.pk, "report_score", scores)

    game_play_offline(game_id=game.pk, steps=steps)
    game.refresh_from_db()
    assert (game.state, game.reason, game.winner_id) == ("finished", "draw", None)
    results = {r.user_id: (r.wins, r.draws, r.losses) for r in Rating.objects.filter(mode="relay")}
    assert results == {alice.pk: (0, 1, 0), bob.pk: (0, 1, 0), carol.pk: (0, 0, 1)}


def test_game_create_checks_mode_and_player_count(alice, bob, carol):
    with pytest.raises(services.ApplicationError) as err:
        services.game_create(mode="chess", players=[alice, bob])
    assert err.value.code == "invalid_mode"
    with pytest.raises(services.ApplicationError) as err:
        services.game_create(mode="tictactoe", players=[alice, bob, carol])
    assert err.value.code == "invalid_player_count"
    with pytest.raises(services.ApplicationError) as err:
        services.game_create(mode="relay", players=[alice, alice])
    assert err.value.code == "invalid_players"
    with pytest.raises(services.ApplicationError) as err:
        services.game_create(mode="relay", players=list(range(1, 66)))
    assert err.value.code == "invalid_player_count"


def test_a_lobby_can_start_a_64_player_relay_game(make_user):
    players = [make_user() for _ in range(64)]
    game = services.game_create(mode="relay", players=players, lobby_id=3)
    assert game.players.count() == 64 and game.lobby_id == 3 and game.state == "waiting_for_players"


class SlowRelay(Relay):
    name = "slowrelay"
    input_rate = 3.0


@pytest.fixture
def slow_relay(settings):
    settings.GAME_MODES = [*settings.GAME_MODES, "game.tests.test_relay.SlowRelay"]
    registry.modes.cache_clear()
    yield
    registry.modes.cache_clear()


async def test_frames_beyond_the_modes_input_rate_are_refused_rate_limited_and_dropped(
    make_game, alice, bob, start_game, slow_relay
):
    game = await db(make_game)(alice, bob, mode="slowrelay")
    ws_a, ws_b = await start_game(game.pk, alice, bob)  # the ready frame spent one of the 3 a second
    for n in range(4):
        await ws_a.send_json_to({"type": "player_move", "movement": {"n": n}})
    frames = [await ws_a.receive_json_from() for _ in range(4)]
    assert [f["movement"]["n"] for f in frames if f["type"] == "player_move"] == [0, 1]
    errors = [f for f in frames if f["type"] == "error"]
    assert [e["code"] for e in errors] == ["rate_limited", "rate_limited"] and errors[0]["retry_after"] > 0
    await ws_a.disconnect()
    await ws_b.disconnect()


def test_a_score_keyed_by_a_digit_that_is_not_ascii_is_refused_like_any_other_bad_key():
    from game.modes.builtin.relay import Relay
    from gameplatform.modes.testing import ModeTester

    game = ModeTester(Relay())
    game.start()
    for key in ("²", "١", "𝟙", "1 "):  # str.isdigit() says yes to the first three; int() to none or the last
        game.refused(1, "illegal_action", action=("report_score", {"scores": {key: 1, "2": 0}}))
    game.action(1, "report_score", {"scores": {"1": 1, "2": 0}})
    assert game.view(2)["reports"] == {"1": {"1": 1, "2": 0}}
    assert game.errors == []
