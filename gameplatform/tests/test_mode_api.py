"""The public mode API without a server: schemas, JSON Patch, and the room's life cycle."""

import json
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gameplatform.modes import Mode, Reject
from gameplatform.modes.api import SeededRandom, checked_label
from gameplatform.modes.commands import Connect, Move, Ready
from gameplatform.modes.patch import PatchError, apply, diff, patch_to
from gameplatform.modes.schema import AnyObject, Choice, Float, Int, Invalid, List, Obj, Str, check
from gameplatform.modes.testing import ModeTester
from gameplatform.rooms import Grace, HookFailed, Room

# --- schemas -----------------------------------------------------------------------------


def test_a_schema_names_every_wrong_field_of_a_frame():
    schema = Obj(cell=Int(0, 8), note=Str(5).opt(), tags=List(Choice("a", "b"), max_items=2))
    with pytest.raises(Invalid) as caught:
        check(schema, {"cell": 9, "note": "too long", "tags": ["a", "c"], "extra": 1})
    assert caught.value.fields == {
        "cell": ["Must be an integer from 0 to 8."],
        "note": ["Must be 0 to 5 characters."],
        "tags.1": ["Must be one of: a, b."],
        "extra": ["Unknown field."],
    }


def test_a_choice_keeps_the_order_the_mode_gave_in_its_schema_and_its_refusal():
    moves = Choice("rock", "paper", "scissors")
    assert moves.json_schema() == {"type": "string", "enum": ["rock", "paper", "scissors"]}
    with pytest.raises(Invalid) as caught:
        check(Obj(move=moves), {"move": "lizard"})
    assert caught.value.fields == {"move": ["Must be one of: rock, paper, scissors."]}
    assert check(moves, "scissors") == "scissors"


def test_a_schema_refuses_booleans_and_non_finite_numbers_as_numbers():
    with pytest.raises(Invalid):
        check(Int(), True)
    with pytest.raises(Invalid):
        check(Float(), float("nan"))
    assert check(Float(-1, 1), 1) == 1.0


def test_a_missing_required_field_is_named_and_an_optional_one_may_be_left_out():
    schema = Obj(x=Float(), y=Float().opt())
    assert check(schema, {"x": 1.5}) == {"x": 1.5}
    with pytest.raises(Invalid) as caught:
        check(schema, {"y": 1})
    assert caught.value.fields == {"x": ["This field is required."]}


def test_any_object_is_bounded_by_its_encoded_size():
    assert check(AnyObject(max_bytes=20), {"a": 1}) == {"a": 1}
    with pytest.raises(Invalid):
        check(AnyObject(max_bytes=20), {"a": "x" * 30})


def test_schemas_describe_themselves_as_json_schema():
    assert Obj(cell=Int(0, 8)).json_schema() == {
        "type": "object",
        "properties": {"cell": {"type": "integer", "minimum": 0, "maximum": 8}},
        "required": ["cell"],
        "additionalProperties": False,
    }


# --- JSON Patch ----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.integers(-5, 5) | st.text(max_size=3),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=3), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values, json_values)
def test_applying_the_diff_of_two_documents_gives_the_second(old, new):
    assert json.dumps(apply(old, diff(old, new)), sort_keys=True) == json.dumps(new, sort_keys=True)


def test_the_diff_of_equal_documents_is_empty_and_keys_are_escaped():
    assert diff({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]}) == []
    assert diff({"a/b": 1, "c~d": 1}, {"a/b": 2, "c~d": 1}) == [{"op": "replace", "path": "/a~1b", "value": 2}]


def test_a_boolean_replacing_a_number_is_a_change():
    assert diff({"a": 1}, {"a": True}) == [{"op": "replace", "path": "/a", "value": True}]


def test_a_patch_does_not_share_values_with_the_documents():
    new = {"a": {"b": [1]}}
    ops = diff({}, new)
    new["a"]["b"].append(2)
    assert apply({}, ops) == {"a": {"b": [1]}}


# What a mode's ``view`` returns: JSON data as Python writes it (tuples, numbers as keys, floats).
# No booleans: ``diff`` takes ``True`` for ``1`` inside an unchanged-looking list or object (see the
# module), where ``patch_to`` may see the tuple and look closer: the patches would differ there.
view_values = st.recursive(
    st.none() | st.integers(-3, 3) | st.floats(-2, 2, allow_nan=False) | st.text(max_size=2),
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=2) | st.integers(0, 3), children, max_size=4)
    ),
    max_leaves=20,
)


def _as_sent(value):
    return json.loads(json.dumps(value))


@settings(max_examples=400, deadline=None)
@given(view_values, view_values)
def test_a_tick_patch_of_a_live_view_is_the_patch_of_its_json_and_leaves_the_last_view_as_it_was(before, now):
    old = _as_sent(before)
    kept = json.dumps(old)
    ops, view = patch_to(old, now)
    assert ops == diff(old, _as_sent(now))
    assert view == _as_sent(now)
    assert json.dumps(old) == kept
    assert apply(old, ops) == view


def test_a_tick_patch_shares_the_unchanged_view_and_nothing_of_the_modes_state():
    state = {"size": 100, "players": {"7": {"x": 1.5, "y": 2.0}}, "gems": [(3, 4), (5, 6)]}
    old = _as_sent(state)
    assert patch_to(old, state) == ([], old)  # nothing changed: the same object, nothing made
    state["players"]["7"]["x"] = 1.75
    ops, view = patch_to(old, state)
    assert ops == [{"op": "replace", "path": "/players/7/x", "value": 1.75}]
    assert view["gems"] is old["gems"] and old["players"]["7"]["x"] == 1.5
    state["players"]["7"]["y"] = 9.0  # the mode goes on changing its state in place
    assert view == {"size": 100, "players": {"7": {"x": 1.75, "y": 2.0}}, "gems": [[3, 4], [5, 6]]}


def test_a_patch_with_a_bad_path_is_refused():
    with pytest.raises(PatchError):
        apply([1], [{"op": "replace", "path": "/5", "value": 0}])


# --- the room ------------------------------------------------------------------------------


class Race(Mode):
    """First to 3 points; each player's secret is visible only to them; a turn clock of 5 s."""

    name = "race"
    min_players, max_players = 2, 4
    move_schema = Obj(points=Int(1, 2))
    turn_seconds = 5.0

    def setup(self, ctx):
        return {
            "points": {str(p.id): 0 for p in ctx.players},
            "secret": {str(p.id): ctx.random.random() for p in ctx.players},
        }

    def on_start(self, state, ctx):
        ctx.turn = ctx.players[0].id

    def on_move(self, state, player, movement, ctx):
        if ctx.turn != player.id:
            raise Reject("not_your_turn", "Wait.")
        state["points"][str(player.id)] += movement["points"]
        if state["points"][str(player.id)] >= 3:
            ctx.finish(winner=player.id, scores={int(k): v for k, v in state["points"].items()})
        else:
            ctx.turn = ctx.next_turn()

    def view(self, state, player):
        return {"points": state["points"], "my_secret": state["secret"][str(player.id)]}


class Losing(Race):
    name = "race_lose"
    turn_timeout = "lose"


class Ticker(Mode):
    name = "ticker"
    tick_rate = 20
    input_schema = Obj(dx=Int(-1, 1))

    def setup(self, ctx):
        return {"x": {str(p.id): 0 for p in ctx.players}, "dir": {str(p.id): 0 for p in ctx.players}, "t": 0}

    def on_input(self, state, player, data, ctx):
        state["dir"][str(player.id)] = data["dx"]

    def on_tick(self, state, ctx):
        state["t"] = ctx.tick
        for key, d in state["dir"].items():
            state["x"][key] += d


def test_the_game_starts_when_every_player_is_connected_and_ready():
    game = ModeTester(Race(), players=3)
    game.connect(1, 2)
    assert game.phase == "waiting_for_players"
    game.connect(3)
    assert game.phase == "waiting_for_ready"
    game.ready(1, 2, 3)
    assert game.phase == "active"
    assert [f["type"] for f in game.frames(1)].count("game_start") == 1
    assert game.frames(2, "game_state")[-1]["turn"] == 1


def test_a_move_before_the_start_is_refused_with_game_not_active():
    game = ModeTester(Race())
    game.connect()
    game.refused(1, "game_not_active", move={"points": 1})


def test_a_frame_that_breaks_the_schema_is_refused_with_its_fields_and_changes_nothing():
    game = ModeTester(Race())
    game.start()
    refused = game.refused(1, "invalid", move={"points": 7})
    assert refused.fields == {"movement.points": ["Must be an integer from 1 to 2."]}


def test_a_player_never_receives_another_players_secret():
    game = ModeTester(Race(), players=2, seed=3)
    game.start()
    game.move(1, {"points": 1})
    game.move(2, {"points": 2})
    secret_of_2 = json.dumps(game.state["secret"]["2"])
    assert secret_of_2 not in game.seen_text(1)
    assert game.view(2)["my_secret"] == game.state["secret"]["2"]


def test_the_turn_clock_passes_the_turn_when_it_runs_out():
    game = ModeTester(Race())
    game.start()
    game.advance(4.9)
    assert game.room.ctx.turn == 1
    game.advance(0.2)
    assert game.room.ctx.turn == 2
    assert game.frames(1, "turn_timeout")[-1] == {"type": "turn_timeout", "user_id": 1}


def test_a_turn_clock_that_loses_ends_a_two_player_game_for_the_other_player():
    game = ModeTester(Losing())
    game.start()
    game.advance(5.1)
    assert game.result.winner == 2
    assert game.result.reason == "forfeit"
    assert game.frames(1, "game_over") == [{"type": "game_over", "winner_id": 2, "reason": "forfeit"}]


def test_a_player_away_past_the_grace_forfeits_and_the_other_wins():
    game = ModeTester(Race(), grace=Grace(reconnect=10, first=10))
    game.start()
    game.disconnect(2)
    assert game.frames(1, "player_disconnected") == [{"type": "player_disconnected", "user_id": 2}]
    game.advance(9.5)
    assert game.result is None
    game.connect(2)
    assert game.frames(1, "player_reconnected") == [{"type": "player_reconnected", "user_id": 2}]
    game.disconnect(2)
    game.advance(10.5)
    assert (game.result.winner, game.result.reason) == (1, "forfeit")


def test_everyone_away_past_the_grace_abandons_the_game():
    game = ModeTester(Race(), grace=Grace(reconnect=5, first=5))
    game.connect(1)
    game.disconnect(1)
    game.advance(6)
    assert game.phase == "abandoned"
    assert game.result.reason == "abandoned"


def test_a_first_connect_window_shorter_than_the_reconnect_grace_calls_the_game_off_when_a_player_never_comes():
    """A queue match's room waits less for a player who never came than for one who dropped."""
    game = ModeTester(Race(), grace=Grace(reconnect=30, first=5))
    game.connect(1)
    game.advance(4.5)
    assert game.result is None
    game.advance(1)
    assert game.phase == "abandoned" and game.result.reason == "abandoned"
    assert [p.out for p in game.room.players] == [False, True]  # the one who came is still in
    assert game.frames(1, "forfeit") == [{"type": "forfeit", "user_id": 2}]


def test_a_player_who_came_keeps_the_reconnect_grace_when_the_first_connect_window_is_shorter():
    game = ModeTester(Race(), grace=Grace(reconnect=30, first=5))
    game.start()
    game.disconnect(2)
    game.advance(20)
    assert game.result is None and game.phase == "active"


def test_a_real_time_room_ticks_at_its_rate_and_patches_once_per_tick():
    game = ModeTester(Ticker())
    game.start()
    game.input(1, {"dx": 1})
    patches_before = len(game.frames(2, "state_patch"))
    game.advance(1.0)
    assert game.room.ctx.tick == 20
    assert game.state["x"]["1"] == 20
    assert len(game.frames(2, "state_patch")) - patches_before == 20
    assert game.view(2)["x"]["1"] == 20


def test_a_room_restored_from_its_snapshot_plays_on_exactly_as_the_original():
    def play(room: Room, moves: list) -> None:
        for pid, points in moves:
            room.move(pid, {"points": points})

    original = ModeTester(Race(), players=3, seed=11).room
    for pid in (1, 2, 3):
        original.connect(pid)
        original.ready(pid)
    play(original, [(1, 1), (2, 1)])
    copy = Room.restore(Race(), json.loads(original.encode_snapshot()))
    assert copy.ctx.random.random() == original.ctx.random.random()
    for room in (original, copy):
        play(room, [(3, 2), (1, 2)])
    assert copy.state == original.state
    assert copy.result == original.result and copy.result.winner == 1


def test_a_long_random_game_keeps_every_players_patched_view_equal_to_a_fresh_one():
    rng = random.Random(5)
    game = ModeTester(Ticker(), players=4)
    game.start()
    for _ in range(200):
        pid = rng.randint(1, 4)
        choice = rng.random()
        if choice < 0.5:
            game.input(pid, {"dx": rng.choice((-1, 0, 1))})
        elif choice < 0.6 and game.room.player(pid).connected:
            game.disconnect(pid)
        elif choice < 0.7:
            game.connect(pid)
        game.advance(rng.choice((0.05, 0.1, 0.2)))  # the tester compares views after every step
    assert game.room.ctx.tick >= 200


def test_an_encoded_snapshot_is_the_snapshot_whether_or_not_the_game_drew_from_its_generator_since():
    room = ModeTester(Race(), players=2, seed=5).room
    first = room.encode_snapshot()
    assert json.loads(first) == room.snapshot()
    assert json.loads(room.encode_snapshot()) == room.snapshot()  # nothing drawn: the same generator state
    drawn = room.ctx.random.random()
    after = room.encode_snapshot()
    assert json.loads(after) == room.snapshot() and after != first
    restored = Room.restore(Race(), json.loads(after))
    assert restored.ctx.random.random() == room.ctx.random.random() != drawn


def test_the_games_generator_gives_pythons_numbers_for_the_same_seed():
    # A game replays from its seed and inputs: games recorded before the generator tracked its
    # draws replay the same.
    def draws(rng: random.Random) -> list:
        numbers = [rng.random(), rng.randint(1, 10**6), rng.choice("abcdefg"), rng.uniform(2, 5)]
        numbers += [rng.gauss(0, 1), rng.gauss(0, 1), rng.randbytes(7), rng.getrandbits(70)]
        numbers += [rng.sample(range(100), 5), rng.choices(range(9), k=4), rng.randrange(3, 999, 7)]
        deck = list(range(52))
        rng.shuffle(deck)
        return [*numbers, deck, rng.getstate()]

    for seed in (0, 7, 2**62 + 1):
        assert draws(SeededRandom(seed)) == draws(random.Random(seed))


class Gaussian(Race):
    """Draws its secrets with ``gauss``, which hands out a second number it kept without drawing."""

    name = "gaussian"

    def setup(self, ctx):
        return {"points": {str(p.id): 0 for p in ctx.players}, "secret": {str(p.id): 0.0 for p in ctx.players}}

    def on_move(self, state, player, movement, ctx):
        if movement["points"] == 2:
            state["secret"][str(player.id)] = ctx.random.gauss(0, 1)
            raise RuntimeError("drew, then failed")
        super().on_move(state, player, movement, ctx)


def test_a_snapshot_keeps_every_change_of_the_generator_and_none_of_a_step_that_failed():
    room = ModeTester(Gaussian(), players=2, seed=5).room
    first = room.encode_snapshot()
    room.ctx.random.gauss()  # draws two numbers, keeps the second
    kept = room.encode_snapshot()
    room.ctx.random.gauss()  # hands out the kept one: nothing drawn, the state changed
    handed_out = room.encode_snapshot()
    assert len({first, kept, handed_out}) == 3 and json.loads(handed_out) == room.snapshot()
    for pid in (1, 2):
        room.step(0.0, Connect(pid))
        room.step(0.0, Ready(pid))
    before = room.ctx.random.getstate()
    with pytest.raises(HookFailed):
        room.step(0.0, Move(1, {"points": 2}))
    assert room.ctx.random.getstate() == before
    assert json.loads(room.encode_snapshot()) == room.snapshot()
    restored = Room.restore(Gaussian(), json.loads(room.encode_snapshot()))
    assert restored.ctx.random.getstate() == before


def test_frames_drained_as_text_are_exactly_the_frames_encoded():
    def started() -> Room:
        room = ModeTester(Ticker(), players=3, seed=9).room
        for pid in (1, 2, 3):
            room.connect(pid)
            room.ready(pid)
        return room

    as_dicts, as_texts = started(), started()
    rng = random.Random(3)
    for tick in range(1, 60):
        dx = rng.choice([-1, 0, 1])
        for room in (as_dicts, as_texts):
            room.input(1 + tick % 3, {"dx": dx})
            room.advance(tick / 20)
        frames = as_dicts.drain()
        texts = as_texts.drain_encoded()
        assert [entry[:2] for entry in texts] == [
            (to or 0, json.dumps(frame, separators=(",", ":"))) for to, frame in frames
        ]
        for entry in texts:  # a patch sent as the whole view may have its JSON Patch beside it
            if len(entry) == 3:
                whole, patch = json.loads(entry[1]), json.loads(entry[2])
                assert patch["ops"][0]["path"] != "" and {**patch, "ops": whole["ops"]} == whole
    assert any('"type":"state_patch"' in entry[1] for entry in texts)


class Odd(Ticker):
    """A view of what JSON writers disagree on: number keys, a tuple, a huge integer, accents, exponents."""

    name = "odd"

    def view(self, state, player):  # at odd ticks only, what orjson leaves to the standard library
        t = state["t"]
        return {
            "by_seat": {seat if t % 2 else str(seat): x for seat, x in enumerate(state["x"].values())},
            "pair": (t, -t),
            "big": 2**70 + t if t % 2 else t,
            "name": "Zoë ✓",
            "tiny": 1e-7 * t,
            "huge": 1e17 * t,
        }


def test_frames_of_a_view_json_writers_disagree_on_mean_what_the_standard_encoder_writes():
    room = ModeTester(Odd(), players=2, seed=4).room
    texts = []
    for pid in (1, 2):
        room.connect(pid)
        room.ready(pid)
    texts += room.drain_encoded()
    room.input(1, {"dx": 1})
    for tick in range(1, 8):
        room.advance(tick / 20)
        texts += room.drain_encoded()
    view = None
    for to, text, *_ in texts:
        frame = json.loads(text)
        if to in (0, 1) and frame["type"] == "game_state":
            view = frame["view"]
        elif to in (0, 1) and frame["type"] == "state_patch":
            view = apply(view, frame["ops"])
    assert any(json.loads(text)["type"] == "state_patch" for _, text, *_ in texts)
    assert view == json.loads(json.dumps(room.view_of(1))) == room.view_of(1)
    assert view["big"] == 2**70 + room.state["t"] and view["name"] == "Zoë ✓" and view["pair"] == [7, -7]
    assert view["by_seat"] == {"0": 7, "1": 0}


def test_the_mode_api_page_describes_every_attribute_of_mode():
    from gameplatform.tests.live import ROOT

    page = (ROOT / "docs" / "mode-api.md").read_text()
    table = page.split("## `Mode` attributes", 1)[1].split("\n## ", 1)[0]
    named = {
        name
        for row in table.splitlines()
        if row.startswith("| `")
        for name in re.findall(r"`(\w+)`", row.split("|")[1])
    }
    attributes = {
        name
        for name, value in vars(Mode).items()
        if not name.startswith("_")
        and not callable(value)
        and not isinstance(value, property | classmethod | staticmethod)
    }
    assert sorted(attributes - named) == []


# --- players in progress and the match list's label ------------------------------------------


class Drop(Ticker):
    """A ticker that takes players while it runs, up to 3, and shows how many it has."""

    name = "drop"
    max_players = 3
    join_in_progress = True

    def on_join(self, state, player, ctx):
        state["x"].setdefault(str(player.id), 0)
        state["dir"].setdefault(str(player.id), 0)

    def label(self, state):
        return {"players": len(state["x"]), "fast": False, "map": "line"}


def test_a_player_who_joins_a_running_game_is_in_it_from_their_first_connection_and_plays():
    game = ModeTester(Drop())
    game.start()
    game.advance(0.1)
    late = game.join("late")
    assert game.phase == "active" and late == 3 and "3" not in game.state["x"]
    assert [p["id"] for p in game.frames(1, "game_state")[-1]["players"]] == [1, 2, 3]
    game.connect(late)  # on_join puts them in the game
    game.input(late, {"dx": 1})
    game.advance(0.1)
    assert game.view(late)["x"]["3"] == 2 and game.label() == {"players": 3, "fast": False, "map": "line"}


def test_a_join_is_refused_when_the_game_is_full_over_or_takes_no_players_in_progress():
    full = ModeTester(Drop(), players=3)
    full.start()
    with pytest.raises(Reject) as refused:
        full.join()
    assert refused.value.code == "game_full" and len(full.room.players) == 3
    closed = ModeTester(Ticker())
    closed.start()
    with pytest.raises(Reject) as refused:
        closed.join()
    assert refused.value.code == "not_joinable"
    over = ModeTester(Drop())
    over.start()
    over.forfeit(1)
    with pytest.raises(Reject) as refused:
        over.join()
    assert refused.value.code == "game_over"


def test_a_joined_player_is_kept_by_a_room_rebuilt_from_its_snapshot_and_journal():
    game = ModeTester(Drop())
    game.start()
    snapshot = json.loads(game.room.encode_snapshot())
    game.room.journal.owned = True
    late = game.join()
    game.connect(late)
    copy = Room.restore(Drop(), snapshot, journal=game.room.journal.take_steps())
    assert [p.id for p in copy.players] == [1, 2, late] and copy.state == game.state


def test_a_player_who_joins_and_never_comes_is_out_after_the_first_connect_grace():
    game = ModeTester(Drop(), grace=Grace(reconnect=1, first=2))
    game.start()
    late = game.join()
    game.advance(2.1)
    assert game.room.ctx.player(late).out and game.result is None


@pytest.mark.parametrize(
    "label",
    [
        [("map", "x")],
        {"Map": 1},
        {"map": "x" * 65},
        {"score": float("inf")},
        {"players": [1, 2]},
        {f"k{i}": i for i in range(17)},
    ],
)
def test_a_label_that_is_not_a_small_dict_of_strings_numbers_and_booleans_is_refused(label):
    with pytest.raises(ValueError):
        checked_label(label)


# --- live operations' flags ---------------------------------------------------------------


class Flagged(Mode):
    """Reads its target from a live operations flag at setup."""

    name = "flagged"
    min_players, max_players = 2, 2
    move_schema = Obj(points=Int(1, 2))

    def setup(self, ctx):
        return {"target": ctx.flag("target", 3), "missing": ctx.flag("missing", "fallback")}


def test_ctx_flag_reads_the_flags_the_room_started_with_or_the_default():
    game = ModeTester(Flagged(), flags={"target": 5})
    assert game.state == {"target": 5, "missing": "fallback"}
    assert ModeTester(Flagged()).state["target"] == 3  # no flags: every flag reads its default


def test_a_room_taken_over_keeps_the_flags_it_started_with():
    room = ModeTester(Flagged(), flags={"target": 5}, player_flags={2: {"target": 9}}).room
    copy = Room.restore(Flagged(), json.loads(room.encode_snapshot()))
    assert copy.ctx.flag("target", 3) == 5 and copy.state["target"] == 5
    assert copy.ctx.flag("target", 3, player=2) == 9  # each player's too (JSON's keys come back as ids)


class PerPlayerBonus(Mode):
    """A move scores the player's own ``bonus`` flag (an experiment on players, a joined event)."""

    name = "bonus"
    min_players, max_players = 2, 2
    move_schema = Obj(points=Int(1, 2))

    def setup(self, ctx):
        return {"scores": {p.id: 0 for p in ctx.players}}

    def on_move(self, state, player, movement, ctx):
        state["scores"][player.id] += movement["points"] * ctx.flag("bonus", 1, player=player.id)


def test_ctx_flag_with_a_player_reads_that_players_value_else_the_games_then_the_default():
    game = ModeTester(PerPlayerBonus(), flags={"bonus": 2}, player_flags={1: {"bonus": 10}})
    ctx = game.room.ctx
    assert (ctx.flag("bonus", 1, player=1), ctx.flag("bonus", 1, player=2), ctx.flag("bonus", 1)) == (10, 2, 2)
    assert ctx.flag("missing", "fallback", player=1) == "fallback"
    game = ModeTester(PerPlayerBonus(), player_flags={1: {"bonus": 10}})
    assert (game.room.ctx.flag("bonus", 1, player=1), game.room.ctx.flag("bonus", 1, player=2)) == (10, 1)
    game.start()
    game.move(1, {"points": 2})
    assert game.state["scores"][1] == 20  # the mover's own bonus


class Rounds(Mode):
    """docs/liveops.md's worked example: a round lasts the game's ``round-seconds``."""

    name = "rounds"
    min_players, max_players = 2, 2

    def setup(self, ctx):
        return {"round": 1}

    def on_start(self, state, ctx):
        ctx.after(ctx.flag("round-seconds", 60), "round", public=True)

    def on_timer(self, state, name, data, ctx):
        state["round"] += 1
        ctx.after(ctx.flag("round-seconds", 60), "round", public=True)


def test_the_manuals_round_length_experiment_plays_each_games_own_round_length():
    for seconds in (60, 90):
        game = ModeTester(Rounds(), flags={"round-seconds": seconds})
        game.start()
        game.advance(seconds - 1)
        assert game.state["round"] == 1
        game.advance(1)
        assert game.state["round"] == 2
