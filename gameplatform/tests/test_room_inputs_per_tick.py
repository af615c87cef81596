"""A real-time room takes the inputs that came since its last tick as one step (``Inputs``).

The room alone, as a mode's tests drive it: each input of the step is its own atomic unit,
the tick after them shows them, the step is one journal entry, and a replay of it (a takeover)
is the room itself; a journal of one entry per input (the release before) still replays.
"""

import json

from gameplatform.modes import Mode, Reject, message
from gameplatform.modes.commands import Input, Inputs
from gameplatform.modes.patch import apply
from gameplatform.modes.room import HookFailed, Room, ref_key
from gameplatform.modes.schema import Int, Invalid, Obj
from gameplatform.modes.testing import seated


class Tally(Mode):
    """Keeps every input it took, in order; its tick shows them. ``add`` 0 is refused by the
    rules, 9 breaks the hook after it changed the state, 7 wins the game."""

    name = "tally"
    tick_rate = 20

    def setup(self, ctx):
        return {"taken": [], "shown": []}

    @message("input", Obj(add=Int(0, 9)))
    def on_input(self, state, player, data, ctx):
        if data["add"] == 0:
            raise Reject("nothing_to_add", "Add something.")
        state["taken"].append([player.id, data["add"]])
        if data["add"] == 9:
            raise RuntimeError("a bug in the mode")
        if data["add"] == 7:
            ctx.finish(winner=player.id)

    def on_tick(self, state, ctx):
        state["shown"] = list(state["taken"])


def started(mode: Mode | None = None) -> Room:
    room = Room(mode or Tally(), game_id=1, players=seated(2), seed=5)
    for pid in (1, 2):
        room.connect(pid)
    for pid in (1, 2):
        room.ready(pid)
    room.journal.owned = True
    room.journal.take_steps()
    room.drain()
    return room


def batch(*inputs, frames=()) -> Inputs:
    return Inputs(tuple(Input(pid, {"add": add}) for pid, add in inputs), tuple(frames))


def patches_of(room: Room, player_id: int) -> list[dict]:
    return [f for to, f in room.drain() if to in (None, player_id) and f["type"] == "state_patch"]


def test_three_inputs_between_two_ticks_are_one_journal_entry_and_all_show_in_the_next_patch():
    room = started()
    room.advance(0.05)
    room.journal.take_steps()
    patches_of(room, 1)
    seen = room.view_of(1)
    assert room.step(0.1, batch((1, 1), (2, 2), (1, 3)))
    (entry,) = room.journal.take_steps()
    assert entry[2:4] == ("inputs", [[1, {"add": 1}], [2, {"add": 2}], [1, {"add": 3}]])
    assert room.ctx.tick == 2 and room.journal.batch.outcomes == [None, None, None]
    (patch,) = patches_of(room, 1)
    assert patch["tick"] == 2
    assert apply(seen, patch["ops"])["shown"] == [[1, 1], [2, 2], [1, 3]]


def test_a_refused_input_among_them_changes_nothing_and_the_others_apply():
    room = started()
    inputs = batch((1, 1), (2, 0), (1, 8), (2, 9), (1, 3), frames=[(None, "a"), (None, "b"), None, (None, "d"), None])
    inputs = Inputs(inputs.inputs[:2] + (Input(1, {"add": "many"}),) + inputs.inputs[3:], inputs.frames)
    assert room.step(0.05, inputs)
    refused = room.journal.batch.outcomes
    assert refused[0] is None and refused[4] is None
    assert isinstance(refused[1], Reject) and refused[1].code == "nothing_to_add"
    assert isinstance(refused[2], Invalid) and isinstance(refused[3], HookFailed)
    assert room.state["shown"] == [[1, 1], [1, 3]]  # the broken hook's change was undone, the others kept
    (entry,) = room.journal.take_steps()
    # What changed the room, as each input was an entry before: the rules' refusal is kept (its
    # hook ran), the invalid frame and the failed hook are not.
    assert entry[3] == [[1, {"add": 1}], [2, {"add": 0}], [1, {"add": 3}]]
    assert entry[5] == [[None, "a"], [None, "b"], None]
    assert room.took(ref_key(1, "a")) and not room.took(ref_key(2, "d"))


def test_a_replay_of_a_batch_entry_is_the_room_itself_frames_taken_included():
    room = started()
    base = room.encode_snapshot()
    room.advance(0.05)
    room.step(0.1, batch((1, 1), (2, 9), (2, 2), frames=[("f1", None), ("f2", None), (None, "r")]))
    room.step(0.15, batch((1, 4)))
    room.advance(0.2)
    journal = room.journal.take_steps()
    again = Room.restore(Tally(), json.loads(base), journal=journal, seated=True)
    assert again.replayed == len(journal) == 4
    assert (again.state, again.ctx.tick, again.steps, again.version) == (
        room.state,
        room.ctx.tick,
        room.steps,
        room.version,
    )
    assert again.took("f:f1") and again.took(ref_key(2, "r")) and not again.took("f:f2")


def test_a_tick_whose_hook_fails_is_undone_alone_and_its_inputs_stay():
    class BadTick(Tally):
        def on_tick(self, state, ctx):
            if state["taken"]:
                raise RuntimeError("a bug in the tick")

    room = started(BadTick())
    base = room.encode_snapshot()
    try:
        room.step(0.05, batch((1, 1), (2, 2)))
    except HookFailed as exc:
        assert exc.hook == "on_tick"
    else:
        raise AssertionError("the tick's failure is said")
    assert room.state["taken"] == [[1, 1], [2, 2]] and room.ctx.tick == 0
    (entry,) = room.journal.take_steps()
    assert entry[1] == 0.0 and entry[2] == "inputs"  # at the time before the tick: a replay runs no tick
    again = Room.restore(BadTick(), json.loads(base), journal=[entry], seated=True)
    assert again.state == room.state and again.ctx.tick == 0


def test_an_input_that_ends_the_game_leaves_the_later_ones_of_its_tick_refused_game_over():
    room = started()
    room.step(0.05, batch((1, 1), (1, 7), (2, 2)))
    assert room.over and room.result.winner == 1
    assert [getattr(r, "code", None) for r in room.journal.batch.outcomes] == [None, None, "game_over"]


def test_a_journal_of_one_entry_per_input_from_the_release_before_still_replays():
    room = started()
    base = room.encode_snapshot()
    room.step(room.ctx.now, Input(1, {"add": 1}), frame=(None, "a"))
    room.step(room.ctx.now, Input(2, {"add": 2}))
    room.advance(0.05)
    journal = room.journal.take_steps()
    assert [e[2] for e in journal] == ["input", "input", "advance"]
    again = Room.restore(Tally(), json.loads(base), journal=journal, seated=True)
    assert again.state == room.state == {"taken": [[1, 1], [2, 2]], "shown": [[1, 1], [2, 2]]}
    assert again.took(ref_key(1, "a"))
