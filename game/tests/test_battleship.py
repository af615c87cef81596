"""Battleship on the public mode API, driven by the test kit (no server).

Besides the rules, two promises are checked at every step of many random games: the view a
player's patches add up to is the fresh one (the test kit checks it), and nothing that player
received says where the opponent's unseen ships lie. The second one is checked three ways: no
ship or cell in any frame is something the player may not know; the view stays the same when the
opponent's unseen ships are moved elsewhere; and a twin game whose unseen ships lie elsewhere
sends the player exactly the same frames.
"""

import copy
import json
import random

import pytest

from game.modes.builtin.battleship import FLEET, SIZE, Battleship, ship_cells
from gameplatform.modes.testing import ModeTester
from gameplatform.rooms import Room

# Player 1's ships lie on rows 0-4 from column 0, player 2's on rows 5-9; all horizontal.
ROWS = {
    1: [{"x": 0, "y": row, "length": length, "horizontal": True} for row, length in enumerate(FLEET)],
    2: [{"x": 0, "y": 5 + row, "length": length, "horizontal": True} for row, length in enumerate(FLEET)],
}
DESTROYER = ROWS[2][4]  # (0, 9) and (1, 9)


def laid(base: type[Battleship], fleets: dict[int, list[dict]]) -> Battleship:
    """A ``base`` mode whose fleets the test lays out instead of the seed."""

    class Laid(base):
        def place_fleet(self, player, ctx):
            return copy.deepcopy(fleets[player.id])

    return Laid()


@pytest.fixture
def game():
    game = ModeTester(laid(Battleship, ROWS))
    game.start()
    return game


def events(game, player_id):
    return [f["event"] for f in game.frames(player_id, "game_event")]


def miss(game, player_id, n):
    """Player ``player_id``'s ``n``-th miss: a cell of rows 0-4 (player 2) or 5-9 (player 1) past column 5."""
    row = n // 4 + (0 if player_id == 2 else 5)
    game.move(player_id, {"x": 6 + n % 4, "y": row})


# --- placement -------------------------------------------------------------------------


def test_the_server_places_each_fleet_inside_the_grid_without_overlaps():
    for seed in range(200):
        game = ModeTester(Battleship(), seed=seed)
        game.connect()
        for pid in game.ids:
            ships = game.view(pid)["mine"]["ships"]
            assert [s["length"] for s in ships] == list(FLEET)
            cells = [cell for ship in ships for cell in ship_cells(ship)]
            assert len(set(cells)) == len(cells) == sum(FLEET)
            assert all(0 <= x < SIZE and 0 <= y < SIZE for x, y in cells)


def test_the_fleets_follow_the_seed():
    def fleets(seed):
        game = ModeTester(Battleship(), seed=seed)
        game.connect()
        return [game.view(pid)["mine"]["ships"] for pid in game.ids]

    assert fleets(7) == fleets(7)
    assert fleets(7) != fleets(8)
    assert fleets(7)[0] != fleets(7)[1]


def latest(game, pid: int, key: str):
    """The newest ``key`` a player was sent, from a ``game_state`` or a ``state_patch``."""
    frames = [f for f in game.frames(pid) if f["type"] in ("game_state", "state_patch")]
    return frames[-1][key]


# --- shots ------------------------------------------------------------------------------


def test_the_first_seat_fires_first_and_the_turn_passes_after_a_hit_as_after_a_miss(game):
    assert latest(game, 1, "turn") == 1
    game.refused(2, "not_your_turn", move={"x": 0, "y": 0})
    game.move(1, {"x": 2, "y": 5})  # player 2's carrier
    assert latest(game, 2, "turn") == 2
    assert game.frames(2, "player_move")[-1] == {"type": "player_move", "user_id": 1, "movement": {"x": 2, "y": 5}}
    shot = {"kind": "shot", "by": 1, "x": 2, "y": 5, "hit": True, "sunk": None}
    assert events(game, 1) == events(game, 2) == [shot]
    assert game.view(1)["theirs"]["shots"] == [{"x": 2, "y": 5, "hit": True}]
    assert game.view(2)["mine"]["shots"] == [{"x": 2, "y": 5, "hit": True}]
    assert game.view(2)["mine"]["ships"][0] == {**ROWS[2][0], "hits": 1, "sunk": False}

    game.refused(1, "not_your_turn", move={"x": 3, "y": 5})
    game.move(2, {"x": 9, "y": 9})  # water
    assert events(game, 1)[-1] == {"kind": "shot", "by": 2, "x": 9, "y": 9, "hit": False, "sunk": None}
    assert game.view(2)["theirs"]["shots"] == [{"x": 9, "y": 9, "hit": False}]
    assert latest(game, 1, "turn") == 1


def test_a_shot_is_one_add_at_the_end_of_the_shots_in_the_patch(game):
    game.move(1, {"x": 9, "y": 0})
    assert game.frames(1, "state_patch")[-1]["ops"] == [
        {"op": "add", "path": "/theirs/shots/-", "value": {"x": 9, "y": 0, "hit": False}}
    ]
    assert game.frames(2, "state_patch")[-1]["ops"] == [
        {"op": "add", "path": "/mine/shots/-", "value": {"x": 9, "y": 0, "hit": False}}
    ]


def test_refused_shots_get_their_codes_and_change_nothing(game):
    game.move(1, {"x": 4, "y": 4})
    game.move(2, {"x": 0, "y": 0})
    game.refused(1, "already_fired", move={"x": 4, "y": 4})
    game.refused(2, "not_your_turn", move={"x": 5, "y": 5})
    error = game.refused(1, "invalid", move={"x": 10, "y": 0})
    assert error.fields == {"movement.x": ["Must be an integer from 0 to 9."]}
    error = game.refused(1, "invalid", move={"x": 0, "y": -1})
    assert error.fields == {"movement.y": ["Must be an integer from 0 to 9."]}
    assert game.refused(1, "invalid", move={"x": 3}).fields == {"movement.y": ["This field is required."]}
    assert game.refused(1, "invalid", move={"x": "3", "y": 1}).fields == {
        "movement.x": ["Must be an integer from 0 to 9."]
    }
    assert game.refused(1, "invalid", move={"x": 3, "y": 1, "z": 0}).fields == {"movement.z": ["Unknown field."]}
    game.refused(1, "unknown_action", action=("place", {"ships": ROWS[1]}))
    assert len(game.view(1)["theirs"]["shots"]) == 1


def test_a_shot_before_the_start_is_refused_and_fleets_cannot_be_placed_by_hand():
    game = ModeTester(laid(Battleship, ROWS))
    game.connect()
    game.refused(1, "game_not_active", move={"x": 0, "y": 0})
    game.refused(1, "unknown_action", action=("place", {"ships": ROWS[2]}))


# --- sinking and winning --------------------------------------------------------------------


def test_a_sunk_ship_is_announced_and_shown_to_the_shooter_only_once_sunk(game):
    game.move(1, {"x": 0, "y": 9})
    assert game.view(1)["theirs"]["sunk"] == []
    game.move(2, {"x": 9, "y": 9})
    game.move(1, {"x": 1, "y": 9})
    sunk = {"kind": "shot", "by": 1, "x": 1, "y": 9, "hit": True, "sunk": DESTROYER}
    assert events(game, 1)[-1] == events(game, 2)[-1] == sunk
    assert game.view(1)["theirs"]["sunk"] == [DESTROYER]
    assert game.view(2)["mine"]["ships"][4] == {**DESTROYER, "hits": 2, "sunk": True}
    assert game.view(2)["theirs"]["sunk"] == []
    assert game.result is None


def test_sinking_the_last_ship_wins_and_the_scores_are_the_hits(game):
    targets = sorted(cell for ship in ROWS[2] for cell in ship_cells(ship))
    for n, (x, y) in enumerate(targets):
        game.move(1, {"x": x, "y": y})
        if game.result is None and n == 3:
            game.move(2, {"x": 0, "y": 0})  # player 2's one hit
        elif game.result is None:
            miss(game, 2, n)
    assert (game.result.winner, game.result.reason) == (1, "win")
    assert (game.result.scores, game.result.ranking) == ({1: 17, 2: 1}, [1, 2])
    assert sorted(game.view(1)["theirs"]["sunk"], key=_ship) == sorted(ROWS[2], key=_ship)
    assert game.frames(2)[-1] == {"type": "game_over", "winner_id": 1, "reason": "win"}
    final = game.frames(2, "game_state")[-1]
    assert (final["state"], final["winner_id"]) == ("finished", 1)
    assert {p["id"]: p["score"] for p in final["players"]} == {1: 17, 2: 1}
    game.refused(2, "game_over", move={"x": 1, "y": 1})


def test_the_loser_never_sees_where_the_winners_ships_lay(game):
    targets = sorted(cell for ship in ROWS[2] for cell in ship_cells(ship))
    for n, (x, y) in enumerate(targets):
        game.move(1, {"x": x, "y": y})
        if game.result is None:
            miss(game, 2, n)
    assert game.result.winner == 1
    assert game.view(2)["theirs"] == {"shots": game.view(1)["mine"]["shots"], "sunk": []}
    for ship in ROWS[1]:  # as JSON shows a ship, up to its length: in no frame player 2 received
        assert json.dumps(ship).split(', "horizontal"')[0] not in game.seen_text(2)
    assert json.dumps(ROWS[1][0]).split(', "horizontal"')[0] in game.seen_text(1)


def test_a_forfeit_gives_the_win_to_the_other_with_the_hits_so_far(game):
    game.move(1, {"x": 0, "y": 5})
    game.move(2, {"x": 0, "y": 0})
    game.move(1, {"x": 1, "y": 5})
    game.forfeit(1)
    assert (game.result.winner, game.result.reason, game.result.scores) == (2, "forfeit", {1: 2, 2: 1})


# --- the turn clock --------------------------------------------------------------------------


def test_a_turn_that_runs_out_passes_to_the_opponent(game):
    assert latest(game, 1, "turn_deadline") == 30.0
    game.advance(29.75)
    assert game.room.ctx.turn == 1 and not game.frames(1, "turn_timeout")
    game.advance(0.25)
    assert game.frames(2, "turn_timeout") == [{"type": "turn_timeout", "user_id": 1}]
    assert (latest(game, 2, "turn"), latest(game, 2, "turn_deadline")) == (2, 30.0)
    assert game.view(1)["theirs"]["shots"] == [] and game.result is None
    game.refused(1, "not_your_turn", move={"x": 0, "y": 5})
    game.advance(10)
    game.move(2, {"x": 0, "y": 0})
    assert latest(game, 1, "turn_deadline") == 30.0  # a fresh clock for player 1
    game.advance(60)  # two more timeouts: the turn goes back and forth, nobody loses
    assert game.room.ctx.turn == 1 and game.result is None
    assert len(game.frames(1, "turn_timeout")) == 3


# --- snapshots --------------------------------------------------------------------------------


def test_a_room_restored_from_a_snapshot_plays_on_the_same_game():
    game = ModeTester(Battleship(), seed=3)
    game.start()
    for x in range(6):
        game.move(1, {"x": x, "y": 2})
        game.move(2, {"x": x, "y": 7})
    restored = Room.restore(Battleship(), json.loads(game.room.encode_snapshot()))
    for pid in game.ids:
        restored.connect(pid)
        assert restored.view_of(pid) == game.room.view_of(pid)
    for x in range(6, 10):
        for room in (game.room, restored):
            room.move(1, {"x": x, "y": 2})
            room.move(2, {"x": x, "y": 7})
        assert restored.view_of(1) == game.room.view_of(1)
        assert restored.view_of(2) == game.room.view_of(2)


# --- random games: replays, sync and secrecy ---------------------------------------------------


def run(game: ModeTester, step: tuple) -> None:
    kind, *args = step
    if kind == "refused":
        pid, code, movement = args
        game.refused(pid, code, move=movement)
    else:
        getattr(game, kind)(*args)


def cells_to_try(view: dict, rng: random.Random) -> list[tuple[int, int]]:
    """Cells a player has not fired at, next to an unsunk hit first most of the time (a client's hunt)."""
    shots = view["theirs"]["shots"]
    fired = {(s["x"], s["y"]) for s in shots}
    sunk = {cell for ship in view["theirs"]["sunk"] for cell in ship_cells(ship)}
    open_hits = [(s["x"], s["y"]) for s in shots if s["hit"] and (s["x"], s["y"]) not in sunk]
    near = {(x + dx, y + dy) for x, y in open_hits for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1))} - fired
    near = sorted((x, y) for x, y in near if 0 <= x < SIZE and 0 <= y < SIZE)
    if near and rng.random() < 0.8:
        return near
    return [(x, y) for x in range(SIZE) for y in range(SIZE) if (x, y) not in fired]


def play(seed: int, *, checks=(), mode=None):
    """A game from ``seed`` played to its end by random clients, with refused shots, turn timeouts
    and reconnects in between. Returns the tester, the steps played and each player's frame count
    after each step (so a twin game can replay them)."""
    rng = random.Random(seed)
    game = ModeTester(mode or Battleship(), seed=seed)
    steps, counts = [], []

    def do(*step):
        run(game, step)
        steps.append(step)
        counts.append({pid: len(game.frames(pid)) for pid in game.ids})
        for check in checks:
            check(game)

    for pid in game.ids:
        do("connect", pid)
    for pid in game.ids:
        do("ready", pid)
    away = None
    while game.result is None:
        turn = game.room.ctx.turn
        view = game.view(turn)
        x, y = rng.choice(cells_to_try(view, rng)) if view else (0, 0)
        roll = rng.random()
        if away is not None:  # back soon (well within the grace), maybe after the other's shot
            if away == turn or roll < 0.5:
                do("connect", away)
                away = None
            else:
                do("move", turn, {"x": x, "y": y})
        elif roll < 0.008:
            do("advance", Battleship.turn_seconds)
        elif roll < 0.05:
            do("refused", 3 - turn, "not_your_turn", {"x": x, "y": y})
        elif roll < 0.08 and view["theirs"]["shots"]:
            old = rng.choice(view["theirs"]["shots"])
            do("refused", turn, "already_fired", {"x": old["x"], "y": old["y"]})
        elif roll < 0.10:
            do("refused", turn, "invalid", {"x": rng.choice([-1, SIZE]), "y": y})
        elif roll < 0.12:
            away = rng.choice(game.ids)
            do("disconnect", away)
        else:
            do("move", turn, {"x": x, "y": y})
    return game, steps, counts


def opponent(pid: int) -> int:
    return 3 - pid


PLACES: dict[int, list] = {}


def _places(length: int) -> list[tuple[dict, frozenset]]:
    """Every place a ship of ``length`` fits in the grid, with its cells."""
    if length not in PLACES:
        PLACES[length] = [
            (place, frozenset(ship_cells(place)))
            for horizontal in (True, False)
            for x in range(SIZE - length + 1 if horizontal else SIZE)
            for y in range(SIZE if horizontal else SIZE - length + 1)
            for place in [{"x": x, "y": y, "length": length, "horizontal": horizontal}]
        ]
    return PLACES[length]


def hidden_elsewhere(state: dict, viewer: int, rng: random.Random) -> tuple[list[dict], bool]:
    """The opponent's fleet with every ship ``viewer`` has not sunk moved at random to a place that
    fits all ``viewer`` knows: it covers the same hit cells, no other cell ``viewer`` fired at, and no
    other ship. Returns the fleet and whether any ship moved."""
    fleet = [dict(ship) for ship in state["ships"][str(opponent(viewer))]]
    fired = {(s["x"], s["y"]) for s in state["shots"][str(viewer)]}
    sunk = set(state["sunk"][str(viewer)])
    moved = False
    for index, ship in enumerate(fleet):
        if index in sunk:
            continue
        hits = ship_cells(ship) & fired
        others = {cell for i, other in enumerate(fleet) if i != index for cell in ship_cells(other)}
        places = [place for place, cells in _places(ship["length"]) if cells & fired == hits and not cells & others]
        place = rng.choice(places)
        moved = moved or ship_cells(place) != ship_cells(ship)
        ship.update(place)
    return fleet, moved


class Secrecy:
    """After each step, for each player: every ship in a frame they received since the last step is
    their own or one they sank, every other cell in it is one somebody fired at; and their view is
    the same when the opponent's unseen ships lie elsewhere."""

    def __init__(self, seed: int) -> None:
        self.read = {1: 0, 2: 0}
        self.rng = random.Random(seed)
        self.moved = 0

    def __call__(self, game: ModeTester) -> None:
        state = game.state
        fired = {(s["x"], s["y"]) for shots in state["shots"].values() for s in shots}
        for pid in game.ids:
            them = state["ships"][str(opponent(pid))]
            known = [_ship(s) for s in state["ships"][str(pid)]] + [_ship(them[i]) for i in state["sunk"][str(pid)]]
            frames = game.frames(pid)
            for frame in frames[self.read[pid] :]:
                for found in _coordinates(frame):
                    if "length" in found:
                        assert _ship(found) in known, f"player {pid} received a ship they may not see: {found}"
                    else:
                        cell = (found["x"], found["y"])
                        assert cell in fired, f"player {pid} received a cell nobody fired at: {found}"
            self.read[pid] = len(frames)

            fleet, moved = hidden_elsewhere(state, pid, self.rng)
            self.moved += moved
            twin = {**state, "ships": {**state["ships"], str(opponent(pid)): fleet}}
            player = game.room.ctx.player(pid)
            assert game.mode.view(twin, player) == game.mode.view(state, player), (
                f"player {pid}'s view changes with where the opponent's unseen ships lie"
            )


def _ship(ship: dict) -> tuple:
    return (ship["x"], ship["y"], ship["length"], ship["horizontal"])


def _coordinates(value):
    """Every JSON object with ``x`` and ``y`` inside ``value``."""
    if isinstance(value, dict):
        if "x" in value and "y" in value:
            yield value
        for item in value.values():
            yield from _coordinates(item)
    elif isinstance(value, list):
        for item in value:
            yield from _coordinates(item)


def test_a_game_replays_from_its_seed_and_its_shots():
    first, steps, _ = play(11)
    again, _, _ = play(11)
    assert first.result == again.result and first.result.reason == "win"
    assert [first.seen_text(pid) for pid in first.ids] == [again.seen_text(pid) for pid in again.ids]

    replayed = ModeTester(Battleship(), seed=11)
    for step in steps:
        run(replayed, step)
    assert replayed.result == first.result
    assert [replayed.seen_text(pid) for pid in replayed.ids] == [first.seen_text(pid) for pid in first.ids]

    other, _, _ = play(12)
    assert other.frames(1, "game_state")[0]["view"] != first.frames(1, "game_state")[0]["view"]


def test_random_games_keep_patched_views_exact_and_never_show_an_unseen_ship():
    moved = 0
    timeouts = 0
    for seed in range(20):
        secrecy = Secrecy(seed)
        game, steps, _ = play(seed, checks=[secrecy])
        assert game.phase == "finished" and game.result.reason == "win"
        winner = game.result.winner
        assert len(game.view(winner)["theirs"]["sunk"]) == len(FLEET)
        assert game.result.scores[winner] == sum(FLEET)
        moved += secrecy.moved
        timeouts += sum(step[0] == "advance" for step in steps)
    assert moved > 1000 and timeouts >= 10  # the checks had secrets to keep, the clock ran out often


def twins_agree(seed: int, rng: random.Random, base: type[Battleship] = Battleship) -> int:
    """Play a game from ``seed``; at a few steps, for each player, replay it up to that step in a
    twin whose opponent's unseen ships lie elsewhere (as ``hidden_elsewhere``): the player must have
    received exactly the same frames. Returns how many twins had a ship elsewhere."""
    states = []
    game, steps, counts = play(seed, mode=base(), checks=[lambda game: states.append(copy.deepcopy(game.state))])
    moved = 0
    for end in [3, rng.randrange(4, len(steps) - 1), len(steps) - 1]:  # 3: just started; the end
        for pid in (1, 2):
            fleet, did_move = hidden_elsewhere(states[end], pid, rng)
            moved += did_move
            fleets = {p: [_place(s) for s in states[end]["ships"][str(p)]] for p in (1, 2)}
            fleets[opponent(pid)] = [_place(s) for s in fleet]
            twin = ModeTester(laid(base, fleets), seed=seed, check_sync=False)  # sync: checked elsewhere
            for step in steps[: end + 1]:
                run(twin, step)
            assert twin.frames(pid) == game.frames(pid)[: counts[end][pid]], (
                f"seed {seed}, step {end}: player {pid}'s frames change with the opponent's unseen ships"
            )
    return moved


def test_what_a_player_receives_does_not_depend_on_where_the_opponents_unseen_ships_lie():
    rng = random.Random(5)
    moved = sum(twins_agree(seed, rng) for seed in range(6))
    assert moved > 20  # most twins really had their ships elsewhere


def _place(ship: dict) -> dict:
    return {"x": ship["x"], "y": ship["y"], "length": ship["length"], "horizontal": ship["horizontal"]}


# --- the checks can fail ------------------------------------------------------------------------


class ShowsTheFleet(Battleship):
    def view(self, state, player):
        return {**super().view(state, player), "their_ships": state["ships"][str(opponent(player.id))]}


class HintsAShip(Battleship):
    def on_move(self, state, player, movement, ctx):
        super().on_move(state, player, movement, ctx)
        ship = state["ships"][str(opponent(player.id))][0]
        ctx.send({"kind": "hint", "x": ship["x"], "y": ship["y"]}, to=[player.id])


class ShowsShipColumns(Battleship):
    def view(self, state, player):
        them = state["ships"][str(opponent(player.id))]
        return {**super().view(state, player), "columns": sorted(ship["x"] for ship in them)}


@pytest.mark.parametrize(
    ("leaky", "says"),
    [
        (ShowsTheFleet, "received a ship they may not see"),
        (HintsAShip, "received a cell nobody fired at"),
        (ShowsShipColumns, "view changes with where the opponent's unseen ships lie"),
    ],
)
def test_the_secrecy_checks_catch_a_mode_that_leaks(leaky, says):
    with pytest.raises(AssertionError, match=says):
        play(1, checks=[Secrecy(1)], mode=leaky())
    with pytest.raises(AssertionError, match="frames change with the opponent's unseen ships"):
        twins_agree(1, random.Random(1), base=leaky)
