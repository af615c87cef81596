"""One standard for every socket route, held by the kit's ``BaseConsumer``.

Every route of the real routing (``collect_websocket_urlpatterns``) has a row below saying how
to open it as a user who may; each test runs on every row: a flood closes 1008, a frame over
``WS_MAX_FRAME_BYTES`` closes 1009, ``ping`` is answered ``pong``, an unknown frame type gets
``error`` ``unknown_type``, and a client that asks for the ``gameplatform.msgpack`` subprotocol gets
every frame in MessagePack. A route without a row fails here, so a new route cannot skip the
standard. The world socket's row holds only the kit's part (its own frames are tested in world/).
"""

import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import msgpack
import pytest
from channels.db import database_sync_to_async
from django.conf import settings

from conftest import receive_type
from gameplatform.data.ratelimit import FrameBudget
from gameplatform.sockets.routing import collect_websocket_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)


# --- how each route is opened ------------------------------------------------------------------
# Each setup builds the socket's subject with the real services and returns (path, user).


def lobby_member(make_user, *, by_name: bool = False):
    from chat.lobbies.factories import make_lobby

    owner, member = make_user(premium=True), make_user()
    lobby = make_lobby(owner=owner, members=[member], name="standard")
    return (f"/ws/chat/lobby/{lobby.name}/" if by_name else f"/ws/lobbies/{lobby.pk}/"), member


def dm_friend(make_user, *, seed_path: bool = False):
    from friends.services import friendship_create

    user, friend = make_user(), make_user()
    friendship_create(user_a=user, user_b=friend)
    return (f"/ws/chat/{friend.pk}/" if seed_path else f"/ws/dm/{friend.pk}/"), user


def group_member(make_user):
    from groups.factories import make_group

    member = make_user()
    group = make_group(creator=make_user(), members=[member], name="standard")
    return f"/ws/groups/{group.pk}/", member


def any_user(path: str):
    def setup(make_user):
        return path, make_user()

    return setup


def game_player(make_user):
    from game.services import game_create

    user = make_user()
    game = game_create(mode="tictactoe", players=[user, make_user()])
    return f"/ws/game/{game.pk}/", user


def battle_participant(make_user):
    from progression.models import EnemyTemplate
    from progression.services import battle_create, battle_join, player_ensure

    user = make_user()
    battle = battle_create(enemy=EnemyTemplate.objects.create(name="Standard ogre", max_hp=1000, stamina_cost=5))
    player_ensure(user_id=user.pk)
    battle_join(user=user, battle_id=battle.pk)
    return f"/ws/battle/{battle.pk}/", user


def world_character(path: str):
    def setup(make_user):
        from world import demo, services
        from world.models import Faction

        demo.seed(users={}, stdout=io.StringIO())
        user = make_user()
        services.character_create(user=user, name="Standard", faction=Faction.objects.get(name="Crimson Covenant"))
        return path, user

    return setup


@dataclass(frozen=True)
class Route:
    setup: Callable | None  # None: the route opens for nobody
    opening: str | None = None  # the frame the socket sends first, if any
    own_frames: bool = True  # the route's frame handling is held here too (unknown_type)


# Keyed by the route's pattern as the routing declares it.
ROUTES = {
    "ws/lobbies/<id:lobby_id>/": Route(lobby_member, "lobby_state"),
    "ws/chat/lobby/<str:lobby_name>/": Route(lambda make_user: lobby_member(make_user, by_name=True), "lobby_state"),
    "ws/dm/<id:user_id>/": Route(dm_friend),
    "ws/chat/<id:user_id>/": Route(lambda make_user: dm_friend(make_user, seed_path=True)),
    "ws/groups/<id:group_id>/": Route(group_member, "group_state"),
    "ws/notifications/": Route(any_user("/ws/notifications/"), "badge"),
    "ws/friends/status/": Route(any_user("/ws/friends/status/"), "presence_snapshot"),
    "ws/game/<id:game_id>/": Route(game_player, "game_state"),
    "ws/battle/<id:battle_id>/": Route(battle_participant, "connected"),
    # The world's own frames change elsewhere; here, the part that comes from the kit.
    "ws/world/": Route(world_character("/ws/world/"), "welcome", own_frames=False),
    "ws/": Route(world_character("/ws/"), "welcome", own_frames=False),
    # Any other /ws/ path: closed 4404 before a frame can be sent.
    "^": Route(None),
}


def routing_patterns() -> list[str]:
    return [str(pattern.pattern) for pattern in collect_websocket_urlpatterns()]


def route_of(pattern: str) -> Route:
    if pattern not in ROUTES:
        pytest.fail(f"the socket route {pattern!r} has no row in ROUTES: say how to open it for the standard")
    return ROUTES[pattern]


every_route = pytest.mark.parametrize("pattern", routing_patterns())


async def open_route(ws_connect, make_user, pattern: str):
    """The route opened by a user who may, its opening frame read; None for the catch-all."""
    route = route_of(pattern)
    if route.setup is None:
        ws, connected, _ = await ws_connect("/ws/no-such-route/", await database_sync_to_async(make_user)())
        assert connected
        assert (await ws.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4404}
        return None, route
    path, user = await database_sync_to_async(route.setup)(make_user)
    ws, connected, code = await ws_connect(path, user)
    assert connected, code
    if route.opening is not None:
        await receive_type(ws, route.opening)
    return ws, route


async def frames_until_close(ws, timeout: float = 5) -> tuple[int, list[dict]]:
    frames = []
    while True:
        message = await ws.receive_output(timeout=timeout)
        if message["type"] == "websocket.close":
            return message.get("code"), frames
        frames.append(json.loads(message["text"]))


def test_the_table_names_no_route_the_routing_does_not_have():
    assert set(ROUTES) <= set(routing_patterns())


# Opens every route's socket within a 5 s bound: on a loaded machine (the side-by-side run) a game
# socket's handshake missed it twice; `make test` runs it alone.
@pytest.mark.serial
@every_route
async def test_a_flood_of_any_frames_closes_1008(ws_connect, make_user, settings, pattern):
    # A window far longer than the test: the budget cannot refill while the burst is sent.
    settings.WS_FLOOD_FRAMES, settings.WS_FLOOD_WINDOW_SECONDS = 20, 600.0
    ws, _ = await open_route(ws_connect, make_user, pattern)
    if ws is None:
        return
    # Every frame counts: pings, frames that are not JSON, types nobody handles.
    burst = ['{"type": "ping"}', "not json", '{"type": "no_such_frame"}'] * 10
    for raw in burst:
        await ws.send_to(text_data=raw)
    code, frames = await frames_until_close(ws)
    assert code == 1008
    assert frames[-1]["type"] == "error" and frames[-1]["code"] == "flooding"
    answered = [f for f in frames if f["type"] == "pong" or (f["type"] == "error" and f["code"] != "flooding")]
    assert len(answered) <= 20


@every_route
async def test_a_frame_over_the_size_limit_says_frame_too_large_then_closes_1009(ws_connect, make_user, pattern):
    ws, _ = await open_route(ws_connect, make_user, pattern)
    if ws is None:
        return
    await ws.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * settings.WS_MAX_FRAME_BYTES}))
    code, frames = await frames_until_close(ws)
    assert code == 1009
    assert all(f["type"] != "pong" for f in frames)
    assert frames[-1]["type"] == "error" and frames[-1]["code"] == "frame_too_large"


@every_route
async def test_ping_is_answered_pong(ws_connect, make_user, pattern):
    ws, _ = await open_route(ws_connect, make_user, pattern)
    if ws is None:
        return
    await ws.send_json_to({"type": "ping", "ref": "p1"})
    assert await receive_type(ws, "pong") == {"type": "pong", "ref": "p1"}
    await ws.disconnect()


@every_route
async def test_an_unknown_frame_type_is_answered_unknown_type(ws_connect, make_user, pattern):
    ws, route = await open_route(ws_connect, make_user, pattern)
    if ws is None:
        return
    if not route.own_frames:
        await ws.disconnect()
        pytest.skip("the route's own frames are tested with its app")
    await ws.send_json_to({"type": "no_such_frame", "ref": "u1"})
    error = await receive_type(ws, "error")
    assert (error["code"], error["ref"]) == ("unknown_type", "u1")
    await ws.disconnect()


@every_route
async def test_every_route_speaks_messagepack_to_a_client_that_asks(ws_connect, make_user, pattern):
    route = route_of(pattern)
    if route.setup is None:
        return
    path, user = await database_sync_to_async(route.setup)(make_user)
    ws, connected, chosen = await ws_connect(path, user, subprotocols=["gameplatform.msgpack"])
    assert connected and chosen == "gameplatform.msgpack"
    await ws.send_to(bytes_data=msgpack.packb({"type": "ping", "ref": "m1"}))
    seen = []
    while not seen or seen[-1].get("type") != "pong":
        message = await ws.receive_output(timeout=3)
        assert message["type"] == "websocket.send" and message.get("text") is None, message
        seen.append(msgpack.unpackb(message["bytes"]))  # every frame binary, the opening one too
    assert seen[-1] == {"type": "pong", "ref": "m1"}
    if route.opening is not None:
        assert seen[0]["type"] == route.opening
    await ws.disconnect()


# --- the defaults: floods close, legitimate clients never do --------------------------------------


async def test_300_pings_on_the_notification_socket_close_it_1008(ws_connect, alice):
    ws, connected, _ = await ws_connect("/ws/notifications/", alice)
    assert connected
    await receive_type(ws, "badge")
    for _ in range(300):
        await ws.send_json_to({"type": "ping"})
    code, frames = await frames_until_close(ws)
    assert code == 1008 and frames[-1]["code"] == "flooding"
    assert sum(f["type"] == "pong" for f in frames) < 300


async def test_a_flooded_dm_socket_closes_1008(ws_connect, alice, bob, befriend):
    await database_sync_to_async(befriend)(alice, bob)
    ws, connected, _ = await ws_connect(f"/ws/dm/{bob.pk}/", alice)
    assert connected
    for n in range(40):
        await ws.send_json_to({"type": "dm_message", "content": f"spam {n}", "ref": n})
    code, frames = await frames_until_close(ws)
    assert code == 1008
    errors = [f["code"] for f in frames if f["type"] == "error"]
    # Refused past the DM rate, then closed once the refusals go past the flood rule's number.
    assert errors == ["rate_limited"] * settings.WS_FLOOD_REFUSALS + ["flooding"]


def test_the_fastest_legitimate_senders_never_run_out_of_the_default_frame_budget():
    """A relay game's 60 frames/s (each up to 4 ms early or late), world positions at 20/s and a
    ping every 25 s, all on one socket for an hour: never refused. 300 frames at once are."""
    hour = 3600
    game = [n / 60 + (0.004 if n % 2 else -0.004) for n in range(1, 60 * hour)]
    positions = [n / 20 for n in range(1, 20 * hour)]
    pings = [n * 25.0 for n in range(1, hour // 25)]
    budget = FrameBudget(settings.WS_FLOOD_FRAMES, settings.WS_FLOOD_WINDOW_SECONDS, now=0.0)
    refused = [at for at in sorted(game + positions + pings) if not budget.spend(at)]
    assert refused == []
    start = time.monotonic()
    flood = FrameBudget(settings.WS_FLOOD_FRAMES, settings.WS_FLOOD_WINDOW_SECONDS, now=start)
    assert not all([flood.spend(start + n * 0.001) for n in range(300)])
