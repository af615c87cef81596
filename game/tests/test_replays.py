"""Replays: every step of a game, kept with its snapshots across its owners, re-simulates it.

A room's steps go to its game's log (in the store, with each snapshot); when the game is
recorded the host hands the whole log to ``record_result`` with it. Run again from the game's seed and
players, the log ends where the game ended, with the recorded result, whichever processes ran it.
"""

import asyncio
import random
from dataclasses import replace

import pytest
from asgiref.sync import sync_to_async

from conftest import receive_type, requires_postgres, requires_redis
from game.models import GameReplay
from game.modes.builtin.arena import Arena
from game.modes.builtin.battleship import Battleship
from game.modes.builtin.relay import Relay
from game.modes.builtin.tictactoe import TicTacToe
from game.tests.test_room_host import Records, start_game
from gameplatform.modes.commands import Action, Connect, Input, Move
from gameplatform.modes.room import Grace
from gameplatform.modes.testing import replayed, seated
from gameplatform.rooms import RoomHost
from gameplatform.rooms.server_room import Room
from gameplatform.testhelpers import run_at_once


class QuickArena(Arena):
    name = "quickarena"
    duration = 2  # seconds of game time: the whole game within the test


class Replays(Records):
    """``Records`` that also keep every game's replay, as the database would."""

    def __init__(self, mode, players: int = 2) -> None:
        super().__init__(mode, players)
        self.replays: dict[int, list] = {}

    def hooks(self):
        hooks = super().hooks()
        record = hooks.record_result

        async def record_result(game_id, result, players, board, version, steps):
            await record(game_id, result, players, board, version, steps)
            self.replays[game_id] = steps

        return replace(hooks, record_result=record_result)


async def until(done, seconds: float, *, thread: bool = False) -> None:
    """Wait for ``done()`` (on a thread: ``thread``, for a database read)."""
    async with asyncio.timeout(seconds):
        while not (await sync_to_async(done)() if thread else done()):  # noqa: ASYNC110 - another part's state
            await asyncio.sleep(0.05)


def resimulated(mode, game_id: int, players: int, steps: list) -> Room:
    room = Room(mode, game_id=game_id, players=seated(players), seed=game_id, grace=Grace())
    assert room.replay(steps) == len(steps), "a step did not go as it went"
    return room


async def play_on(host: RoomHost, game_id: int, mode, rng: random.Random) -> None:
    """Both players play ``mode`` to its end on ``host`` (random legal frames)."""
    room = host.rooms[game_id]
    cells = {pid: [(x, y) for x in range(10) for y in range(10)] for pid in (1, 2)}
    for pid in cells:
        rng.shuffle(cells[pid])
    for _ in range(400):
        room = host.rooms.get(game_id)
        if room is None or room.over:
            return
        if mode.name == "tictactoe":
            free = [i for i, mark in enumerate(room.state["board"]) if mark is None]
            await host.apply(game_id, Move(room.ctx.turn, {"cell": rng.choice(free)}))
        elif mode.name == "battleship":
            x, y = cells[room.ctx.turn].pop()
            await host.apply(game_id, Move(room.ctx.turn, {"x": x, "y": y}))
        elif mode.name == "relay":
            for pid in (1, 2):
                await host.apply(game_id, Action(pid, "report_score", {"scores": {"1": 3, "2": 1}}))
        else:
            await host.apply(game_id, Input(rng.randint(1, 2), {"dx": rng.uniform(-1, 1), "dy": rng.uniform(-1, 1)}))
            await asyncio.sleep(0.03)


@requires_redis
@pytest.mark.django_db
@pytest.mark.parametrize("mode", [TicTacToe(), Battleship(), Relay(), QuickArena()], ids=lambda m: m.name)
async def test_every_built_in_modes_finished_game_resimulated_from_its_replay_ends_with_its_recorded_result(
    mode, settings
):
    settings.ROOM_LEASE_SECONDS = 1.0
    records = Replays(mode)
    host = RoomHost(records.hooks(), wire=records.wire(), owner="a")
    game_id = 5000 + len(mode.name)
    try:
        await start_game(host, game_id)
        await play_on(host, game_id, mode, random.Random(game_id))
        await until(lambda: game_id in records.replays, 10)
    finally:
        await host.stop()
    (recorded_id, result), *_ = records.results
    room = resimulated(mode, game_id, 2, records.replays[game_id])
    assert room.over and room.result == result


@requires_redis
@pytest.mark.django_db
async def test_a_game_taken_over_half_way_replays_whole_from_the_log_of_both_its_owners(settings):
    settings.ROOM_LEASE_SECONDS = 1.0
    mode = Battleship()
    records = Replays(mode)
    a = RoomHost(records.hooks(), wire=records.wire(), owner="a")
    b = RoomHost(records.hooks(), wire=records.wire(), owner="b")
    game_id, rng = 6001, random.Random(6001)
    try:
        await start_game(a, game_id)
        cells = [(x, y) for x in range(10) for y in range(10)]
        rng.shuffle(cells)
        for x, y in cells[:7]:  # seven shots on a, with its snapshots
            await a.apply(game_id, Move(a.rooms[game_id].ctx.turn, {"x": x, "y": y}))
        await a.stop(release=False)  # a dies
        b.watch(game_id)
        await until(lambda: game_id in b.rooms, 5)
        for pid in (1, 2):
            await b.apply(game_id, Connect(pid))
        await play_on(b, game_id, mode, rng)
        await until(lambda: game_id in records.replays, 10)
    finally:
        await a.stop()
        await b.stop()
    steps = records.replays[game_id]
    assert [s[0] for s in steps] == list(range(1, len(steps) + 1))  # every step, once, in order
    room = resimulated(mode, game_id, 2, steps)
    assert room.result == records.results[-1][1]


WIN_FOR_X = [0, 3, 1, 4, 2]  # X takes the top row


async def finished_tictactoe(make_game, alice, bob, start_game):
    from game.tests.conftest import db, play

    game = await db(make_game)(alice, bob)
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    movers = [(ws_a, ws_b), (ws_b, ws_a)]
    for i, cell in enumerate(WIN_FOR_X[:-1]):
        await play(*movers[i % 2], cell)
    await ws_a.send_json_to({"type": "player_move", "movement": {"cell": WIN_FOR_X[-1]}})
    await receive_type(ws_a, "game_over", timeout=10)
    await ws_a.disconnect()
    await ws_b.disconnect()
    return game


@pytest.mark.django_db(transaction=True)
async def test_a_finished_games_replay_gives_every_input_with_its_tick_and_the_recorded_result(
    make_game, alice, bob, carol, start_game, client_for
):
    game = await finished_tictactoe(make_game, alice, bob, start_game)
    await until(lambda: GameReplay.objects.filter(game_id=game.pk).exists(), 10, thread=True)
    answer = await sync_to_async(client_for(carol).get)(f"/api/games/{game.pk}/replay/")  # anyone: nothing is hidden
    assert answer.status_code == 200, answer.content
    replay = answer.json()
    assert replay["mode"] == "tictactoe" and replay["seed"] == game.seed and len(replay["mode_version"]) == 16
    moves = [i for i in replay["inputs"] if i["type"] == "move"]
    assert [m["data"]["cell"] for m in moves] == WIN_FOR_X
    assert [m["player"] for m in moves] == [alice.pk, bob.pk, alice.pk, bob.pk, alice.pk]
    assert [i["type"] for i in replay["inputs"]][:2] == ["connect", "connect"]
    assert replay["result"]["winner_id"] == alice.pk and replay["result"]["reason"] == "win"
    room = replayed(TicTacToe(), replay)  # offline, with the mode's code, as a studio's tool would
    assert room.result.winner == alice.pk and room.state["board"][:3] == ["X", "X", "X"]


@pytest.mark.django_db(transaction=True)
async def test_a_replay_whose_modes_code_changed_is_unavailable_and_a_hidden_games_is_its_players_only(
    make_game, alice, bob, carol, start_game, client_for
):
    game = await finished_tictactoe(make_game, alice, bob, start_game)
    await until(lambda: GameReplay.objects.filter(game_id=game.pk).exists(), 10, thread=True)
    await sync_to_async(GameReplay.objects.filter(game_id=game.pk).update)(mode_version="0" * 16)
    answer = await sync_to_async(client_for(alice).get)(f"/api/games/{game.pk}/replay/")
    assert answer.status_code == 409 and answer.json()["code"] == "replay_unavailable"

    hidden = await sync_to_async(make_game)(alice, bob, mode="battleship")
    answer = await sync_to_async(client_for(carol).get)(f"/api/games/{hidden.pk}/replay/")
    assert answer.status_code == 403 and answer.json()["code"] == "not_allowed"
    answer = await sync_to_async(client_for(alice).get)(f"/api/games/{hidden.pk}/replay/")
    assert answer.status_code == 404  # not finished: no replay yet


@pytest.mark.django_db
def test_replays_recorded_together_keep_each_game_once_and_leave_an_already_kept_one_as_it_was(
    make_game, alice, bob, settings
):
    from game.replays import ReplayRecord, replay_record_many

    settings.REPLAY_RETENTION_DAYS = 30
    kept, first, second = make_game(alice, bob), make_game(alice, bob), make_game(alice, bob)
    grace = {"reconnect": 30, "first": 60}
    GameReplay.objects.create(game=kept, mode_version="v", log=GameReplay.pack([["kept"]]), grace=grace)
    step = [0, 0.0, "move", [1, {"cell": 4}], 1]
    made = replay_record_many(
        records=[
            ReplayRecord(game_id=kept.pk, steps=[step], grace=grace),
            ReplayRecord(game_id=first.pk, steps=[step], grace=grace),
            ReplayRecord(game_id=second.pk, steps=[step, step], grace=grace),
            ReplayRecord(game_id=first.pk, steps=[], grace=grace),  # listed twice: the first is kept
            ReplayRecord(game_id=10**9, steps=[step], grace=grace),  # no such game
        ]
    )
    assert made == [False, True, True, False, False]
    steps = {replay.game_id: replay.steps for replay in GameReplay.objects.all()}
    assert steps == {kept.pk: [["kept"]], first.pk: [step], second.pk: [step, step]}
    assert all(replay.created_at is not None for replay in GameReplay.objects.all())


@pytest.mark.django_db
def test_replays_older_than_the_retention_are_dropped_by_the_hourly_timer(make_game, alice, bob, settings):
    from datetime import timedelta

    from django.utils import timezone

    from game.timers import drop_expired_replays

    settings.REPLAY_RETENTION_DAYS = 30
    old, new = make_game(alice, bob), make_game(alice, bob)
    for game in (old, new):
        grace = {"reconnect": 30, "first": 60}
        GameReplay.objects.create(game=game, mode_version="v", log=GameReplay.pack([]), grace=grace)
    GameReplay.objects.filter(game=old).update(created_at=timezone.now() - timedelta(days=31))
    assert drop_expired_replays() == 1
    assert list(GameReplay.objects.values_list("game_id", flat=True)) == [new.pk]


@pytest.mark.django_db(transaction=True)
async def test_a_replays_frames_are_what_a_spectator_saw_change_by_change_a_page_at_a_time(
    make_game, alice, bob, carol, start_game, client_for
):
    game = await finished_tictactoe(make_game, alice, bob, start_game)
    await until(lambda: GameReplay.objects.filter(game_id=game.pk).exists(), 10, thread=True)
    answer = await sync_to_async(client_for(carol).get)(f"/api/games/{game.pk}/replay/frames/")
    assert answer.status_code == 200, answer.content
    frames = answer.json()["results"]
    boards = [f["view"]["board"] for f in frames]
    assert boards[0] == [None] * 9 and boards[-1][:3] == ["X", "X", "X"]
    assert sum(cell is not None for cell in boards[-1]) == len(WIN_FOR_X)
    assert [f["tick"] for f in frames] == list(range(len(frames)))  # a turn-based game: its changes
    assert answer.json()["next"] is None
    page = await sync_to_async(client_for(carol).get)(f"/api/games/{game.pk}/replay/frames/?from=2&to=3")
    assert [f["tick"] for f in page.json()["results"]] == [2, 3]
    bad = await sync_to_async(client_for(carol).get)(f"/api/games/{game.pk}/replay/frames/?from=-1")
    assert bad.status_code == 400 and "from" in bad.json()


@pytest.mark.django_db(transaction=True)
async def test_paging_through_a_replays_frames_plays_the_game_again_once_and_still_checks_its_mode_every_time(
    make_game, alice, bob, carol, start_game, client_for, monkeypatch
):
    game = await finished_tictactoe(make_game, alice, bob, start_game)
    await until(lambda: GameReplay.objects.filter(game_id=game.pk).exists(), 10, thread=True)
    played = []
    replay = Room.replay
    monkeypatch.setattr(Room, "replay", lambda room, *args, **kwargs: played.append(1) or replay(room, *args, **kwargs))
    url = f"/api/games/{game.pk}/replay/frames/"
    whole = await sync_to_async(client_for(carol).get)(url)
    page = await sync_to_async(client_for(alice).get)(f"{url}?from=2&to=3")
    assert whole.status_code == page.status_code == 200
    assert page.json()["results"] == whole.json()["results"][2:4]
    assert len(played) == 1  # the second answer came from the frames kept after the first

    await sync_to_async(GameReplay.objects.filter(game_id=game.pk).update)(mode_version="0" * 16)
    changed = await sync_to_async(client_for(carol).get)(url)
    assert changed.status_code == 409 and changed.json()["code"] == "replay_unavailable"


@pytest.mark.django_db
def test_a_user_asking_for_replays_too_fast_is_answered_429_rate_limited_and_others_are_not(
    make_game, alice, bob, carol, client_for, settings
):
    settings.REPLAY_RATE_LIMIT = 3
    game = make_game(alice, bob)
    replay, frames = f"/api/games/{game.pk}/replay/", f"/api/games/{game.pk}/replay/frames/"
    answers = [client_for(carol).get(path).status_code for path in (replay, frames, replay)]
    assert answers == [404, 404, 404]  # not finished: no replay yet, but asked for all the same
    for path in (replay, frames):  # one budget for both
        refused = client_for(carol).get(path)
        assert refused.status_code == 429
        body = refused.json()
        assert body["code"] == "rate_limited" and 0 < body["retry_after"] <= 60
        assert body["detail"] == "At most 3 replay requests per minute."
        assert int(refused["Retry-After"]) >= 1
    assert client_for(alice).get(replay).status_code == 404  # her own budget


@pytest.mark.django_db
def test_a_result_is_recorded_with_its_replay_and_stands_when_the_replay_is_refused(make_game, alice, bob, settings):
    from game.services import ResultRecord, game_record_results
    from gameplatform.modes import Result

    settings.REPLAY_RETENTION_DAYS = 30
    kept, refused = make_game(alice, bob), make_game(alice, bob)
    grace = {"reconnect": 30, "first": 60}
    step = [1, 0.0, "move", [1, {"cell": 4}], 1]
    made = game_record_results(
        records=[
            ResultRecord(game_id=kept.pk, result=Result(alice.pk, "win"), players=[], steps=[step], grace=grace),
            ResultRecord(game_id=refused.pk, result=Result(bob.pk, "win"), players=[], steps=[[object()]], grace=grace),
        ]
    )
    assert made == [True, True]  # both results, whatever became of the replays
    assert [game.winner_id for game in (kept, refused) if game.refresh_from_db() is None] == [alice.pk, bob.pk]
    assert [replay.steps for replay in GameReplay.objects.filter(game=kept)] == [[step]]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_owners_recording_a_games_end_at_once_keep_one_result_with_its_own_replay(make_game, alice, bob, settings):
    from game.services import ResultRecord, game_record_results
    from gameplatform.modes import Result

    settings.REPLAY_RETENTION_DAYS = 30
    grace = {"reconnect": 30, "first": 60}
    for _ in range(5):
        game = make_game(alice, bob)
        ends = [
            ResultRecord(game_id=game.pk, result=Result(winner, "win"), players=[], steps=[[n, "move"]], grace=grace)
            for n, winner in ((1, alice.pk), (2, bob.pk))
        ]
        made = run_at_once(*[lambda end=end: game_record_results(records=[end])[0] for end in ends])
        assert sorted(made) == [False, True]  # one owner recorded it; the other found it over
        recorder = ends[made.index(True)]
        game.refresh_from_db()
        assert game.winner_id == recorder.result.winner
        assert [replay.steps for replay in GameReplay.objects.filter(game=game)] == [recorder.steps]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_games_end_whose_database_goes_away_at_the_replays_fails_once_as_an_outage_and_records_nothing(
    make_game, alice, bob, settings
):
    from urllib.parse import urlparse

    import psycopg
    from django.conf import settings as django_settings
    from django.db import connection

    from game.services import ResultRecord, game_record_results
    from gameplatform.core.errors import is_outage
    from gameplatform.modes import Result

    settings.REPLAY_RETENTION_DAYS = 30
    games = [make_game(alice, bob) for _ in range(3)]
    step, grace = [1, 0.0, "move", [1, {"cell": 4}], 1], {"reconnect": 30, "first": 60}
    won = Result(alice.pk, "win")
    ends = [ResultRecord(game_id=g.pk, result=won, players=[], steps=[step], grace=grace) for g in games]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    admin_url = urlparse(django_settings.DATABASE_URL)._replace(path="/postgres").geturl()
    tries = []

    def the_server_goes_away_at_the_replays(execute, sql, params, many, context):
        if GameReplay._meta.db_table in sql:
            tries.append(sql)
            with psycopg.connect(admin_url) as other:  # any database of the server can end a backend
                other.execute("SELECT pg_terminate_backend(%s)", [backend])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(the_server_goes_away_at_the_replays), pytest.raises(Exception) as failed:
        game_record_results(records=ends)
    connection.close()
    assert is_outage(failed.value)
    assert len(tries) == 1  # not each replay tried again alone against a server that is gone
    assert [g.winner_id for g in games if g.refresh_from_db() is None] == [None] * 3  # the host records it again
    assert not GameReplay.objects.exists()
