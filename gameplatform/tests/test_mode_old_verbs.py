"""The verbs before the ``messages`` map (``move_schema`` with ``on_move``, ``action_schemas`` with
``on_action``, ``input_schema`` with ``on_input``), deprecated in 1.1: a mode written with them
plays as it did in 1.0, and warns (docs/versioning.md: a mode written for 1.x runs on every 1.y)."""

import warnings

from gameplatform.modes import Mode, message
from gameplatform.modes.schema import AnyObject, Int, Obj
from gameplatform.modes.testing import ModeTester

STEP = Obj(n=Int(1, 3))
STEER = Obj(dx=Int(-1, 1))


def made(make):
    """What ``make()`` returns, and the deprecation warnings it gave (each with its file and line)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = make()
    return result, [w for w in caught if issubclass(w.category, DeprecationWarning)]


class Log(Mode):
    """Logs every call of the old verbs: ``(verb, player, action or None, data)``."""

    name = "log"

    def setup(self, ctx):
        return {"log": []}

    def on_move(self, state, player, movement, ctx):
        state["log"].append(["move", player.id, None, movement])

    def on_action(self, state, player, action, data, ctx):
        state["log"].append(["action", player.id, action, data])

    def on_input(self, state, player, data, ctx):
        state["log"].append(["input", player.id, None, data])


def started(mode: Mode) -> ModeTester:
    game = ModeTester(mode)
    game.start()
    return game


def test_a_mode_whose_old_actions_are_named_move_and_input_plays_as_before_and_warns():
    def make():
        class Named(Log):
            move_schema = STEP
            action_schemas = {"move": Obj(to=Int(0, 8)), "input": AnyObject(), "wave": Obj()}

        return Named

    Named, warned = made(make)

    assert [str(w.message).split(":")[0] for w in warned] == ["Named"]
    assert warned[0].filename == __file__
    game = started(Named())
    game.move(1, {"n": 2})
    game.action(1, "move", {"to": 4})
    game.action(2, "input", {"any": "thing"})
    game.action(2, "wave", {})
    refusal = game.refused(1, "invalid", action=("move", {"to": 9}))
    assert refusal.fields == {"data.to": ["Must be an integer from 0 to 8."]}
    game.refused(1, "unknown_action", action=("dance", {}))
    game.refused(1, "unknown_type", input={"dx": 1})
    assert game.state["log"] == [
        ["move", 1, None, {"n": 2}],
        ["action", 1, "move", {"to": 4}],
        ["action", 2, "input", {"any": "thing"}],
        ["action", 2, "wave", {}],
    ]
    listed = Named.describe()["messages"]["game_action"]
    assert listed.keys() == {"move", "input", "wave"}
    assert listed["move"] == Obj(to=Int(0, 8)).json_schema()


def test_a_mode_whose_old_actions_include_move_and_any_other_name_plays_as_before():
    def make():
        class Starred(Log):
            action_schemas = {"move": STEP, "*": Obj(x=Int(0, 1))}

        return Starred

    Starred, warned = made(make)

    assert len(warned) == 1
    game = started(Starred())
    game.action(1, "move", {"n": 3})
    game.action(1, "jump", {"x": 1})
    assert game.refused(1, "invalid", action=("jump", {"n": 3})).fields == {
        "data.n": ["Unknown field."],
        "data.x": ["This field is required."],
    }
    assert game.state["log"] == [["action", 1, "move", {"n": 3}], ["action", 1, "jump", {"x": 1}]]
    assert Starred.describe()["messages"]["game_action"].keys() == {"move", "*"}


def test_a_mode_whose_old_action_has_a_name_no_client_can_send_lists_it_and_plays_the_others():
    def make():
        class Odd(Log):
            action_schemas = {"Fire": Obj(), "fire-2": Obj(), "fire": Obj()}

        return Odd

    Odd, warned = made(make)  # no TypeError: 1.0 took the class

    assert len(warned) == 1
    assert Odd.describe()["messages"]["game_action"] == {
        name: Obj().json_schema() for name in ("Fire", "fire-2", "fire")
    }
    game = started(Odd())
    game.refused(1, "invalid", action=("Fire", {}))  # as in 1.0: the name is refused before the mode sees it
    game.refused(1, "invalid", action=("fire-2", {}))
    game.action(1, "fire", {})
    assert game.state["log"] == [["action", 1, "fire", {}]]


def test_a_mode_that_sets_the_old_verbs_on_itself_plays_as_before_and_warns_where_it_sets_them():
    class Configured(Log):
        move_schema = STEP  # the class's, which the mode takes away below

        def __init__(self, steer: bool):
            if steer:
                self.input_schema = STEER
                self.move_schema = None
                self.action_schemas = {"wave": Obj(), "move": Obj(to=Int(0, 8))}

    plain, quiet = made(lambda: Configured(steer=False))
    steered, warned = made(lambda: Configured(steer=True))

    assert quiet == []
    assert len(warned) == 3 and {w.filename for w in warned} == {__file__}
    assert "input_schema" in str(warned[0].message)
    game = started(steered)
    game.input(1, {"dx": -1})
    game.action(2, "wave", {})
    game.action(2, "move", {"to": 3})
    game.refused(1, "unknown_type", move={"n": 1})
    game.refused(1, "invalid", input={"dx": 5})
    assert game.state["log"] == [
        ["input", 1, None, {"dx": -1}],
        ["action", 2, "wave", {}],
        ["action", 2, "move", {"to": 3}],
    ]
    other = started(plain)  # the class's own verbs, for a mode that sets none
    other.move(1, {"n": 1})
    other.refused(1, "unknown_type", input={"dx": 0})
    assert other.state["log"] == [["move", 1, None, {"n": 1}]]


def test_the_base_still_has_the_old_verbs_and_their_defaults_with_a_warning():
    (move, actions, inputs), warned = made(lambda: (Mode.move_schema, Mode.action_schemas, Mode.input_schema))

    assert (move, actions, inputs) == (None, {}, None)
    assert len(warned) == 3 and {w.filename for w in warned} == {__file__}

    class Mapped(Mode):
        name = "mapped"

        @message("move", STEP)
        def step(self, state, player, movement, ctx):
            pass

        @message("wave", Obj())
        def wave(self, state, player, data, ctx):
            pass

    (move, actions, inputs), _ = made(lambda: (Mapped.move_schema, Mapped().action_schemas, Mapped.input_schema))
    assert move is STEP and inputs is None
    assert list(actions) == ["wave"]


def test_a_mode_calling_the_bases_old_verbs_gets_what_it_got_before():
    def make():
        class Polite(Mode):
            name = "polite"
            move_schema = STEP
            action_schemas = {"*": AnyObject()}

            def setup(self, ctx):
                return {"moves": 0}

            def on_move(self, state, player, movement, ctx):
                if movement["n"] == 3:
                    super().on_move(state, player, movement, ctx)
                state["moves"] += 1

            def on_action(self, state, player, action, data, ctx):
                super().on_action(state, player, action, data, ctx)

        return Polite

    Polite, warned = made(make)
    game = started(Polite())
    game.refused(1, "not_supported", move={"n": 3})
    game.refused(1, "not_supported", action=("wave", {}))
    game.move(1, {"n": 1})
    (own, base), read = made(lambda: (Polite.move_schema, Polite.input_schema))

    assert len(warned) == 1
    assert game.state == {"moves": 1}
    assert own is STEP and base is None
    assert ["input_schema" in str(w.message) for w in read] == [True]  # its own verb reads without a warning
