"""The SDK end to end against a real server process: social, lobbies, games, the world, errors."""

import asyncio

import pytest
from gameplatform_client import (
    BadRequest,
    Conflict,
    Forbidden,
    GameClient,
    MessageType,
    NotFound,
    RateLimited,
    SocketClosed,
    Unauthorized,
    ValidationError,
)
from gameplatform_client.errors import ApiError

from .conftest import PASSWORD, new_name

# Holds a route or frame family of the contract to the server: `make test` runs it under daphne too.
pytestmark = pytest.mark.contract

# X (the ``left`` seat) wins on the top row: X 0, O 3, X 1, O 4, X 2.
X_WINS = [0, 3, 1, 4, 2]


async def befriend(alice: GameClient, bob: GameClient) -> None:
    request = await alice.send_friend_request(bob.user_id)
    await bob.accept_friend_request(request["id"])


async def start_game(alice: GameClient, bob: GameClient):
    """Both queue; both open the game socket and say ready; returns (x_room, o_room) by seat."""
    await alice.open_sockets(world=False)
    await bob.open_sockets(world=False)
    room_a, room_b = await asyncio.gather(alice.play(), bob.play())
    assert room_a.game_id == room_b.game_id
    await room_a.ready()
    await room_b.ready()
    state = await room_a.until(lambda s: s["state"] == "active")
    left = next(p["id"] for p in state["players"] if p["side"] == "left")
    return (room_a, room_b) if left == alice.user_id else (room_b, room_a)


async def test_two_clients_befriend_dm_and_chat_in_a_lobby(server, make_client):
    alice, bob = await make_client("alice"), await make_client("bob")
    await alice.open_sockets(world=False)
    await bob.open_sockets(world=False)

    heard = asyncio.get_running_loop().create_future()
    bob.register_handler(MessageType.FRIEND_REQUEST, lambda f: heard.done() or heard.set_result(f))
    request = await alice.send_friend_request(bob.user_id)
    assert (await asyncio.wait_for(heard, 5))["request"]["id"] == request["id"]
    assert [r["id"] for r in await bob.friend_requests()] == [request["id"]]
    accepted = asyncio.ensure_future(alice.notifications.wait_for("friend_accepted"))
    await bob.accept_friend_request(request["id"])
    await accepted
    friends = await alice.list_friends()
    assert [(f["user"]["id"], f["online"]) for f in friends] == [(bob.user_id, True)]

    # A DM by REST reaches bob's notification socket (he is not on the DM socket) ...
    received = asyncio.ensure_future(bob.notifications.wait_for("dm_received"))
    sent = await alice.send_dm(bob.user_id, "hi bob")
    assert (await received)["message_id"] == sent["id"]
    # ... and on the DM sockets both sides see every message.
    alice_dm, bob_dm = await alice.open_dm(bob.user_id), await bob.open_dm(alice.user_id)
    incoming = asyncio.ensure_future(alice_dm.wait_for("dm_message"))
    frame = await bob_dm.send_message("hi alice")
    assert frame.message["content"] == "hi alice" and frame.source == f"dm:{alice.user_id}"
    assert (await incoming).message["id"] == frame.message["id"]
    assert [m["content"] for m in await alice.dm_history(bob.user_id)] == ["hi bob", "hi alice"]

    owner = await make_client(login="premium_user_1")
    lobby = await owner.create_lobby(new_name("lobby"), max_participants=4)
    room_a, room_b = await alice.join_lobby(lobby["id"]), await bob.join_lobby(lobby["id"])
    assert room_a.lobby["id"] == lobby["id"] and alice.user_id in room_b.online_user_ids
    typing = asyncio.ensure_future(room_b.wait_for("typing_start"))
    await room_a.typing()
    assert (await typing)["user_id"] == alice.user_id
    said = asyncio.ensure_future(room_b.wait_for("chat_message"))
    mine = await room_a.chat("hello lobby", wait=True)
    assert (await said).message["id"] == mine.message["id"]
    history = await alice.lobby_history(lobby["id"])
    assert [m["content"] for m in history["results"]] == ["hello lobby"]
    await alice.leave_lobby(lobby["id"])
    assert alice.socket(f"lobby:{lobby['id']}") is None


async def test_queue_and_play_tictactoe_to_a_win(server, make_client):
    alice, bob = await make_client("alice"), await make_client("bob")
    x_room, o_room = await start_game(alice, bob)
    with pytest.raises(BadRequest) as refused:
        await o_room.move(cell=4)  # X moves first
    assert refused.value.code == "not_your_turn" and refused.value.status is None
    for n, cell in enumerate(X_WINS):
        mover = (x_room, o_room)[n % 2]
        state = await mover.move(cell=cell)
        assert state["board"][cell] is not None
    over = await o_room.next("game_over")
    x_id = x_room.client.user_id
    assert (over["winner_id"], over["reason"]) == (x_id, "win")
    assert (await alice.get_game(x_room.game_id))["winner_id"] == x_id


async def test_until_my_turn_waits_until_every_player_is_ready(server, make_client):
    alice, bob = await make_client("alice"), await make_client("bob")
    await alice.open_sockets(world=False)
    await bob.open_sockets(world=False)
    room_a, room_b = await asyncio.gather(alice.play(), bob.play())
    x_room, o_room = (room_a, room_b) if room_a.state["players"][0]["id"] == alice.user_id else (room_b, room_a)
    await x_room.ready()
    waiting = asyncio.ensure_future(x_room.until_my_turn())
    await asyncio.sleep(0.3)
    assert not waiting.done()  # O is not ready: the game has not started, a move would be refused
    await o_room.ready()
    assert (await waiting)["state"] == "active"
    assert (await x_room.move(cell=4))["board"][4] is not None
    await x_room.resign()
    assert (await o_room.until_over())["winner_id"] == o_room.client.user_id


async def test_play_joins_the_queue_again_when_the_queue_lost_me_and_returns_the_match_everyone_came_to(
    server, make_client
):
    """The server drops a queued player it has not heard of for a few seconds (a socket dropped too
    long, or, as here, a leave from elsewhere): ``play()`` asks the queue's status every 3 s while it
    waits and joins again."""
    alice, bob = await make_client("alice"), await make_client("bob")
    alice_plays = asyncio.ensure_future(alice.play("battleship", timeout=20))
    for _ in range(50):
        if (await alice.queue_status())["status"] == "queued":
            break
        await asyncio.sleep(0.1)
    assert (await alice.post("/api/matchmaking/leave/"))["status"] == "left"  # the queue lost her; play() does not know
    for _ in range(50):
        if (await alice.queue_status())["status"] == "queued":
            break
        await asyncio.sleep(0.1)
    assert (await alice.queue_status())["status"] == "queued", "play() did not join again"
    bob_room = await bob.play("battleship", timeout=20)
    alice_room = await alice_plays
    assert alice_room.game_id == bob_room.game_id and alice_room.phase == "waiting_for_ready"
    await alice_room.forfeit()
    await alice_room.forfeit()


async def test_play_that_finds_no_match_in_its_time_leaves_the_queue(server, make_client):
    """A client that gave up looking is out of the queue: nobody is matched with it afterwards."""
    carol = await make_client("carol")
    with pytest.raises(TimeoutError):
        await carol.play("relay", timeout=1.5)
    assert (await carol.queue_status())["status"] == "idle"


async def test_world_select_character_move_and_chat(server, make_client):
    alice, bob = await make_client("alice"), await make_client("bob")
    factions = await alice.get_factions()
    for client in (alice, bob):
        character = await client.create_character(new_name("c")[-20:].replace("_", "x"), factions[0]["id"])
        await client.select_character(character["id"])
    assert alice.world.character["name"] and alice.world.location["id"] == bob.world.location["id"]
    home = alice.world.location["id"]
    assert bob.world.character["id"] in {c["character_id"] for c in await alice.get_nearby_players(home)}

    chat = asyncio.ensure_future(bob.world.wait_for("chat", where=lambda f: f.message == "hello world"))
    await alice.send_chat("hello world")
    assert (await chat).sender["character_id"] == alice.world.character["id"]

    positions = asyncio.ensure_future(bob.world.wait_for("position_update"))
    await alice.send_position_update({"x": 1.0, "y": 2.0, "z": 0.0}, {"x": 0.5, "y": 0.0, "z": 0.0})
    assert (await positions)["position"]["x"] == 1.0

    left = asyncio.ensure_future(bob.world.wait_for("location_update"))
    target = alice.world.location["neighbours"][0]
    moved = await alice.send_move(target)
    assert (moved["from_location_id"], moved["to_location_id"]) == (home, target)
    assert (await alice.world.next("nearby"))["location_id"] == target  # the mover's new neighbours
    assert (await left)["character_id"] == alice.world.character["id"]
    assert alice.world.character["location_id"] == target
    assert alice.world.character["id"] not in bob.world.nearby
    state = await alice.get_world_state()
    assert "current_reality" in state and state["online_characters"] >= 2


async def test_errors_surface_as_typed_exceptions(server, make_client):
    anonymous = GameClient(server.http)
    try:
        with pytest.raises(Unauthorized) as bad_login:
            await anonymous.login("user_2", "wrong password")
        assert bad_login.value.status == 401 and bad_login.value.code
        with pytest.raises(ValidationError) as invalid:
            await anonymous.register(new_name("v"), PASSWORD + "x", email="not-an-email")
        assert "email" in invalid.value.fields
    finally:
        await anonymous.disconnect()

    alice = await make_client("alice")
    with pytest.raises(Forbidden) as premium:
        await alice.create_lobby("mine")
    assert premium.value.code == "premium_required"
    with pytest.raises(NotFound) as missing:
        await alice.join_lobby(10**9)
    assert missing.value.code == "lobby_not_found"
    with pytest.raises(NotFound) as not_queued:
        await alice.leave_queue()
    assert not_queued.value.code == "not_queued"
    with pytest.raises(Conflict):
        await alice.send_friend_request((await alice.search_users("user_1"))[0]["id"])
        await alice.send_friend_request((await alice.search_users("user_1"))[0]["id"])

    # REST and socket rate limits are the same exception, with the time to wait.
    lobby = (await alice.list_lobbies(search="Premium Tournament"))[0]
    room = await alice.join_lobby(lobby["id"])
    with pytest.raises(RateLimited) as limited:
        for n in range(4):
            await alice.post_lobby_message(lobby["id"], f"message {n}")
    assert limited.value.status == 429 and limited.value.retry_after > 0
    with pytest.raises(RateLimited) as limited_frame:
        await room.chat("one more", wait=True)
    assert limited_frame.value.status is None and limited_frame.value.retry_after > 0

    # A socket the server refuses raises its close code; an unclaimed error frame is an event.
    with pytest.raises(SocketClosed) as refused:
        await alice.join_game(1)  # a demo game between other users
    assert refused.value.code == 4403
    errors = []
    alice.register_handler("error", errors.append)
    await room.send({"type": "no_such_frame"})
    await room.ping()  # frames come in order: the error was handled before the pong
    assert [(e.code, e.source) for e in errors] == [("unknown_type", f"lobby:{lobby['id']}")]
    assert isinstance(errors[0].exception(), ApiError)


async def test_access_token_is_refreshed_before_it_expires(server, make_client):
    alice = await make_client("alice")
    first_access, first_refresh = alice.access_token, alice.refresh_token
    await alice.me()
    assert alice.access_token == first_access  # 30 minutes left: nothing to do
    # Ten seconds before ``exp`` (the clock moved on): the next call refreshes first.
    alice.clock = lambda: alice.access_expires_at - 10
    await alice.open_sockets(world=False)  # the ticket call refreshes, then the socket opens
    assert alice.access_token != first_access and alice.refresh_token != first_refresh
    assert alice.access_expires_at > 0
    stale = GameClient(server.http).use_tokens(first_access, first_refresh)
    try:
        with pytest.raises(Unauthorized):
            await stale.refresh_tokens()  # the rotated-out refresh token is dead
    finally:
        await stale.disconnect()
    # Concurrent calls share one refresh (a second would use a dead refresh token).
    second_access = alice.access_token
    alice.clock = lambda: alice.access_expires_at - 10 if alice.access_token == second_access else 0
    await asyncio.gather(*(alice.me() for _ in range(5)))
    assert alice.access_token != second_access
