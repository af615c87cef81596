"""A room's commands: what goes in as a typed object comes back from its journal and wire forms,
and a journal or game log the previous release wrote (op names and argument lists) replays."""

import json
import logging

import pytest

from gameplatform.modes import Mode, Player, Reject, message
from gameplatform.modes.commands import (
    ADVANCE,
    Abandon,
    Action,
    Advance,
    Connect,
    Disconnect,
    Forfeit,
    Input,
    Join,
    Move,
    Ready,
    StillWatching,
    UnknownCommand,
    Unwatch,
    Watch,
    command_from,
)
from gameplatform.modes.room import Room
from gameplatform.modes.schema import AnyObject, Int, Obj
from gameplatform.modes.testing import seated


class Tally(Mode):
    """Moves score in turn, an input steers, ``bonus`` doubles; a third player may join late."""

    name = "tally"
    max_players = 3
    join_in_progress = True

    def setup(self, ctx):
        return {"points": {}, "dir": 0, "other": []}

    def on_start(self, state, ctx):
        ctx.turn = ctx.players[0].id

    @message("move", Obj(points=Int(1, 3)))
    def take(self, state, player, movement, ctx):
        if ctx.turn != player.id:
            raise Reject("not_your_turn", "Wait.")
        key = str(player.id)
        state["points"][key] = state["points"].get(key, 0) + movement["points"]
        ctx.turn = ctx.next_turn()
        if state["points"][key] >= 5:
            ctx.finish(winner=player.id)

    @message("input", Obj(dx=Int(-1, 1)))
    def steer(self, state, player, data, ctx):
        state["dir"] = data["dx"]

    @message("bonus", Obj(times=Int(2, 2)))
    def bonus(self, state, player, data, ctx):
        key = str(player.id)
        state["points"][key] = state["points"].get(key, 0) * data["times"]

    @message("*", AnyObject())
    def other(self, state, player, action, data, ctx):
        state["other"].append(action)


# A game's log as the release before commands wrote it (each step ``[steps, now, op, args,
# version]``), taken from that release's room: a join, a refused move and a forfeit included.
PREVIOUS_RELEASE_LOG = json.loads(
    """[
    [1, 0.0, "connect", [1], 1],
    [2, 0.0, "connect", [2], 2],
    [3, 0.0, "ready", [1], 3],
    [4, 0.0, "ready", [2], 4],
    [5, 0.0, "move", [1, {"points": 2}], 5],
    [6, 0.0, "input", [2, {"dx": -1}], 6],
    [7, 0.5, "move", [2, {"points": 1}], 7],
    [8, 0.5, "join", [{"id": 3, "username": "late", "seat": 2, "side": "left"}], 8],
    [9, 0.5, "connect", [3], 9],
    [10, 0.5, "action", [1, "bonus", {"times": 2}], 10],
    [11, 0.5, "action", [3, "wave", {}], 11],
    [12, 0.5, "disconnect", [3], 12],
    [13, 0.5, "move", [3, {"points": 1}], 12],
    [14, 0.5, "forfeit", [2], 13],
    [15, 0.5, "move", [1, {"points": 3}], 14]
    ]"""
)

EVERY_COMMAND = [
    ADVANCE,
    Connect(1),
    Disconnect(1),
    Ready(2),
    Forfeit(2),
    Move(1, {"cell": 4}),
    Action(1, "bonus", {"times": 2}),
    Input(2, {"dx": -1, "dy": 0.5}),
    Join(3, "late", 2, "left"),
    Abandon(),
    Watch(),
    StillWatching(),
    Unwatch(),
]


def play(room: Room) -> None:
    """The game of ``PREVIOUS_RELEASE_LOG``, played with commands."""
    for command in (Connect(1), Connect(2), Ready(1), Ready(2), Move(1, {"points": 2}), Input(2, {"dx": -1})):
        room.step(room.ctx.now, command)
    room.step(room.ctx.now + 0.5, Move(2, {"points": 1}))
    room.join(Player(id=3, username="late", seat=2, side="left"))
    for command in (Connect(3), Action(1, "bonus", {"times": 2}), Action(3, "wave", {}), Disconnect(3)):
        room.step(room.ctx.now, command)
    with pytest.raises(Reject):
        room.step(room.ctx.now, Move(3, {"points": 1}))  # not their turn: refused, and kept as a step
    room.step(room.ctx.now, Forfeit(2))
    room.step(room.ctx.now, Move(1, {"points": 3}))


def fresh_room() -> Room:
    return Room(Tally(), game_id=1, players=seated(2), seed=3)


@pytest.mark.parametrize("command", EVERY_COMMAND, ids=lambda c: type(c).__name__)
def test_every_command_reads_back_from_its_journal_and_wire_forms(command):
    op, args = command.entry()
    assert json.loads(json.dumps([op, args])) == [op, args]  # JSON data, as the journal keeps it
    assert command_from(op, args) == command
    player_id, op, args = command.wire()
    assert command_from(op, args, player_id=player_id) == command


def test_a_game_log_of_the_previous_release_replays_to_the_same_end():
    room = fresh_room()
    assert room.replay(PREVIOUS_RELEASE_LOG) == len(PREVIOUS_RELEASE_LOG)
    assert room.state == {"points": {"1": 7, "2": 1}, "dir": -1, "other": ["wave"]}
    assert (room.result.winner, room.result.reason) == (1, "win")
    assert [p.id for p in room.players] == [1, 2, 3]  # the late player took their seat at their step


def test_the_journal_a_room_writes_with_commands_is_the_previous_releases():
    room = fresh_room()
    room.journal.owned = True
    play(room)
    assert json.loads(json.dumps(room.journal.take_steps())) == PREVIOUS_RELEASE_LOG


def test_a_replay_names_each_step_by_its_command():
    seen = []
    fresh_room().replay(PREVIOUS_RELEASE_LOG, each=lambda command, now: seen.append(command))
    assert seen[7] == Join(3, "late", 2, "left") and seen[9] == Action(1, "bonus", {"times": 2})
    assert seen[-1] == Move(1, {"points": 3})


def test_a_room_step_still_takes_an_op_and_its_arguments_with_a_deprecation_warning():
    """``room.step(now, "move", 1, {...})``, as before commands: the same step as ``Move(1, {...})``."""
    by_op, by_command = fresh_room(), fresh_room()
    for room in (by_op, by_command):
        room.journal.owned = True
        room.connect(1)
        room.connect(2)
        room.ready(1)
        room.ready(2)
    with pytest.warns(DeprecationWarning, match="give it a command"):
        by_op.step(0.0, "move", 1, {"points": 2})
    by_command.step(0.0, Move(1, {"points": 2}))
    assert by_op.journal.take_steps() == by_command.journal.take_steps()
    assert by_op.state == by_command.state


@pytest.mark.parametrize(
    ("op", "args"),
    [("teleport", [1]), ("move", [1]), ("join", [1]), ("action", [1, "x"]), (None, []), ("move", None)],
)
def test_a_serialized_command_this_release_does_not_know_is_refused(op, args):
    with pytest.raises(UnknownCommand):
        command_from(op, args)


def test_a_replay_stops_at_a_step_whose_command_it_does_not_know(caplog):
    log = [*PREVIOUS_RELEASE_LOG[:4], [5, 0.0, "teleport", [1, {"x": 9}], 5], *PREVIOUS_RELEASE_LOG[5:]]
    room = fresh_room()
    with caplog.at_level(logging.WARNING, logger="gameplatform.modes.steps"):
        assert room.replay(log) == 4
    assert "no command this release knows" in caplog.text and room.steps == 4


def test_a_room_takes_no_spectators_command_as_a_step():
    room = fresh_room()
    with pytest.raises(ValueError, match="no such step"):
        room.step(0.0, Watch())
    with pytest.raises(ValueError, match="no such step"), pytest.warns(DeprecationWarning):
        room.step(0.0, "watch")
    assert room.steps == 0


def test_a_command_with_more_arguments_is_refused():
    with pytest.raises(TypeError):
        fresh_room().step(0.0, Connect(1), 2)


def test_advance_with_nothing_due_is_no_step():
    room = fresh_room()
    assert not room.step(0.0, Advance()) and room.steps == 0


# (player_id, op, args) of an ``op`` signal as the release before commands sent it
PREVIOUS_RELEASE_SIGNALS = [
    (Connect(2), (2, "connect", [])),
    (Disconnect(2), (2, "disconnect", [])),
    (Ready(1), (1, "ready", [])),
    (Move(1, {"cell": 4}), (1, "move", [{"cell": 4}])),
    (Action(1, "bonus", {"times": 2}), (1, "action", ["bonus", {"times": 2}])),
    (Input(2, {"dx": 1}), (2, "input", [{"dx": 1}])),
    (Forfeit(3), (3, "forfeit", [])),  # a player's, or staff's kick
    (Abandon(), (0, "abandon", [])),  # staff end the game: no player
]


@pytest.mark.parametrize(("command", "signal"), PREVIOUS_RELEASE_SIGNALS, ids=lambda c: type(c).__name__)
def test_a_forwarded_frame_is_sent_and_read_as_the_previous_release_did(command, signal):
    """In a rolling deploy a process of either release reads the other's forwarded frames."""
    assert command.wire() == signal
    player_id, op, args = signal
    assert command_from(op, args, player_id=player_id) == command


def test_a_spectators_frame_of_the_previous_release_reads_back_whoever_it_names():
    """That release named the spectator's user as the frame's player; the command names none."""
    assert command_from("watch", [], player_id=5) == Watch()
    assert command_from("still_watching", [], player_id=5) == StillWatching()
    assert Unwatch().wire() == (0, "unwatch", [])
