"""A mode's ``messages`` map, and the three verbs it replaces, which keep working (deprecated)."""

import warnings

import pytest

from gameplatform.modes import Message, Mode, Reject, message
from gameplatform.modes.schema import AnyObject, Int, Obj
from gameplatform.modes.testing import ModeTester


class Race(Mode):
    """First to 5 points: moves score, an input steers, ``bonus`` doubles, other actions are counted."""

    name = "race"

    def setup(self, ctx):
        return {"points": {str(p.id): 0 for p in ctx.players}, "dir": 0, "other": []}

    def on_start(self, state, ctx):
        ctx.turn = ctx.players[0].id

    def score(self, state, player, points, ctx):
        if ctx.turn != player.id:
            raise Reject("not_your_turn", "Wait.")
        state["points"][str(player.id)] += points
        ctx.turn = ctx.next_turn()
        if state["points"][str(player.id)] >= 5:
            ctx.finish(winner=player.id)


MOVE = Obj(points=Int(1, 3))
STEER = Obj(dx=Int(-1, 1))
BONUS = Obj(times=Int(2, 2))


class MappedRace(Race):
    @message("move", MOVE)
    def take(self, state, player, movement, ctx):
        self.score(state, player, movement["points"], ctx)

    @message("input", STEER)
    def steer(self, state, player, data, ctx):
        state["dir"] = data["dx"]

    @message("bonus", BONUS)
    def bonus(self, state, player, data, ctx):
        state["points"][str(player.id)] *= data["times"]

    @message("*", AnyObject())
    def other(self, state, player, action, data, ctx):
        state["other"].append(action)


with warnings.catch_warnings(record=True) as LEGACY_WARNINGS:
    warnings.simplefilter("always")

    class VerbRace(Race):
        move_schema = MOVE
        input_schema = STEER
        action_schemas = {"bonus": BONUS, "*": AnyObject()}

        def on_move(self, state, player, movement, ctx):
            self.score(state, player, movement["points"], ctx)

        def on_input(self, state, player, data, ctx):
            state["dir"] = data["dx"]

        def on_action(self, state, player, action, data, ctx):
            if action == "bonus":
                state["points"][str(player.id)] *= data["times"]
            else:
                state["other"].append(action)


def play(mode: Mode) -> ModeTester:
    game = ModeTester(mode)
    game.start()
    game.move(1, {"points": 2})
    game.refused(1, "not_your_turn", move={"points": 1})
    game.refused(2, "invalid", move={"points": 7})
    game.move(2, {"points": 1})
    game.input(1, {"dx": -1})
    game.action(1, "wave", {"at": 2})
    game.action(1, "bonus", {"times": 2})
    game.refused(1, "invalid", action=("bonus", {"times": 3}))
    game.refused(1, "invalid", action=("Bad Name", {}))
    game.move(1, {"points": 1})
    return game


@pytest.mark.parametrize("mode", [MappedRace(), VerbRace()], ids=["messages", "verbs"])
def test_a_mapped_mode_and_a_mode_of_the_old_verbs_play_the_same_game(mode):
    game = play(mode)

    assert game.result.winner == 1
    assert game.view(2) == {"points": {"1": 5, "2": 1}, "dir": -1, "other": ["wave"]}
    assert [f["code"] for f in game.frames(2, "error")] == []


def test_both_list_the_same_schemas():
    assert MappedRace.describe()["messages"] == VerbRace.describe()["messages"]
    assert MappedRace.describe()["messages"]["game_action"].keys() == {"bonus", "*"}


def test_the_old_verbs_warn_once_when_the_mode_is_made():
    (warning,) = [w for w in LEGACY_WARNINGS if issubclass(w.category, DeprecationWarning)]
    assert "VerbRace" in str(warning.message) and "messages" in str(warning.message)
    assert warning.filename == __file__  # it points at the mode, not at the platform


def test_a_mode_without_the_message_refuses_it_as_before():
    class Quiet(Race):
        pass

    game = ModeTester(Quiet())
    game.start()
    game.refused(1, "unknown_type", move={"points": 1})
    game.refused(1, "unknown_type", input={"dx": 0})
    game.refused(1, "unknown_action", action=("wave", {}))


def test_a_map_written_in_the_class_works_like_the_decorator():
    def take(mode, state, player, movement, ctx):
        mode.score(state, player, movement["points"], ctx)

    class Written(Race):
        messages = {"move": Message(MOVE, take)}

    game = ModeTester(Written())
    game.start()
    game.move(1, {"points": 3})
    assert game.view(2)["points"] == {"1": 3, "2": 0}


def test_a_subclass_overriding_a_handler_by_name_handles_the_message():
    class Doubled(MappedRace):
        def take(self, state, player, movement, ctx):
            super().take(state, player, {"points": movement["points"] * 2}, ctx)

    game = ModeTester(Doubled())
    game.start()
    game.move(1, {"points": 3})
    assert Doubled.messages["move"].schema is MOVE
    assert game.result.winner == 1


def test_an_override_by_name_at_any_depth_or_from_a_mixin_handles_the_message():
    class Doubled(MappedRace):
        def take(self, state, player, movement, ctx):
            super().take(state, player, {"points": movement["points"] * 2}, ctx)

    class Tripled(Doubled):  # overrides an override: the newest handles the move
        def take(self, state, player, movement, ctx):
            MappedRace.take(self, state, player, {"points": movement["points"] * 3}, ctx)

    class Halving:
        def take(self, state, player, movement, ctx):
            MappedRace.take(self, state, player, {"points": 0}, ctx)

    class Mixed(Halving, MappedRace):  # the mixin's take comes first in the order of bases
        pass

    assert Tripled.messages["move"].handler is Tripled.take
    assert Mixed.messages["move"].handler is Halving.take
    game = ModeTester(Tripled())
    game.start()
    game.move(1, {"points": 2})  # 6 points: past the 5 that win
    assert game.result.winner == 1
