"""The match list as the room engine keeps it: each room's owner publishes its summary to the store
(Redis, or the process's memory), and a player seated while the game runs reaches the room.

Hosts play server processes as in ``test_room_host``; the database is the in-memory ``Records``.
"""

import asyncio
import json
import time

import pytest

from conftest import requires_redis
from game.tests.test_room_host import Counter, Records, start_game
from gameplatform.data.redis import get_async_redis
from gameplatform.modes import Player
from gameplatform.modes.commands import Connect, Forfeit, Input
from gameplatform.rooms import RedisRoomStore, RoomHost, room_store
from gameplatform.rooms.store import Listings


class Drop(Counter):
    """A counter that takes players while it runs, up to 3, and labels itself."""

    name = "drop"
    max_players = 3
    join_in_progress = True

    def label(self, state):
        return {"n": state["n"] // 1000, "map": "line"}


class Busy(Drop):
    """Its label changes at every tick."""

    name = "busy"

    def label(self, state):
        return {"n": state["n"]}


class Scouted(Busy):
    """Its label changes at every tick, and its spectators watch two seconds behind the players."""

    name = "scouted"
    spectators = "everyone"
    spectator_delay = 2.0


class Wide(Drop):
    name = "wide"
    max_players = 4


class Broken(Drop):
    name = "broken"

    def label(self, state):
        return {"bad key": object()}


class Seats(Records):
    """``Records`` whose game has ``extra`` players seated after the room was made."""

    def __init__(self, mode, extra=()):
        super().__init__(mode)
        self.extra = list(extra)

    def hooks(self):
        hooks = super().hooks()
        base = hooks.seating

        async def seating(game_id):
            found = await base(game_id)
            found.players = found.players + [Player(**vars(p)) for p in self.extra]
            return found

        hooks.seating = seating
        return hooks


def late(pid=3, seat=2) -> Player:
    return Player(id=pid, username=f"p{pid}", seat=seat, side="left" if seat % 2 == 0 else "right")


def listed(store) -> dict[int, dict]:
    return {room["id"]: room for room in map(json.loads, store.listings())}


@pytest.fixture(params=["redis", "memory"])
def store(request, settings):
    settings.ROOM_LEASE_SECONDS = 1.0
    if request.param == "redis":
        if not settings.REDIS_URL:
            pytest.skip("needs Redis (set REDIS_URL)")
    else:
        settings.REDIS_URL = ""
    return room_store()


@pytest.mark.django_db
async def test_a_running_room_is_listed_by_its_owner_with_its_label_and_leaves_the_list_when_it_ends(store):
    records = Records(Drop())
    host = RoomHost(records.hooks(), store, wire=records.wire(), owner="a")
    try:
        await start_game(host, 40)
        assert await host.list_once() == 1
        await host.out.sent()
        room = listed(store)[40]
        assert room == {
            "id": 40,
            "mode": "drop",
            "phase": "active",
            "players": [{"id": 1, "username": "player1"}, {"id": 2, "username": "player2"}],
            "spectators": 0,
            "label": {"n": 0, "map": "line"},
            "open": True,
            "started_at": room["started_at"],
        }
        assert room["started_at"] > 0
        assert await host.list_once() == 0  # nothing changed: nothing written
        await host.apply(40, Forfeit(1))
        assert listed(store) == {}
        if isinstance(store, RedisRoomStore):
            assert await get_async_redis().keys(f"room:{store.ns}:*") == []  # no listing, no index
    finally:
        await host.stop()


@pytest.mark.django_db
async def test_a_summary_is_written_at_most_once_a_second_however_fast_the_room_ticks(store):
    records = Records(Busy())
    host = RoomHost(records.hooks(), store, wire=records.wire(), owner="a")
    writes = []
    write = store.write

    async def counted(snapshots, journal=None, listings=None, logs=None, **fence):
        if listings is not None:
            writes.append(dict(listings.summaries))
        return await write(snapshots, journal, listings, logs, **fence)

    store.write = counted
    try:
        await start_game(host, 41)
        await asyncio.sleep(2.6)  # 52 ticks at 20 a second
        assert 2 <= len(writes) <= 3 and all(list(batch) == [41] for batch in writes)
        assert listed(store)[41]["phase"] == "active"
    finally:
        await host.stop()


@pytest.mark.django_db
async def test_a_delayed_rooms_label_in_the_match_list_never_tells_more_than_its_spectators_see(store):
    """Anyone reads the match list: the label of a room whose spectators watch ``spectator_delay``
    behind is the one of that delayed view, hidden (``{}``) until the room has one that old."""
    records = Records(Scouted())
    host = RoomHost(records.hooks(), store, wire=records.wire(), owner="a")
    delay = Scouted.spectator_delay
    counts: list[tuple[float, int]] = []  # (when, the room's count): what the players see by then
    labels: list[tuple[float, dict]] = []  # (when, the label the match list shows)
    try:
        opened = time.monotonic()
        await start_game(host, 43)
        room = host.room(43)
        while time.monotonic() < opened + 2 * delay + 0.5:
            now = time.monotonic()
            counts.append((now, room.state["n"]))
            if 43 in listed(store):
                labels.append((now, listed(store)[43]["label"]))
            await asyncio.sleep(0.05)
    finally:
        await host.stop()
    assert labels and labels[-1][1].get("n", 0) > 0  # shown once old enough
    for at, label in labels:
        if at < opened + delay:
            assert label == {}, (at - opened, label)
            continue
        # The players' count ``delay`` ago (the first one read at that moment or after it): the
        # most the spectators can have seen by ``at``.
        seen = next(n for when, n in counts if when >= at - delay)
        assert label.get("n", 0) <= seen, (at - opened, label, seen)


@pytest.mark.django_db
async def test_a_label_that_fails_is_listed_empty_and_the_game_goes_on(store, caplog):
    records = Records(Broken())
    host = RoomHost(records.hooks(), store, wire=records.wire(), owner="a")
    try:
        await start_game(host, 42)
        await host.list_once()
        await host.out.sent()
        assert listed(store)[42]["label"] == {} and not host.room(42).over
        assert "a mode's label failed" in caplog.text
    finally:
        await host.stop()


@requires_redis
@pytest.mark.django_db
async def test_a_lost_lease_drops_its_listing_but_never_the_new_owners(settings):
    settings.ROOM_LEASE_SECONDS = 1.0
    store = room_store()
    records = Records(Drop())
    a = RoomHost(records.hooks(), store, wire=records.wire(), owner="a")
    b = RoomHost(records.hooks(), store, wire=records.wire(), owner="b")
    try:
        await start_game(a, 43)
        await a.list_once()
        await a.out.sent()
        await get_async_redis().delete(f"room:{store.ns}:43:owner")  # a's lease ran out: b took it over
        assert await b.open(43)
        await b.list_once()
        await b.out.sent()
        await a.keep_leases_once()  # a finds its lease gone and lets the room go
        assert 43 not in a.running and listed(store)[43]["players"]
        await store.unlist(43, "a")
        assert 43 in listed(store)
        await store.unlist(43, "b")
        assert listed(store) == {}
    finally:
        await a.stop()
        await b.stop()


@pytest.mark.django_db
async def test_a_player_seated_while_the_game_runs_joins_the_room_and_plays(store):
    records = Records(Drop())
    host = RoomHost(records.hooks(), store, wire=records.wire(), owner="a")
    try:
        await start_game(host, 44)
        assert await host.join(44, late())
        room = host.room(44)
        assert [p.id for p in room.players] == [1, 2, 3] and room.phase == "active"
        assert [p["id"] for p in records.frames_for(1)[-1]["players"]] == [1, 2, 3]
        await host.apply(44, Connect(3))
        await host.apply(44, Input(3, {"step": 5}))
        for _ in range(50):  # a real-time input is taken by the room's next tick
            if room.state["step"] == 5:
                break
            await asyncio.sleep(0.01)
        mine = [json.loads(text) for _, sent in records.published for to, text, *_ in sent.frames if to == 3]
        assert mine[0]["type"] == "game_state" and room.state["step"] == 5  # their input is taken
        await host.list_once()
        await host.out.sent()
        assert [p["id"] for p in listed(store)[44]["players"]] == [1, 2, 3] and not listed(store)[44]["open"]
        assert await host.join(44, late()) is True  # the same seat again changes nothing
        assert len(room.players) == 3
    finally:
        await host.stop()


@requires_redis
@pytest.mark.django_db
async def test_a_room_taken_over_keeps_a_joined_player_and_seats_one_it_never_heard_of(settings):
    settings.ROOM_LEASE_SECONDS = 1.0
    records = Seats(Wide(), extra=[late(3, 2)])
    a = RoomHost(records.hooks(), wire=records.wire(), owner="a")
    b = RoomHost(records.hooks(), wire=records.wire(), owner="b")
    try:
        await start_game(a, 45)
        await a.join(45, late(3, 2))  # journalled
        await a.stop(release=False)  # a dies; the seat of player 4 is taken while nobody runs the room
        records.extra.append(late(4, 3))
        b.watch(45)
        for _ in range(60):
            await b.keep_leases_once()
            if 45 in b.running:
                break
            await asyncio.sleep(0.05)
        assert [p.id for p in b.room(45).players] == [1, 2, 3, 4]
    finally:
        await a.stop()
        await b.stop()


@pytest.mark.django_db
async def test_a_joiner_whose_seat_word_has_not_come_yet_is_seated_from_the_record_when_they_connect(store):
    records = Seats(Drop())
    host = RoomHost(records.hooks(), store, wire=records.wire(), owner="a")
    try:
        await start_game(host, 46)
        records.extra.append(late())  # in the record; the seat signal is still on its way
        await host.apply(46, Connect(3))
        assert [p.id for p in host.room(46).players] == [1, 2, 3]
        mine = [json.loads(text) for _, sent in records.published for to, text, *_ in sent.frames if to == 3]
        assert mine[-1]["type"] == "game_state" and mine[-1]["view"]
    finally:
        await host.stop()


def _summary(game_id: int, *, phase: str = "active", players: int = 2) -> str:
    arena = game_id % 10 == 0
    return json.dumps(
        {
            "id": game_id,
            "mode": "arena" if arena else "tictactoe",
            "phase": phase,
            "players": [{"id": game_id * 10 + i, "username": f"p{game_id}-{i}"} for i in range(players)],
            "spectators": 0,
            "label": {"map": "square", "players": players} if arena else {},
            "open": arena,
            "started_at": 1_700_000_000.5,
        }
    )


@pytest.mark.django_db
async def test_a_thousand_listed_games_read_back_newest_first_each_as_its_owner_last_wrote_it(store):
    from game.selectors import running_rooms

    def ids(**filters) -> list[int]:
        return [room["id"] for room in running_rooms(**filters)]

    everyone = range(1, 1001)
    try:
        await store.write({}, listings=Listings("a", {g: _summary(g) for g in everyone}))
        assert ids() == list(reversed(everyone))
        assert ids(mode="arena", labels={"players": "2"}) == list(range(1000, 0, -10))
        assert len(ids(open_only=False)) == 900
        # Summaries the owner wrote again show as they are now, not as the list last read them.
        await store.write({}, listings=Listings("a", {g: _summary(g, players=3) for g in (10, 20, 999)}))
        await store.unlist(500, "a")
        rooms = {room["id"]: room for room in running_rooms()}
        assert 500 not in rooms and len(rooms) == 999
        assert [len(rooms[g]["players"]) for g in (10, 20, 30, 999, 998)] == [3, 3, 2, 3, 2]
        assert ids(mode="arena", labels={"players": "3"}) == [20, 10]
        assert rooms[1]["started_at"].timestamp() == 1_700_000_000.5
        if isinstance(store, RedisRoomStore):  # a listing gone with its time, its index entry not yet
            await get_async_redis().delete(store.listing_key(7))
            assert 7 not in ids() and len(ids()) == 998
    finally:
        await store.write({}, listings=Listings("a", {g: None for g in everyone}))
