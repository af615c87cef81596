"""Arena, the real-time built-in mode, driven by the test kit (no server).

The kit checks after every step that each player's patches add up to a fresh view, and that a
refused input changed nothing; these tests add the rules of the game on top.
"""

import json
import math
import random

import pytest

from game.modes.builtin.arena import Arena
from gameplatform.modes import Reject
from gameplatform.modes.testing import ModeTester
from gameplatform.rooms import Room

TICK = 1 / Arena.tick_rate
TOP_STEP = Arena.speed * TICK  # the furthest a player may go in one tick


def arena(players: int = 4, seed: int = 1) -> ModeTester:
    game = ModeTester(Arena(), players=players, seed=seed)
    game.start()
    return game


def position(game: ModeTester, pid: int, seen_by: int | None = None) -> tuple[float, float]:
    me = game.view(seen_by or pid)["players"][str(pid)]
    return me["x"], me["y"]


def score(game: ModeTester, pid: int) -> int:
    return game.view(pid)["players"][str(pid)]["score"]


def steer_to_nearest_gem(game: ModeTester, pid: int) -> None:
    """What a simple client does: head for the nearest gem it can see."""
    x, y = position(game, pid)
    gx, gy = min(game.view(pid)["gems"], key=lambda g: (g[0] - x) ** 2 + (g[1] - y) ** 2)
    length = math.hypot(gx - x, gy - y) or 1.0
    game.input(pid, {"dx": (gx - x) / length, "dy": (gy - y) / length})


def collect(game: ModeTester, pid: int, gems: int) -> None:
    """``pid`` chases gems, one tick at a time, until they collected ``gems`` more (then stands still)."""
    goal = score(game, pid) + gems
    for _ in range(40 * Arena.tick_rate):
        if score(game, pid) >= goal or game.result is not None:
            break
        steer_to_nearest_gem(game, pid)
        game.advance(TICK)
    if game.result is None:
        game.input(pid, {"dx": 0, "dy": 0})
    assert score(game, pid) == goal


# --- movement -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dx", "dy", "speed"),
    [(1, 0, 1.0), (0, -1, 1.0), (1, 1, 1.0), (-1, 1, 1.0), (0.6, 0.8, 1.0), (1, -0.3, 1.0), (-0.2, 0.1, 0.2236)],
)
def test_a_direction_moves_a_player_along_it_never_faster_than_the_top_speed(dx, dy, speed):
    game = arena()
    game.input(1, {"dx": dx, "dy": dy})
    for _ in range(10):
        x0, y0 = position(game, 1)
        game.advance(TICK)
        x1, y1 = position(game, 1)
        step = math.hypot(x1 - x0, y1 - y0)
        assert step <= TOP_STEP + 1e-9
        assert step == pytest.approx(speed * TOP_STEP, abs=0.015)  # a step is rounded down to the 0.01 grid
        assert math.atan2(y1 - y0, x1 - x0) == pytest.approx(math.atan2(dy, dx), abs=0.03)


def test_an_input_moves_nobody_until_the_next_tick():
    game = arena()
    before = position(game, 1)
    game.input(1, {"dx": 1, "dy": 0})
    game.input(1, {"dx": 1, "dy": 0})  # sending more often buys no distance
    assert position(game, 1) == before
    assert game.room.view_of(1)["players"]["1"] == game.view(1)["players"]["1"]
    game.advance(TICK)
    assert position(game, 1) == (before[0] + TOP_STEP, before[1])
    assert position(game, 1, seen_by=2) == position(game, 1)


def test_players_pushing_against_the_walls_stay_inside_the_arena():
    directions = [(1, 1), (-1, -1), (1, -1), (-1, 1), (1, 0), (0, 1), (-1, 0), (0, -1)]
    game = arena(players=8)
    for pid, (dx, dy) in zip(game.ids, directions, strict=True):
        game.input(pid, {"dx": dx, "dy": dy})
    for _ in range(10 * Arena.tick_rate):
        game.advance(TICK)
        for pid in game.ids:
            x, y = position(game, pid)
            assert 0 <= x <= Arena.size and 0 <= y <= Arena.size
    assert position(game, 1) == (100, 100)
    assert position(game, 2) == (0, 0)
    assert position(game, 7)[0] == 0 and position(game, 5)[0] == 100


def test_a_player_who_drops_stops_where_they_are():
    game = arena(players=3)
    game.input(1, {"dx": 0, "dy": 1})
    game.advance(0.5)
    game.disconnect(1)
    where = position(game, 1, seen_by=2)
    game.advance(1)
    assert position(game, 1, seen_by=2) == where
    game.connect(1)
    game.advance(1)
    assert position(game, 1) == where  # back, but their old direction is gone: they send a new one


# --- gems and the end ----------------------------------------------------------------


def test_touching_a_gem_collects_it_and_a_new_one_appears_out_of_reach():
    game = arena(players=3)
    for _ in range(20 * Arena.tick_rate):
        steer_to_nearest_gem(game, 1)
        gems_before = list(game.view(2)["gems"])
        game.advance(TICK)
        if score(game, 1):
            break
    gems_after = game.view(2)["gems"]
    assert len(gems_after) == Arena.gem_count
    (taken,) = [old for old, new in zip(gems_before, gems_after, strict=True) if old != new]
    (fresh,) = [new for old, new in zip(gems_before, gems_after, strict=True) if old != new]
    x, y = position(game, 1)
    assert math.hypot(taken[0] - x, taken[1] - y) < Arena.pickup_radius
    for pid in game.ids:
        px, py = position(game, pid)
        assert math.hypot(fresh[0] - px, fresh[1] - py) >= Arena.pickup_radius
    assert game.view(2)["players"]["1"]["score"] == 1
    ops = game.frames(2, "state_patch")[-1]["ops"]  # a gem moved: the patch may replace the whole view
    assert {"op": "replace", "path": "/players/1/score", "value": 1} in ops or ops[0]["path"] == ""


def test_the_first_player_to_the_target_score_wins():
    game = arena(players=3)
    collect(game, 1, Arena.target_score)
    result = game.result
    assert (result.winner, result.reason) == (1, "win")
    assert result.scores == {1: 10, 2: 0, 3: 0}
    assert result.ranking == [1, [2, 3]]
    final = game.frames(3, "game_state")[-1]
    assert final["state"] == "finished" and final["winner_id"] == 1
    assert [p["score"] for p in final["players"]] == [10, 0, 0]
    assert game.frames(3)[-1] == {"type": "game_over", "winner_id": 1, "reason": "win"}


def test_at_the_time_limit_the_top_scorer_wins_and_everyone_is_ranked():
    game = arena(players=3)
    collect(game, 1, 2)
    collect(game, 2, 1)
    game.advance(45 - game.clock)
    assert game.view(3)["time_left"] == 45
    game.advance(Arena.duration - TICK - game.clock)
    assert game.result is None and game.view(3)["time_left"] == 1
    game.advance(TICK)
    assert (game.result.winner, game.result.reason) == (1, "win")
    assert game.result.scores == {1: 2, 2: 1, 3: 0}
    assert game.result.ranking == [1, 2, 3]
    assert game.view(3)["time_left"] == 0
    assert game.room.ctx.now == pytest.approx(Arena.duration)


def test_a_shared_top_score_at_the_time_limit_is_a_draw():
    game = arena(players=3)
    collect(game, 1, 1)
    collect(game, 3, 1)
    game.advance(Arena.duration - game.clock)
    assert (game.result.winner, game.result.reason) == (None, "draw")
    assert game.result.ranking == [[1, 3], 2]
    assert game.frames(2)[-1] == {"type": "game_over", "winner_id": None, "reason": "draw"}


def test_a_player_who_leaves_for_good_leaves_the_field_and_the_last_one_in_wins():
    game = arena(players=3)
    collect(game, 3, 2)
    game.forfeit(3)
    assert set(game.view(1)["players"]) == {"1", "2"}
    game.advance(1)
    assert game.result is None
    game.forfeit(2)
    assert (game.result.winner, game.result.reason) == (1, "forfeit")
    assert game.result.scores == {1: 0, 2: 0, 3: 2}
    assert game.result.ranking == [1, 3, 2]  # still in first; then those who left, by score


# --- what clients may send and see ----------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"dx": 1, "dy": 0, "x": 90}, {"data.x"}),
        ({"x": 90, "y": 90}, {"data.dx", "data.dy", "data.x", "data.y"}),
        ({"dx": 1, "dy": 0, "speed": 5}, {"data.speed"}),
        ({"dx": 1.5, "dy": 0}, {"data.dx"}),
        ({"dx": -1, "dy": float("inf")}, {"data.dy"}),
        ({"dx": "1", "dy": True}, {"data.dx", "data.dy"}),
    ],
)
def test_an_input_with_a_position_or_anything_but_a_direction_is_invalid(data, fields):
    game = arena()
    game.input(1, {"dx": 0, "dy": 1})
    refused = game.refused(1, "invalid", input=data)
    assert set(refused.fields) == fields
    game.advance(TICK)
    assert position(game, 1) == (85, 51)  # the last valid direction still holds


def test_an_input_before_the_start_is_refused():
    game = ModeTester(Arena(), players=2)
    game.connect()
    game.refused(1, "game_not_active", input={"dx": 1, "dy": 0})


def test_every_player_sees_the_same_small_view_and_a_still_tick_sends_nothing():
    game = arena(players=8)
    views = [game.view(pid) for pid in game.ids]
    assert all(v == views[0] for v in views)
    assert set(views[0]) == {"size", "target", "time_left", "players", "gems"}
    assert len(json.dumps(views[0], separators=(",", ":"))) < 600
    patches = len(game.frames(1, "state_patch"))
    game.advance(0.95)  # nobody moves, the clock still shows 90
    assert len(game.frames(1, "state_patch")) == patches
    game.advance(TICK)
    assert game.frames(1, "state_patch")[-1]["ops"] == [{"op": "replace", "path": "/time_left", "value": 89}]
    assert "dirs" not in game.seen_text(1) and "ends_at" not in game.seen_text(1)


# --- replays and long games -----------------------------------------------------------


def scripted_game(seed: int) -> ModeTester:
    game = arena(players=4, seed=seed)
    rng = random.Random(99)
    for _ in range(200):
        pid = rng.choice(game.ids)
        game.input(pid, {"dx": rng.uniform(-1, 1), "dy": rng.uniform(-1, 1)})
        game.advance(TICK * rng.randint(1, 5))
    return game


def test_the_same_seed_and_inputs_replay_the_same_game():
    first, second = scripted_game(seed=5), scripted_game(seed=5)
    assert first.state == second.state
    assert first.inbox == second.inbox
    assert scripted_game(seed=6).state["gems"] != first.state["gems"]


def test_a_room_restored_from_its_snapshot_plays_on_as_the_original():
    game = scripted_game(seed=3)
    original = game.room
    restored = Room.restore(Arena(), json.loads(original.encode_snapshot()))
    for pid in game.ids:
        restored.connect(pid)
    rng = random.Random(4)
    now = game.clock
    for _ in range(300):
        pid = rng.choice(game.ids)
        data = {"dx": rng.uniform(-1, 1), "dy": rng.uniform(-1, 1)}
        now += TICK * rng.randint(1, 3)
        for room in (original, restored):
            if not room.over:
                room.input(pid, data)
                room.advance(now)
    assert restored.state == original.state
    assert restored.result == original.result


def play_randomly(seed: int) -> ModeTester:
    """A long game: 2 to 8 players, some late, chasing gems or wandering, dropping out and back, leaving.

    In even games everyone wanders (they run to the time limit); in odd ones some chase gems."""
    rng = random.Random(seed)
    game = ModeTester(Arena(), players=rng.randint(2, 8), seed=seed)
    early = game.ids[: rng.randint(1, len(game.ids))]
    game.connect(*early)
    game.ready(*early)
    late = [pid for pid in game.ids if pid not in early]
    if late:  # (no ids means everyone to the kit)
        game.advance(rng.uniform(0, 2))
        assert game.phase == "waiting_for_players"
        game.connect(*late)
        game.ready(*late)
    assert game.phase == "active"
    chasers = {pid for pid in game.ids if seed % 2 and rng.random() < 0.5}
    while game.result is None and game.clock < 200:
        here = [p for p in game.room.players if not p.out and p.connected]
        away = [p for p in game.room.players if not p.out and not p.connected]
        roll = rng.random()
        if roll < 0.01:
            if here:
                game.disconnect(rng.choice(here).id)
        elif roll < 0.03:
            if away:
                game.connect(rng.choice(away).id)
        elif roll < 0.0305:
            if here:
                game.forfeit(rng.choice(here).id)
        elif roll < 0.05:
            if here:
                game.refused(rng.choice(here).id, "invalid", input={"dx": 0, "dy": 0, "x": rng.uniform(0, 100)})
        for p in here:
            if game.result is None and not p.out and p.connected and rng.random() < 0.2:
                if p.id in chasers:
                    steer_to_nearest_gem(game, p.id)
                else:
                    game.input(p.id, {"dx": rng.uniform(-1, 1), "dy": rng.uniform(-1, 1)})
        game.advance(TICK * rng.randint(1, 4))
        view = game.room.view_of(game.ids[0])
        assert len(view["gems"]) == Arena.gem_count
        assert all(0 <= me["x"] <= 100 and 0 <= me["y"] <= 100 for me in view["players"].values())
    return game


@pytest.mark.parametrize("seed", range(6))
def test_random_long_games_keep_every_patched_view_exact_to_the_end(seed):
    game = play_randomly(seed)
    result = game.result
    assert result is not None and game.phase in ("finished", "abandoned")
    if result.reason != "abandoned":
        ranked = [pid for place in result.ranking for pid in (place if isinstance(place, list) else [place])]
        assert sorted(ranked) == game.ids
        assert result.winner is None or result.ranking[0] == result.winner
        assert set(result.scores) == set(game.ids)


def test_a_player_who_joins_a_running_arena_enters_the_field_at_their_first_connection_and_collects_gems():
    game = arena(players=2, seed=5)
    game.advance(1.0)
    assert game.label() == {"map": "square", "players": 2}
    late = game.join("late")
    assert str(late) not in game.view(1)["players"]
    game.connect(late)
    assert position(game, late, seen_by=1) == position(game, late) and game.label()["players"] == 3
    for _ in range(200):
        steer_to_nearest_gem(game, late)
        game.advance(TICK)
        if score(game, late) or game.result:
            break
    assert score(game, late) >= 1


def test_an_arena_of_eight_seats_takes_no_ninth_player():
    game = arena(players=7)
    game.join()
    with pytest.raises(Reject) as refused:
        game.join()
    assert refused.value.code == "game_full"
