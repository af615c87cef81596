"""A room's steps while its store is away: nobody hears of a step before Redis has it.

Each test starts a redis-server of its own (never the shared one), runs one ``RoomHost`` on it
and breaks the store for real: it kills the server and starts it again on the same port, or
makes it refuse this process's connections for a while. The players' frames are what the host
publishes (the recorder of ``test_room_host``), read as a client would read them.
"""

import asyncio

import pytest
import redis.asyncio

from game.modes.builtin.tictactoe import TicTacToe
from game.tests.test_room_host import Records, start_game
from game.tests.test_room_inputs_per_tick import Tally, answers
from gameplatform.modes.commands import Input, Move
from gameplatform.rooms import RedisRoomStore, RoomHost
from gameplatform.rooms.wire import Sending
from gameplatform.testhelpers import eventually
from gameplatform.tests.redis_servers import redis_servers  # noqa: F401 - the fixture
from gameplatform.tests.test_faults import requires_redis_server

pytestmark = [requires_redis_server, pytest.mark.django_db]


@pytest.fixture
def own_store(redis_servers, settings):  # noqa: F811
    """A room store on a redis-server of this test's own, and that server."""
    server = redis_servers.redis()
    retry = settings.REDIS_ASYNC_RETRY  # as the process's own client does
    client = redis.asyncio.Redis(host="127.0.0.1", port=server.port, socket_connect_timeout=0.5, retry=retry)
    return RedisRoomStore(client, namespace="away"), server


def tries_failed(host: RoomHost, at_least: int):
    """The outbox has a batch it could not write, and has tried it ``at_least`` times."""
    return lambda: getattr(host.out, "batch", None) is not None and host.out.batch.tries >= at_least


async def journalled(store: RedisRoomStore, host: RoomHost, game_id: int) -> list:
    return [e for _, batch in await store.journal(host.out.journal) for e in batch.get(game_id, ())]


def played(records: Records, player_id: int) -> list[tuple]:
    """What the player heard of the moves, in order: each board they were shown, each answer."""
    heard = []
    for frame in records.frames_for(player_id):
        if frame["type"] == "game_state":
            heard.append(("board", tuple(frame["view"]["board"])))
        elif frame["type"] in ("ack", "error"):
            heard.append((frame["type"], frame.get("code"), frame.get("ref")))
    return heard


async def test_moves_made_while_redis_is_away_are_heard_only_once_it_has_them_and_in_order(own_store):
    store, server = own_store
    records = Records(TicTacToe())
    host = RoomHost(records.hooks(), store, wire=records.wire(), owner="a")
    moves = []
    try:
        await start_game(host, 1)
        await host.out.sent()
        records.published.clear()
        server.kill()
        moves.append(asyncio.ensure_future(host.apply(1, Move(1, {"cell": 0}), Sending("x"))))
        await eventually(lambda: records.published or tries_failed(host, 1)(), timeout=10, what="the write to fail")
        assert records.published == []
        moves.append(asyncio.ensure_future(host.apply(1, Move(2, {"cell": 4}), Sending("o"))))
        await eventually(tries_failed(host, 3), timeout=10, what="the write to be tried again")
        assert records.published == [] and not any(move.done() for move in moves)

        server.start()  # the same port, with nothing in it
        await asyncio.wait_for(asyncio.gather(*moves), 10)
        x_then_o = [
            ("board", ("X", None, None, None, None, None, None, None, None)),
            ("board", ("X", None, None, None, "O", None, None, None, None)),
        ]
        assert [h for h in played(records, 1) if h[0] == "board"] == x_then_o
        assert played(records, 1) == [x_then_o[0], ("ack", None, "x"), x_then_o[1]]
        assert played(records, 2) == [x_then_o[0], x_then_o[1], ("ack", None, "o")]
        assert [e[2] for e in await store.read_log(1)].count("move") == 2  # each with its snapshot
        assert host.out.batch is None
    finally:
        for move in moves:
            move.cancel()
        await host.stop(release=False)
        await store.client.aclose()


async def test_a_real_time_room_takes_no_tick_while_its_last_steps_wait_for_redis(own_store):
    """What keeps the process's memory bounded while the store is away: the rooms stand still
    (their inputs wait in their bounded queues), and go on once a write went through."""
    store, server = own_store
    records = Records(Tally())
    host = RoomHost(records.hooks(), store, wire=records.wire(), owner="a")
    try:
        await start_game(host, 2)
        await host.out.sent()
        server.kill()
        await eventually(tries_failed(host, 1), timeout=10, what="a tick's write to fail")
        records.published.clear()
        tick = host.rooms[2].ctx.tick
        await host.apply(2, Input(1, {"add": 1}), Sending("queued"))
        await eventually(tries_failed(host, 4), timeout=10, what="the write to be tried again")
        assert host.rooms[2].ctx.tick == tick and len(host.running[2].inputs) == 1
        assert records.published == []

        server.start()
        await eventually(lambda: answers(records, 1), timeout=10, what="the queued input's answer")
        assert [(a["type"], a["ref"]) for a in answers(records, 1)] == [("ack", "queued")]
        assert host.rooms[2].state["shown"] == [[1, 1]]
    finally:
        await host.stop(release=False)
        await store.client.aclose()


async def test_a_step_kept_while_redis_was_away_whose_room_another_process_took_meanwhile_is_answered_unavailable(
    own_store,
):
    """The store comes back with the room's lease another process's: what the step made here is
    not the game's. Nobody hears of it, and the player's frame is answered ``unavailable`` (the
    client sends it again, to the room's next owner)."""
    store, server = own_store
    records = Records(TicTacToe())
    host = RoomHost(records.hooks(), store, wire=records.wire(), owner="a")
    admin = server.client()
    move = None
    try:
        await start_game(host, 3)
        await host.out.sent()
        records.published.clear()
        # This process's connections are refused (the others' are not) until the password goes.
        admin.config_set("requirepass", "away")
        admin.client_kill_filter(_type="normal", skipme=True)
        move = asyncio.ensure_future(host.apply(3, Move(1, {"cell": 0}), Sending("x")))
        await eventually(tries_failed(host, 2), timeout=10, what="the write to fail")
        assert records.published == []
        admin.set(store.lease_key(3), "b")  # another process took the room
        admin.config_set("requirepass", "")

        await asyncio.wait_for(move, 10)
        await eventually(lambda: 3 not in host.running, timeout=10, what="the room let go")
        assert played(records, 1) == [("error", "unavailable", "x")]
        assert played(records, 2) == []
        assert "move" not in [e[2] for e in await journalled(store, host, 3)]
    finally:
        if move is not None:
            move.cancel()
        admin.close()
        await host.stop(release=False)
        await store.client.aclose()
