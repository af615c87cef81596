"""Spectators: a game watched live or with a delay, through the spectators' own view.

The room makes one view a step for all of a game's spectators (``Mode.spectator_view``) and
sends it, with the frames every player gets, to the game's ``watch`` group: never a player's own
frames, and with ``spectator_delay`` never sooner than that many seconds after the players.
"""

import asyncio
import random
import time

import pytest

from conftest import closed_with, receive_type, requires_redis
from game import registry
from game.modes.builtin.arena import Arena
from game.modes.builtin.battleship import Battleship
from game.modes.builtin.relay import Relay
from game.modes.builtin.tictactoe import TicTacToe
from game.tests.conftest import play
from game.tests.test_room_host import Records, start_game
from gameplatform.modes import patch
from gameplatform.modes.commands import Input
from gameplatform.modes.testing import SPECTATOR, ModeTester
from gameplatform.rooms import RoomHost, Wire
from gameplatform.testhelpers import eventually


def _ships_in(value) -> list[dict]:
    """Every ship (``{x, y, length, horizontal}``) anywhere in ``value``."""
    if isinstance(value, dict):
        found = [value] if {"x", "y", "length", "horizontal"} <= value.keys() else []
        return found + [ship for item in value.values() for ship in _ships_in(item)]
    if isinstance(value, list):
        return [ship for item in value for ship in _ships_in(item)]
    return []


def _sunk(game: ModeTester) -> list[dict]:
    """The ships sunk by the end: the only ones whose place is not a player's secret."""
    state, sunk = game.state, []
    for shooter, indices in state["sunk"].items():
        other = next(pid for pid in state["ships"] if pid != shooter)
        sunk += [{k: state["ships"][other][i][k] for k in ("x", "y", "length", "horizontal")} for i in indices]
    return sunk


@pytest.mark.parametrize("seed", range(20))
def test_no_spectator_frame_of_a_battleship_game_ever_shows_a_ship_before_it_is_sunk(seed):
    rng = random.Random(seed)
    game = ModeTester(Battleship(), seed=seed)
    game.start()
    game.watch()
    cells = {pid: [(x, y) for x in range(10) for y in range(10)] for pid in game.ids}
    for pid in cells:
        rng.shuffle(cells[pid])
    while game.result is None:
        x, y = cells[game.turn].pop()
        game.move(game.turn, {"x": x, "y": y})  # the spectator's patches are checked after each step
    assert '"mine"' not in game.seen_text(SPECTATOR) and '"ships"' not in game.seen_text(SPECTATOR)
    sunk = _sunk(game)
    for ship in _ships_in(game.frames(SPECTATOR)):
        assert {k: ship[k] for k in ("x", "y", "length", "horizontal")} in sunk, ship
    assert game.frames(SPECTATOR, "game_over")  # the end reached them too


def test_a_spectator_of_a_shared_view_game_sees_what_the_players_see():
    game = ModeTester(TicTacToe())
    game.start()
    game.move(game.turn, {"cell": 4})
    game.watch()
    game.move(game.turn, {"cell": 0})
    assert game.view(SPECTATOR) == game.view(1) == game.view(2)
    assert [f["type"] for f in game.frames(SPECTATOR)][:1] == ["game_state"]


class Nobody(Relay):
    name = "nobodywatches"
    spectators = "nobody"


@pytest.fixture
def unwatchable(settings):
    settings.GAME_MODES = [*settings.GAME_MODES, "game.tests.test_spectators.Nobody"]
    registry.modes.cache_clear()
    yield
    registry.modes.cache_clear()


@pytest.mark.django_db(transaction=True)
async def test_anyone_signed_in_watches_a_game_through_the_spectators_view_and_sends_no_game_frame(
    make_game, alice, bob, carol, start_game, ws_connect
):
    from asgiref.sync import sync_to_async

    game = await sync_to_async(make_game)(alice, bob, mode="battleship")
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    ws_c, connected, code = await ws_connect(f"/ws/game/{game.pk}/", carol, query="watch=1")
    assert connected, code
    state = await receive_type(ws_c, "game_state")
    assert state["state"] == "active" and set(state["view"]["players"]) == {str(alice.pk), str(bob.pk)}
    view = state["view"]
    await ws_a.send_json_to({"type": "player_move", "movement": {"x": 0, "y": 0}})
    patch_frame = await receive_type(ws_c, "state_patch")
    view = patch.apply(view, patch_frame["ops"])
    assert view["players"][str(alice.pk)]["shots"][0]["x"] == 0
    assert "ships" not in str(view) and "mine" not in view
    await ws_c.send_json_to({"type": "player_move", "movement": {"x": 1, "y": 1}, "ref": "c1"})
    error = await receive_type(ws_c, "error")
    assert error["code"] == "not_a_player" and error["ref"] == "c1"


@pytest.mark.django_db(transaction=True)
async def test_a_game_of_a_mode_nobody_watches_refuses_a_spectator_4403(
    make_game, alice, bob, carol, ws_connect, unwatchable
):
    from asgiref.sync import sync_to_async

    game = await sync_to_async(make_game)(alice, bob, mode="nobodywatches")
    ws_c, connected, code = await ws_connect(f"/ws/game/{game.pk}/", carol, query="watch=1")
    assert await closed_with(ws_c) == 4403


class Delayed(Arena):
    name = "delayedarena"
    spectator_delay = 0.4


@requires_redis
@pytest.mark.django_db
async def test_a_delayed_spectator_never_gets_a_tick_sooner_than_the_delay_after_the_players(settings):
    settings.ROOM_LEASE_SECONDS = 1.0
    records = Records(Delayed())
    watched: list[tuple[float, object]] = []
    reached: dict[int, float] = {}  # tick -> when the players' patch of it went out

    async def publish_watchers(game_id, delivery):
        watched.append((time.monotonic(), delivery))

    publish = records.wire().publish

    async def players(game_id, delivery):
        for _, text, *_ in delivery.frames:
            if text.startswith('{"type":"state_patch","tick":'):
                reached.setdefault(int(text.split('"tick":')[1].split(",")[0]), time.monotonic())
        await publish(game_id, delivery)

    host = RoomHost(records.hooks(), wire=Wire(publish=players, publish_watchers=publish_watchers), owner="a")
    try:
        await start_game(host, 77)
        assert await host.spectate(77, "watcher-1", True)
        await host.apply(77, Input(1, {"dx": 0.3, "dy": 0.0}))  # player 1 runs: every tick changes the view
        await asyncio.sleep(1.5)
        first = [d for _, d in watched if d.conn == "watcher-1"]
        assert first and first[0].frames[0][1].startswith('{"type":"game_state"')
        ticks = 0
        for at, delivery in watched:
            for _, text, *_ in delivery.frames:
                if text.startswith('{"type":"state_patch","tick":'):
                    tick = int(text.split('"tick":')[1].split(",")[0])
                    # The delay runs from the step; both deliveries then wait for a store write
                    # (a few ms, more on a busy machine), which the players' may take longer for.
                    assert at - reached[tick] >= Delayed.spectator_delay - 0.05, (tick, at - reached[tick])
                    ticks += 1
        assert ticks >= 10
        await host.spectate(77, "watcher-1", False)
        # Nobody watches, and once what was on its way is out, nothing is kept.
        await eventually(lambda: 77 not in host.spectators, timeout=Delayed.spectator_delay + 5, what="nothing kept")
    finally:
        await host.stop()


@pytest.mark.django_db(transaction=True)
async def test_a_spectator_who_leaves_while_a_frame_is_on_its_way_gets_nothing_after_and_leaves_no_trace(
    make_game, alice, bob, carol, start_game, ws_connect
):
    from asgiref.sync import sync_to_async

    from game.rooms import get_room_host
    from gameplatform.broadcast.groups import watch_group
    from gameplatform.broadcast.hub import get_hub
    from gameplatform.modes.room import SPECTATORS
    from gameplatform.rooms.wire import SIGNAL, Delivery

    game = await sync_to_async(make_game)(alice, bob)  # tic-tac-toe: no clock, nothing sent unasked
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    ws_c, connected, code = await ws_connect(f"/ws/game/{game.pk}/", carol, query="watch=1")
    assert connected, code
    await receive_type(ws_c, "game_state")
    host = get_room_host()
    assert host.room(game.pk).watched and len(host.spectators[game.pk].conns) == 1
    # A delivery to the spectators took its list of sockets (the hub's copy) just before this one left.
    on_its_way = tuple(get_hub().members[watch_group(game.pk)])
    await ws_c.disconnect()
    frame = '{"type":"state_patch","tick":999,"ops":[],"turn":null,"turn_deadline":null}'
    delivery = Delivery(((SPECTATORS, frame),), watchers=True)
    for socket in on_its_way:  # what the hub then does for each socket of its copy
        await socket.hub_deliver({"group": watch_group(game.pk), "signal": SIGNAL, "data": delivery.as_signal()})
    assert await ws_c.receive_nothing()
    assert game.pk not in host.spectators  # the room keeps nobody's socket
    assert not host.room(game.pk).watched  # and makes no spectators' view any more
    assert watch_group(game.pk) not in get_hub().members
    for ws in (ws_a, ws_b):
        await ws.disconnect()


@requires_redis
@pytest.mark.django_db
async def test_a_ticks_patch_reaches_the_players_before_the_spectators_however_many_watch(settings):
    settings.ROOM_LEASE_SECONDS = 1.0
    records = Records(Arena())
    heard: list[tuple[str, int]] = []  # (who, tick) in the order the host published them

    def ticks(delivery) -> list[int]:
        return [int(t.split('"tick":')[1].split(",")[0]) for _, t in delivery.frames if '"state_patch"' in t]

    async def players(game_id, delivery):
        heard.extend(("players", tick) for tick in ticks(delivery))

    async def spectators(game_id, delivery):
        heard.extend(("spectators", tick) for tick in ticks(delivery))

    host = RoomHost(records.hooks(), wire=Wire(publish=players, publish_watchers=spectators), owner="a")
    try:
        await start_game(host, 78)
        for n in range(50):
            assert await host.spectate(78, f"watcher-{n}", True)
        await host.apply(78, Input(1, {"dx": 1.0, "dy": 0.2}))  # every tick changes the view
        await asyncio.sleep(0.6)
    finally:
        await host.stop()
    firsts = {}
    for who, tick in heard:
        firsts.setdefault(tick, who)
    assert len(firsts) >= 5 and set(firsts.values()) == {"players"}, heard
    assert {tick for who, tick in heard if who == "spectators"} == set(firsts)  # and the spectators got each one


@pytest.mark.django_db(transaction=True)
async def test_a_spectator_socket_says_it_still_watches_and_the_room_forgets_one_never_heard_from_again(
    make_game, alice, bob, carol, start_game, ws_connect, monkeypatch
):
    """A spectator on a process that dies sends no ``unwatch``: the room would count it (the match
    list's ``spectators``) and make spectators' frames for it for good. Live sockets renew their
    watch every ``WATCH_RENEW_SECONDS``; the listing pass forgets a socket silent for
    ``SPECTATOR_TTL_SECONDS`` and the renewal task ends with its socket."""
    from asgiref.sync import sync_to_async

    from game import consumers
    from game.rooms import get_room_host
    from gameplatform.rooms import host as host_module

    monkeypatch.setattr(consumers, "WATCH_RENEW_SECONDS", 0.1)
    game = await sync_to_async(make_game)(alice, bob)
    await start_game(game.pk, alice, bob)
    ws_c, connected, code = await ws_connect(f"/ws/game/{game.pk}/", carol, query="watch=1")
    assert connected, code
    await receive_type(ws_c, "game_state")
    host = get_room_host()
    ((conn, first),) = host.spectators[game.pk].conns.items()
    await eventually(lambda: host.spectators[game.pk].conns[conn] > first, timeout=5, what="the watch renewed")
    # A socket of a process that died: watched once, never heard from again.
    await host.spectate(game.pk, "dead-process-conn", True)
    assert json_of(host.summary(game.pk, host.running[game.pk]))["spectators"] == 2
    later = time.monotonic() + host_module.SPECTATOR_TTL_SECONDS + 1
    host.spectators[game.pk].conns[conn] = later  # the live one keeps renewing meanwhile
    assert host.forget_silent_spectators(now=later) == 1
    assert list(host.spectators[game.pk].conns) == [conn]
    assert json_of(host.summary(game.pk, host.running[game.pk]))["spectators"] == 1
    # A renewal the room does not know (it forgot, or it was taken over) is taken as a new watch.
    await host.spectate(game.pk, "dead-process-conn", True, renew=True)
    assert len(host.spectators[game.pk].conns) == 2
    socket = next(iter(get_hub_members(game.pk)))
    renewing = socket._renewing
    await ws_c.disconnect()
    await asyncio.sleep(0)
    assert renewing.done() and socket._renewing is None  # nothing of the socket keeps running


def json_of(text: str) -> dict:
    import json

    return json.loads(text)


def get_hub_members(game_id: int):
    from gameplatform.broadcast.groups import watch_group
    from gameplatform.broadcast.hub import get_hub

    return get_hub().members[watch_group(game_id)]


@pytest.mark.django_db(transaction=True)
async def test_a_spectator_who_comes_before_the_players_gets_the_state_at_once_and_the_end_and_is_counted(
    make_game, alice, bob, carol, start_game, ws_connect
):
    """A spectator opens ``?watch=1`` before any player's socket: no room runs the game yet. They
    get the waiting game's ``game_state`` within a moment (not at their first renewal 20 s later),
    are counted in the match list from then on, and get every change and the game's end."""
    from asgiref.sync import sync_to_async

    from game.rooms import get_room_host

    game = await sync_to_async(make_game)(alice, bob)
    ws_c, connected, code = await ws_connect(f"/ws/game/{game.pk}/", carol, query="watch=1")
    assert connected, code
    waiting = await receive_type(ws_c, "game_state", timeout=4)
    assert waiting["state"] == "waiting_for_players"
    host = get_room_host()
    assert json_of(host.summary(game.pk, host.running[game.pk]))["spectators"] == 1
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    while (state := await receive_type(ws_c, "game_state"))["state"] != "active":
        pass
    sockets = {alice.pk: ws_a, bob.pk: ws_b}
    x = sockets[state["turn"]]
    o = ws_b if x is ws_a else ws_a
    for mover, other, cell in ((x, o, 0), (o, x, 3), (x, o, 1), (o, x, 4), (x, o, 2)):
        await play(mover, other, cell)
    over = await receive_type(ws_c, "game_over")
    assert over["reason"] == "win" and over["winner_id"] == state["turn"]
    for ws in (ws_a, ws_b):
        await ws.disconnect()
