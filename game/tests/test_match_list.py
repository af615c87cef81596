"""The match list and joining a running game, through the REST API and the game socket.

Rooms run on the test's event loop (the process's room host); each publishes its summary with
``list_once`` (the host's once-a-second pass, called here so that no test waits for it).
"""

import pytest

from conftest import receive_type, requires_postgres, requires_redis
from game import services
from game.models import GamePlayer, Rating
from game.rooms import get_room_host
from game.tests.conftest import db
from gameplatform.data.redis import get_async_redis
from gameplatform.modes import Player, Result
from gameplatform.rooms import room_store
from gameplatform.testhelpers import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


async def listed_now(*game_ids: int) -> None:
    """The rooms of these games run here and their summaries are in the store."""
    host = get_room_host()
    for game_id in game_ids:
        assert await host.open(game_id)
    await host.list_once()
    await host.out.sent()


async def users(make_user, count: int) -> list:
    return await db(lambda: [make_user() for _ in range(count)])()


async def get(client, path: str, **params):
    return await db(lambda: client.get(path, params))()


def ids(answer) -> list[int]:
    assert answer.status_code == 200, answer.content
    return [room["id"] for room in answer.json()["results"]]


@pytest.fixture
async def host():
    """The process's room host, whose rooms (opened here without sockets) stop with the test."""
    host = get_room_host()
    yield host
    await host.stop()


async def test_the_list_shows_running_games_newest_first_and_filters_by_mode_open_and_label(
    client_for, api_client, make_game, make_user, alice, host
):
    two = await db(make_game)(*await users(make_user, 2), mode="arena")
    full = await db(make_game)(*await users(make_user, 8), mode="arena")
    board = await db(make_game)(*await users(make_user, 2))
    await listed_now(two.pk, full.pk, board.pk)
    client = client_for(alice)

    answer = await get(client, "/api/game/rooms/")
    assert ids(answer) == [board.pk, full.pk, two.pk] and answer.json()["next"] is None
    room = answer.json()["results"][2]
    assert room == {
        "id": two.pk,
        "mode": "arena",
        "phase": "waiting_for_players",
        "players": [{"id": p.user_id, "username": p.user.username} for p in await db(_seats)(two.pk)],
        "spectators": 0,
        "label": {"map": "square", "players": 2},
        "open": True,
        "started_at": None,
    }
    assert ids(await get(client, "/api/game/rooms/", mode="arena")) == [full.pk, two.pk]
    assert ids(await get(client, "/api/game/rooms/", open="1")) == [two.pk]
    assert ids(await get(client, "/api/game/rooms/", open="0")) == [board.pk, full.pk]
    assert ids(await get(client, "/api/game/rooms/", **{"label.players": "2"})) == [two.pk]
    assert ids(await get(client, "/api/game/rooms/", **{"label.map": "square", "label.players": "8"})) == [full.pk]
    assert ids(await get(client, "/api/game/rooms/", **{"label.map": "hexagon"})) == []
    page = (await get(client, "/api/game/rooms/", page_size="2")).json()
    assert [r["id"] for r in page["results"]] == [board.pk, full.pk] and page["next"]

    bad = await get(client, "/api/game/rooms/", mode="chess")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_mode"
    bad = await get(client, "/api/game/rooms/", open="maybe")
    assert bad.status_code == 400 and "open" in bad.json()
    assert (await get(api_client, "/api/game/rooms/")).status_code == 401


def _seats(game_id: int) -> list[GamePlayer]:
    return list(GamePlayer.objects.filter(game_id=game_id).select_related("user").order_by("seat"))


async def test_joining_is_refused_where_the_mode_takes_nobody_the_game_is_full_or_over(
    client_for, make_game, make_user, alice, bob, carol
):
    board = await db(make_game)(alice, bob)
    full = await db(make_game)(*await users(make_user, 8), mode="arena")
    client = client_for(carol)
    for game_id, status, code in [
        (board.pk, 409, "not_joinable"),
        (full.pk, 409, "game_full"),
        (999999, 404, "game_not_found"),
    ]:
        answer = await db(lambda game_id=game_id: client.post(f"/api/game/rooms/{game_id}/join/"))()
        assert (answer.status_code, answer.json()["code"]) == (status, code)
    mine = await db(make_game)(carol, *await users(make_user, 1))  # carol plays a game already
    arena = await db(make_game)(*await users(make_user, 2), mode="arena")
    answer = await db(lambda: client.post(f"/api/game/rooms/{arena.pk}/join/"))()
    assert (answer.status_code, answer.json()["code"]) == (409, "already_in_game") and mine.pk


@requires_postgres
def test_two_players_racing_for_the_last_seat_one_gets_it_the_other_game_full(make_game, make_user):
    game = make_game(*[make_user() for _ in range(7)], mode="arena")
    first, second = make_user(), make_user()
    outcomes = run_at_once(
        lambda: services.game_join(game_id=game.pk, user=first).pk,
        lambda: services.game_join(game_id=game.pk, user=second).pk,
    )
    assert sorted(outcomes, key=str) == [game.pk, "game_full"]
    seats = list(GamePlayer.objects.filter(game=game).order_by("seat").values_list("seat", flat=True))
    assert seats == list(range(8))
    winner = first if outcomes[0] == game.pk else second
    assert GamePlayer.objects.get(game=game, seat=7).user_id == winner.pk


async def test_a_player_who_joins_a_running_arena_sees_it_and_plays_and_the_others_see_them(
    client_for, make_game, alice, bob, carol, start_game, open_game, host
):
    game = await db(make_game)(alice, bob, mode="arena")
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    answer = await db(lambda: client_for(carol).post(f"/api/game/rooms/{game.pk}/join/"))()
    assert answer.status_code == 200 and answer.json() == {"game_id": game.pk}
    again = await db(lambda: client_for(carol).post(f"/api/game/rooms/{game.pk}/join/"))()
    assert again.json() == {"game_id": game.pk}  # one seat, whatever the number of tries

    ws_c, state = await open_game(game.pk, carol)
    assert state["state"] == "active" and [p["id"] for p in state["players"]] == [alice.pk, bob.pk, carol.pk]
    me = state["view"]["players"][str(carol.pk)]  # on the field from the first connection
    seen = await _frame_where(ws_a, lambda f: f["type"] == "game_state" and str(carol.pk) in f["view"]["players"])
    assert seen["view"]["players"][str(carol.pk)] == me and [p["connected"] for p in seen["players"]] == [True] * 3
    await ws_c.send_json_to({"type": "input", "data": {"dx": 1, "dy": 0}, "ref": "go"})
    moved = await _frame_where(ws_c, lambda f: f["type"] == "state_patch" and _moves(f, carol.pk))
    assert moved["tick"] > state["tick"] and me["x"] < 100
    await listed_now(game.pk)
    rooms = (await get(client_for(alice), "/api/game/rooms/")).json()["results"]
    assert [p["id"] for p in rooms[0]["players"]] == [alice.pk, bob.pk, carol.pk]
    assert rooms[0]["label"] == {"map": "square", "players": 3} and rooms[0]["started_at"]
    for ws in (ws_a, ws_b, ws_c):
        await ws.disconnect()


async def test_a_finished_game_that_a_player_joined_half_way_replays_to_its_recorded_result(
    client_for, make_game, alice, bob, carol, start_game, open_game, host
):
    from game.models import GameReplay
    from game.tests.test_replays import until

    game = await db(make_game)(alice, bob, mode="arena")
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await db(lambda: client_for(carol).post(f"/api/game/rooms/{game.pk}/join/"))()
    ws_c, _ = await open_game(game.pk, carol)
    await ws_c.send_json_to({"type": "input", "data": {"dx": 1, "dy": 0}, "ref": "go"})
    await receive_type(ws_c, "ack")
    for ws in (ws_a, ws_b):  # the first two leave: the one who joined wins
        await ws.send_json_to({"type": "forfeit"})
    over = await receive_type(ws_c, "game_over")
    assert over["winner_id"] == carol.pk
    await until(lambda: GameReplay.objects.filter(game_id=game.pk).exists(), 10, thread=True)
    replay = await get(client_for(carol), f"/api/games/{game.pk}/replay/")
    assert replay.status_code == 200, replay.content
    body = replay.json()
    assert [p["id"] for p in body["players"]] == [alice.pk, bob.pk, carol.pk]
    assert body["result"]["winner_id"] == carol.pk
    assert [i["player"] for i in body["inputs"] if i["type"] == "join"] == [carol.pk]
    frames = await get(client_for(carol), f"/api/games/{game.pk}/replay/frames/")
    assert frames.status_code == 200, frames.content
    views = [f["view"] for f in frames.json()["results"]]
    assert str(carol.pk) not in views[0]["players"] and str(carol.pk) in views[-1]["players"]
    for ws in (ws_a, ws_b, ws_c):
        await ws.disconnect()


async def _frame_where(ws, test, timeout: float = 5) -> dict:
    while True:
        frame = await ws.receive_json_from(timeout=timeout)
        if test(frame):
            return frame


def _moves(patch: dict, pid: int) -> bool:
    return any(op["path"].startswith(f"/players/{pid}/x") for op in patch["ops"])


@requires_redis
async def test_a_finished_game_leaves_the_list_and_leaves_no_key_behind(
    client_for, make_game, alice, bob, start_game, host
):
    game = await db(make_game)(alice, bob, mode="arena")
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await listed_now(game.pk)
    assert ids(await get(client_for(alice), "/api/game/rooms/")) == [game.pk]
    await ws_a.send_json_to({"type": "forfeit"})
    over = await receive_type(ws_b, "game_over")
    assert over["winner_id"] == bob.pk
    assert ids(await get(client_for(alice), "/api/game/rooms/")) == []
    store = room_store()
    assert await get_async_redis().keys(f"room:{store.ns}:{game.pk}:*") == []
    assert await get_async_redis().exists(store.listed_key()) == 0
    assert game.pk not in get_room_host().running
    for ws in (ws_a, ws_b):
        await ws.disconnect()


def test_a_seat_taken_as_the_game_ended_before_its_room_heard_of_it_is_neither_rated_nor_in_the_result(
    make_game, make_user, alice, bob
):
    game = make_game(alice, bob, mode="arena")
    services.game_record_start(game_id=game.pk)
    late = make_user()
    services.game_join(game_id=game.pk, user=late)
    seats = [
        Player(id=u.pk, username=u.username, seat=i, side="left" if i % 2 == 0 else "right")
        for i, u in enumerate((alice, bob))
    ]
    assert services.game_record_result(game_id=game.pk, result=Result(alice.pk, "win", {alice.pk: 3}), players=seats)
    seat = GamePlayer.objects.get(game=game, user=late)
    assert seat.left_before_start and seat.forfeited and seat.rating_change is None
    assert not Rating.objects.filter(user=late).exists()
    assert Rating.objects.filter(user__in=[alice, bob]).count() == 2


async def test_the_list_counts_the_spectators_of_a_game(
    client_for, make_game, alice, bob, carol, start_game, ws_connect, host
):
    game = await db(make_game)(alice, bob, mode="arena")
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    await listed_now(game.pk)
    assert (await get(client_for(alice), "/api/game/rooms/")).json()["results"][0]["spectators"] == 0
    ws_c, connected, code = await ws_connect(f"/ws/game/{game.pk}/", carol, query="watch=1")
    assert connected, code
    await receive_type(ws_c, "game_state")
    await listed_now(game.pk)
    assert (await get(client_for(alice), "/api/game/rooms/")).json()["results"][0]["spectators"] == 1
    for ws in (ws_a, ws_b, ws_c):
        await ws.disconnect()
