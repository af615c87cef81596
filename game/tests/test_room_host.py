"""The room runtime: rooms owned by one process, snapshots in Redis, takeover when the owner dies.

Two ``RoomHost`` objects with different owner ids play two server processes sharing one Redis;
the database records are played by an in-memory recorder (the host's hooks), so these tests
are about ownership, the driver and the snapshots.
"""

import asyncio
import json
from dataclasses import replace

import pytest

from conftest import requires_redis
from game.modes.builtin.tictactoe import TicTacToe
from game.rooms import ROOM_HELLO, Hooks, RoomHost, RoomStore, Seating
from gameplatform.modes import Mode, Player
from gameplatform.modes.schema import Int, Obj
from gameplatform.redis import get_async_redis


class Counter(Mode):
    name = "counter"
    tick_rate = 20
    input_schema = Obj(step=Int(0, 5))

    def setup(self, ctx):
        return {"n": 0, "step": 1}

    def on_input(self, state, player, data, ctx):
        state["step"] = data["step"]

    def on_tick(self, state, ctx):
        state["n"] += state["step"]


class Fragile(Counter):
    name = "fragile"
    resumable = False


class Records:
    """What the database would hold, and every frame published per game."""

    def __init__(self, mode: Mode, players: int = 2) -> None:
        self.mode = mode
        self.players = players
        self.started: list[int] = []
        self.results: list[tuple[int, object]] = []
        self.published: list[tuple[int, list]] = []

    def hooks(self) -> Hooks:
        async def seating(game_id):
            players = [
                Player(id=i + 1, username=f"p{i + 1}", seat=i, side="left" if i % 2 == 0 else "right")
                for i in range(self.players)
            ]
            return Seating(mode=self.mode, players=players, seed=game_id, over=bool(self.results))

        async def record_start(game_id):
            self.started.append(game_id)

        async def record_result(game_id, result, players, board, version):
            self.results.append((game_id, result))

        async def publish(game_id, frames):
            self.published.append((game_id, frames))

        return Hooks(seating=seating, record_start=record_start, record_result=record_result, publish=publish)

    def frames_for(self, player_id: int) -> list[dict]:
        return [json.loads(text) for _, frames in self.published for to, text in frames if to in (0, player_id)]


@pytest.fixture
def short_lease(settings):
    settings.ROOM_LEASE_SECONDS = 1.0


async def start_game(host: RoomHost, game_id: int, players=(1, 2)) -> None:
    assert await host.open(game_id)
    for pid in players:
        await host.apply(game_id, pid, "connect")
    for pid in players:
        await host.apply(game_id, pid, "ready")


@requires_redis
@pytest.mark.django_db
async def test_a_second_process_cannot_own_a_room_that_has_an_owner(short_lease):
    records = Records(TicTacToe())
    a, b = RoomHost(records.hooks(), owner="a"), RoomHost(records.hooks(), owner="b")
    try:
        assert await a.open(1)
        assert not await b.open(1)
        assert not await b.apply(1, 1, "move", ({"cell": 0},))
    finally:
        await a.stop()
        await b.stop()


@requires_redis
@pytest.mark.django_db
async def test_a_turn_based_room_is_snapshotted_after_every_move_and_its_start_recorded_once(short_lease):
    records = Records(TicTacToe())
    host = RoomHost(records.hooks(), owner="a")
    try:
        await start_game(host, 2)
        await host.apply(2, 1, "move", ({"cell": 4},))
        snap = json.loads(await host.store.load(2))
        assert snap["state"]["board"][4] == "X"
        assert records.started == [2]
        await host.apply(2, 1, "move", ({"cell": 5},), ref="r1")
        error = records.frames_for(1)[-1]
        assert error == {"type": "error", "code": "not_your_turn", "message": "It is not your turn.", "ref": "r1"}
        assert not any(f["type"] == "error" for f in records.frames_for(2))  # the refusal is the mover's alone
    finally:
        await host.stop()


@requires_redis
@pytest.mark.django_db
async def test_a_room_whose_owner_dies_is_taken_over_from_its_snapshot_and_played_to_the_end(short_lease):
    records = Records(TicTacToe())
    a, b = RoomHost(records.hooks(), owner="a"), RoomHost(records.hooks(), owner="b")
    try:
        await start_game(a, 3)
        for pid, cell in [(1, 0), (2, 3), (1, 1)]:
            await a.apply(3, pid, "move", ({"cell": cell},))
        b.watch(3)  # a socket of game 3 is open on process b
        await a.stop(release=False)  # process a dies: no release, its lease runs out
        started = asyncio.get_running_loop().time()
        while 3 not in b.rooms:
            await b.keep_leases_once()
            await asyncio.sleep(0.05)
            assert asyncio.get_running_loop().time() - started < 5, "nobody took the room over"
        took = asyncio.get_running_loop().time() - started
        assert took < 2.5  # the lease (1 s) plus a busy machine
        assert {"type": "room_hello"} in records.frames_for(1)
        for pid in (1, 2):
            await b.apply(3, pid, "connect")
        state = records.frames_for(2)[-1]
        assert state["type"] == "game_state" and state["board"][:4] == ["X", "X", None, "O"] and state["turn"] == 2
        await b.apply(3, 2, "move", ({"cell": 4},))
        await b.apply(3, 1, "move", ({"cell": 2},))
        assert [(g, r.winner, r.reason) for g, r in records.results] == [(3, 1, "win")]
        assert await b.store.load(3) is None  # recorded: the snapshot is gone
        assert records.started == [3]
    finally:
        await a.stop()
        await b.stop()


@requires_redis
@pytest.mark.django_db
async def test_a_player_on_a_third_process_who_answers_the_takeover_hello_at_once_gets_the_game(short_lease):
    records = Records(TicTacToe())
    hooks = records.hooks()
    group: list[RoomHost] = []  # who hears the room's group (players' frames from other processes)
    answers: list[dict] = []

    async def listen(game_id, host):
        group.append(host)

    async def unlisten(game_id, host):
        group.remove(host)

    async def publish(game_id, frames):
        await hooks.publish(game_id, frames)
        if (0, ROOM_HELLO) in frames:
            # Player 2's socket is on a third process: its connect goes through the room's group.
            for host in list(group):
                await host.apply(game_id, 2, "connect")
            answers.extend(f for f in records.frames_for(2) if f["type"] == "game_state")

    hooks = replace(hooks, listen=listen, unlisten=unlisten)
    both = replace(hooks, publish=publish)
    a, b = RoomHost(both, owner="a"), RoomHost(both, owner="b")
    try:
        await start_game(a, 9)
        await a.apply(9, 1, "move", ({"cell": 4},))
        b.watch(9)
        await a.stop(release=False)  # its lease runs out; process b holds a socket of the game
        records.published.clear()
        started = asyncio.get_running_loop().time()
        while 9 not in b.rooms:
            await b.keep_leases_once()
            await asyncio.sleep(0.05)
            assert asyncio.get_running_loop().time() - started < 3, "nobody took the room over"
        assert answers, "the connect sent on the hello reached nobody"
        assert answers[-1]["board"][4] == "X" and answers[-1]["state"] == "active"
    finally:
        await a.stop()
        await b.stop()


@requires_redis
@pytest.mark.django_db
async def test_a_real_time_room_ticks_at_its_rate_on_the_process_driver(short_lease):
    records = Records(Counter())
    host = RoomHost(records.hooks(), owner="a")
    try:
        await start_game(host, 4)
        await asyncio.sleep(0.5)
        room = host.rooms[4]
        assert 5 <= room.ctx.tick <= 11  # 20 a second; a busy machine may run late, never fast
        assert room.state["n"] == room.ctx.tick
        patches = [f for f in records.frames_for(1) if f["type"] == "state_patch"]
        assert len(patches) >= 5
        assert max(host.lateness) < 0.25
    finally:
        await host.stop()


class LosesCancellations(RoomStore):
    """A store whose snapshot write returns normally when its task is cancelled meanwhile, as
    redis-py's asyncio client was seen to do: the host must stop all the same."""

    def __init__(self) -> None:
        super().__init__()
        self.writing = asyncio.Event()

    async def save(self, game_id, snapshot):
        self.writing.set()
        try:
            await asyncio.sleep(0.2)
        except asyncio.CancelledError:
            pass

    async def save_many(self, snapshots):  # the driver's batch of a pass
        await self.save(0, "")


@pytest.mark.django_db
async def test_a_host_stopped_while_its_driver_writes_a_snapshot_stops(short_lease, settings):
    settings.REDIS_URL = ""
    records = Records(Counter())
    store = LosesCancellations()
    host = RoomHost(records.hooks(), store, owner="solo")
    await start_game(host, 10)
    store.writing.clear()
    await asyncio.wait_for(store.writing.wait(), 3)  # the driver's snapshot, every 10 ticks
    stopping = asyncio.ensure_future(host.stop())
    done, _ = await asyncio.wait({stopping}, timeout=2)  # (a timeout that cancels would end it itself)
    if not done:
        stopping.cancel()
    assert done, "the host never stopped"
    assert host.rooms == {}


@requires_redis
@pytest.mark.django_db
async def test_a_mode_that_cannot_resume_ends_abandoned_when_its_owner_dies(short_lease):
    records = Records(Fragile())
    a, b = RoomHost(records.hooks(), owner="a"), RoomHost(records.hooks(), owner="b")
    try:
        await start_game(a, 5)
        await asyncio.sleep(0.6)  # a few ticks; a snapshot after the start
        b.watch(5)
        await a.stop(release=False)
        started = asyncio.get_running_loop().time()
        while not records.results:
            await b.keep_leases_once()
            await asyncio.sleep(0.05)
            assert asyncio.get_running_loop().time() - started < 5, "nobody ended the room"
        assert 5 not in b.rooms
        assert [(g, r.reason) for g, r in records.results] == [(5, "abandoned")]
    finally:
        await a.stop()
        await b.stop()


@pytest.mark.django_db
async def test_without_redis_the_one_process_owns_rooms_in_its_memory(settings):
    settings.REDIS_URL = ""
    records = Records(TicTacToe())
    host = RoomHost(records.hooks(), RoomStore(), owner="solo")
    try:
        await start_game(host, 6)
        await host.apply(6, 1, "move", ({"cell": 0},))
        assert json.loads(await host.store.load(6))["state"]["board"][0] == "X"
    finally:
        await host.stop()


@requires_redis
async def test_leases_are_kept_in_redis_under_the_database_name(short_lease, settings):
    store = RoomStore()
    assert await store.claim(7, "a")
    ttl = await get_async_redis().pttl(f"room:{settings.DATABASES['default']['NAME']}:7:owner")
    assert 0 < ttl <= 1000
    assert await store.renew([7, 8], "a") == {7}


class SlowStore(RoomStore):
    """A store whose every write takes ``delay`` seconds to be answered (a busy Redis)."""

    delay = 0.0

    async def save(self, game_id, snapshot):
        await asyncio.sleep(self.delay)
        await super().save(game_id, snapshot)

    async def save_many(self, snapshots):
        await asyncio.sleep(self.delay)
        await super().save_many(snapshots)


@pytest.mark.django_db
async def test_rooms_ticking_together_are_not_late_when_snapshot_writes_are_slow(settings):
    settings.REDIS_URL = ""
    records = Records(Counter())
    store = SlowStore()
    host = RoomHost(records.hooks(), store, owner="solo")
    games = range(100, 112)
    try:
        for game_id in games:
            await start_game(host, game_id)
        host.lateness.clear()
        store.delay = 0.02  # 12 rooms snapshot in the same pass every 10 ticks: not 12 waits in a row
        await asyncio.sleep(1.2)
        assert all(host.rooms[g].ctx.tick >= 20 for g in games)
        assert max(host.lateness) < 0.1
    finally:
        store.delay = 0.0
        await host.stop()
