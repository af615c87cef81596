"""A room's step is whole or nothing: a mode's hook that raises leaves the game as it was.

These run the room as the test kit does (no server); ``game/tests/test_room_host.py`` runs the
same failures through a room host, where the sender gets ``server_error`` and the end is recorded.
"""

import pytest

from gameplatform.modes import Mode, Reject
from gameplatform.modes.commands import Advance, Input
from gameplatform.modes.schema import AnyObject, Int, Obj
from gameplatform.modes.testing import ModeTester, seated
from gameplatform.rooms import HookFailed


class Buggy(Mode):
    """A counter whose ``add`` action adds first and raises after (a studio's bug)."""

    name = "buggy"
    action_schemas = {"add": Obj(n=Int(0, 10_000)), "boom": AnyObject(), "refuse": AnyObject()}

    def setup(self, ctx):
        return {"total": 0, "log": []}

    def on_start(self, state, ctx):
        ctx.turn = ctx.players[0].id

    def on_action(self, state, player, action, data, ctx):
        state["log"].append(action)
        player.score += 1
        ctx.random.random()  # draws from the game's generator before failing
        if action == "add":
            state["total"] += data["n"]
        elif action == "boom":
            state["total"] += 1000
            ctx.send({"half": "made"})
            ctx.turn = ctx.players[1].id
            raise ValueError("a bug in the mode")
        elif action == "refuse":
            state["total"] += 7
            raise Reject("nope", "Refused after changing the state.")


def test_an_action_that_raises_changes_nothing_and_the_next_one_counts_from_before_it():
    game = ModeTester(Buggy())
    game.start()
    game.action(1, "boom")
    assert game.state == {"total": 0, "log": []}
    assert game.room.players[0].score == 0 and game.turn == 1
    game.action(1, "add", {"n": 1})
    assert game.state["total"] == 1  # not 1002: the failed step's +1000 is gone
    assert game.view(2)["total"] == 1  # both players' views followed the room, no divergence
    assert [f["code"] for f in game.frames(1, "error")] == ["server_error"]
    assert game.frames(2, "error") == [] and game.frames(2, "game_event") == []
    assert [(e.hook, type(e.error)) for e in game.errors] == [("on_action", ValueError)]


def test_the_test_kit_catches_a_refusal_raised_after_changing_the_state():
    """The mode API asks a hook to refuse before changing anything; the test kit checks it."""
    game = ModeTester(Buggy())
    game.start()
    with pytest.raises(AssertionError, match="raise Reject before changing the state"):
        game.refused(1, "nope", action=("refuse", {}))


def test_a_failed_step_does_not_move_the_games_random_numbers():
    failed, clean = ModeTester(Buggy(), seed=5), ModeTester(Buggy(), seed=5)
    for game in (failed, clean):
        game.start()
    failed.action(1, "boom")
    assert failed.room.ctx.random.random() == clean.room.ctx.random.random()


def test_a_game_whose_mode_keeps_failing_ends_aborted_and_unrated():
    game = ModeTester(Buggy())
    game.start()
    for _ in range(Buggy.max_errors):
        game.action(1, "boom")
    assert game.phase == "abandoned"
    assert (game.result.winner, game.result.reason) == (None, "aborted")
    assert game.frames(2, "game_over")[-1] == {"type": "game_over", "winner_id": None, "reason": "aborted"}
    assert game.state["total"] == 0
    assert len(game.errors) == Buggy.max_errors


def test_the_test_kit_raises_the_hooks_own_error_when_asked():
    game = ModeTester(Buggy(), raise_errors=True)
    game.start()
    with pytest.raises(ValueError, match="a bug in the mode"):
        game.action(1, "boom")
    assert game.state["total"] == 0


class TickBomb(Mode):
    """A real-time mode whose tick fails once, at tick 3."""

    name = "tickbomb"
    tick_rate = 20
    max_errors = 3

    def setup(self, ctx):
        return {"n": 0, "failed": False}

    def on_tick(self, state, ctx):
        state["n"] += 1
        if ctx.tick == 3 and not state["failed"]:
            state["failed"] = True  # set, then taken back with the rest of the step
            raise RuntimeError("tick 3")


def test_a_tick_that_raises_is_taken_back_and_run_again_on_the_next_wake():
    game = ModeTester(TickBomb())
    game.start()
    game.advance(0.1)  # ticks 1 and 2
    assert game.state["n"] == 2
    game.advance(0.05)  # tick 3 raises: still tick 2, and again, every time it is due
    assert game.room.ctx.tick == 2 and game.state == {"n": 2, "failed": False}
    assert [e.hook for e in game.errors] == ["on_tick"]
    game.advance(0.1)
    assert game.room.over and game.result.reason == "aborted"  # the same tick kept failing: 3 errors


class BadView(Mode):
    name = "badview"
    move_schema = Obj(x=Int(0, 9))

    def setup(self, ctx):
        return {"x": 0}

    def on_start(self, state, ctx):
        ctx.turn = ctx.players[0].id

    def on_move(self, state, player, movement, ctx):
        state["x"] = movement["x"]

    def view(self, state, player):
        if state["x"] == 9:
            raise KeyError("no view for 9")
        return state


def test_a_view_that_raises_fails_the_step_that_changed_the_state():
    game = ModeTester(BadView())
    game.start()
    game.move(1, {"x": 9})
    assert game.state == {"x": 0} and game.errors[0].hook == "view"
    game.move(1, {"x": 4})
    assert game.view(1) == {"x": 4} == game.view(2)


def test_a_failure_says_which_hook_raised_and_keeps_its_exception():
    game = ModeTester(Buggy())
    game.start()
    game.action(1, "boom")
    failure = game.errors[0]
    assert isinstance(failure, HookFailed) and failure.hook == "on_action"
    assert str(failure.error) == "a bug in the mode"


# --- a room rebuilt from a snapshot and the steps after it ----------------------------------


def test_a_room_restored_from_a_snapshot_and_the_steps_after_it_is_the_room_itself():
    """What a takeover does: the snapshot of step k and the journal's steps after it give the
    room of the last step exactly (state, clock, random generator), whatever came in between."""
    import json
    import random

    from game.modes.builtin.arena import Arena
    from gameplatform.rooms import Room

    rng = random.Random(3)
    players = seated(4)
    room = Room(Arena(), game_id=1, players=players, seed=11)
    room.journal.owned = True  # as its owner sets it
    journal, snapshot, now = [], None, 0.0
    for pid in (1, 2, 3, 4):
        for op in ("connect", "ready"):
            assert room.step(now, op, pid)
    for n in range(400):
        now += rng.choice([0.0, 0.01, 0.03, 0.05, 0.12])
        if rng.random() < 0.5:
            room.step(now, Input(rng.randint(1, 4), {"dx": rng.uniform(-1, 1), "dy": rng.uniform(-1, 1)}))
        else:
            room.step(now, Advance())
        journal += room.journal.take_steps()  # what the owner journals
        room.drain()
        if n == 150:
            snapshot = json.loads(room.encode_snapshot())
    assert room.ctx.tick > 100
    rebuilt = Room.restore(Arena(), snapshot, journal=json.loads(json.dumps(journal)))  # as the store keeps it
    assert rebuilt.replayed == room.steps - snapshot["steps"] > 100
    assert (rebuilt.state, rebuilt.ctx.tick, rebuilt.ctx.now) == (room.state, room.ctx.tick, room.ctx.now)
    assert rebuilt.ctx.random.getstate() == room.ctx.random.getstate()


def test_a_replay_stops_at_a_gap_in_the_journal():
    from gameplatform.rooms import Room

    game = ModeTester(Buggy())
    game.start()
    snapshot = game.room.snapshot()
    steps = game.room.steps
    entries = [
        (steps + 1, 0.0, "action", [1, "add", {"n": 5}], 9),
        (steps + 3, 0.0, "action", [1, "add", {"n": 7}], 11),
    ]
    rebuilt = Room.restore(Buggy(), snapshot, journal=entries)
    assert rebuilt.replayed == 1 and rebuilt.state["total"] == 5


# --- timers -----------------------------------------------------------------------------------


class Rounds(Mode):
    """Everyone picks a number each round; the round's public clock picks 0 for whoever did not."""

    name = "rounds"
    action_schemas = {"pick": Obj(n=Int(0, 9))}
    round_seconds = 5.0

    def setup(self, ctx):
        return {"round": 1, "picks": {}, "history": []}

    def on_start(self, state, ctx):
        ctx.after(self.round_seconds, "round", {"round": 1}, public=True)

    def on_action(self, state, player, action, data, ctx):
        state["picks"][str(player.id)] = data["n"]
        if len(state["picks"]) == len(ctx.players):  # everyone acted: the round ends now
            ctx.cancel("round")
            self._reveal(state, ctx)

    def on_timer(self, state, name, data, ctx):
        assert name == "round" and data == {"round": state["round"]}
        for player in ctx.players:
            state["picks"].setdefault(str(player.id), 0)
        self._reveal(state, ctx)

    def _reveal(self, state, ctx):
        state["history"].append(state["picks"])
        state["picks"] = {}
        state["round"] += 1
        ctx.after(self.round_seconds, "round", {"round": state["round"]}, public=True)

    def view(self, state, player):
        return {"round": state["round"], "history": state["history"]}


def test_a_round_timer_runs_out_on_time_and_everyone_acting_ends_the_round_early():
    game = ModeTester(Rounds())
    game.start()
    assert game.frames(1, "game_state")[-1]["timers"] == {"round": 5.0}  # a clock the client can show
    game.advance(4.75)
    assert game.view(1)["round"] == 1
    game.advance(0.25)  # the clock runs out: both get 0
    assert game.view(1) == {"round": 2, "history": [{"1": 0, "2": 0}]}
    assert game.frames(2, "state_patch")[-1]["timers"] == {"round": 5.0}  # the next round's clock
    game.action(1, "pick", {"n": 3})
    game.advance(1.0)
    game.action(2, "pick", {"n": 7})  # everyone acted: the round ends at once, a new clock
    assert game.view(2)["history"][-1] == {"1": 3, "2": 7}
    assert game.room.ctx.time_left("round") == 5.0


def test_a_timer_survives_a_snapshot_and_runs_on_time_in_the_restored_room():
    from gameplatform.rooms import Room

    game = ModeTester(Rounds())
    game.start()
    game.advance(3.0)
    rebuilt = Room.restore(Rounds(), game.room.snapshot())
    assert rebuilt.ctx.time_left("round") == 2.0
    rebuilt.advance(game.room.ctx.now + 1.99)
    assert rebuilt.state["round"] == 1
    rebuilt.advance(game.room.ctx.now + 2.0)
    assert rebuilt.state["round"] == 2


class TimerBomb(Rounds):
    name = "timerbomb"
    max_errors = 2

    def on_timer(self, state, name, data, ctx):
        state["round"] = 99
        raise RuntimeError("the timer's hook fails")


def test_a_timer_whose_hook_raises_is_taken_back_and_stays_due():
    game = ModeTester(TimerBomb())
    game.start()
    game.advance(5.0)
    assert game.state["round"] == 1 and game.room.ctx.timers["round"][0] == 5.0  # still set, still due
    assert [e.hook for e in game.errors] == ["on_timer"]
    game.advance(0.25)  # due again: the second failure aborts the game
    assert game.room.over and game.result.reason == "aborted"


class Countdown(Mode):
    """A real-time mode with a timer: it fires at the first tick at or after it comes due."""

    name = "countdown"
    tick_rate = 20

    def setup(self, ctx):
        return {"fired_at": None}

    def on_start(self, state, ctx):
        ctx.after(0.12, "bang")

    def on_timer(self, state, name, data, ctx):
        state["fired_at"] = ctx.tick


def test_a_real_time_modes_timer_runs_at_the_tick_it_comes_due():
    game = ModeTester(Countdown())
    game.start()
    game.advance(0.1)
    assert game.state["fired_at"] is None
    game.advance(0.05)
    assert game.state["fired_at"] == 3  # 0.12 s: due during tick 3 (0.15 s)
    assert "timers" not in game.frames(1, "game_state")[-1]  # a private timer is in no frame


def test_a_timer_takes_a_name_and_finite_seconds():
    from gameplatform.modes import Context

    ctx = Context(players=[], seed=1, tick_rate=0)
    with pytest.raises(ValueError):
        ctx.after(float("nan"), "x")
    with pytest.raises(ValueError):
        ctx.after(1, "")
    ctx.after(1, "x")
    ctx.cancel("x")
    ctx.cancel("x")
    assert ctx.time_left("x") is None


def test_the_room_checks_a_game_frame_once_with_the_modes_schema_a_missing_field_and_a_bad_action_name():
    game = ModeTester(BadView())
    game.start()
    assert game.refused(1, "invalid", move=None).fields == {"movement": ["This field is required."]}
    assert game.refused(1, "invalid", move={"x": 10}).fields == {"movement.x": ["Must be an integer from 0 to 9."]}
    buggy = ModeTester(Buggy())
    buggy.start()
    assert list(buggy.refused(1, "invalid", action=("Bad Name!", {})).fields) == ["action"]
    assert list(buggy.refused(1, "invalid", action=(["add"], {})).fields) == ["action"]
