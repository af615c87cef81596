"""Dropped sockets: reconnection, the events the application hears, and what a gap costs.

Each test drops a socket the way a network failure does (the TCP connection aborted, no close
handshake), makes the other side act during the gap, then lets the socket reconnect
(``PAUSED`` clients wait for ``reconnect_now()``, so the gap is certain) and checks what was
caught up (``frame.replayed``) and what was lost.
"""

import asyncio
import signal
import statistics
import subprocess
import sys
import time

from gameplatform_client import Disconnected, GameClient, Reconnected, ReconnectPolicy

from gameplatform.tests.live import ROOT

from .conftest import new_name
from .test_sdk_live import befriend, start_game

PAUSED = ReconnectPolicy(initial=60.0, max_delay=60.0, jitter=0.0)


def events_of(client: GameClient) -> list:
    seen: list = []
    client.register_handler("disconnected", seen.append)
    client.register_handler("reconnected", seen.append)
    return seen


async def reconnect(socket, seen: list, timeout: float = 10.0) -> Reconnected:
    """Let a paused socket reconnect; its ``Reconnected`` event."""
    socket.reconnect_now()
    deadline = time.monotonic() + timeout
    while not any(isinstance(e, Reconnected) and e.source == socket.name for e in seen):
        assert time.monotonic() < deadline, f"{socket.name} did not reconnect"
        await asyncio.sleep(0.02)
    return next(e for e in seen if isinstance(e, Reconnected) and e.source == socket.name)


async def dropped(socket, seen: list) -> Disconnected:
    socket.drop()
    deadline = time.monotonic() + 5
    while not any(isinstance(e, Disconnected) and e.source == socket.name for e in seen):
        assert time.monotonic() < deadline, f"{socket.name} did not notice the drop"
        await asyncio.sleep(0.01)
    return next(e for e in seen if isinstance(e, Disconnected) and e.source == socket.name)


async def test_socket_killed_mid_game_reconnects_and_finishes_the_game(server, make_client):
    alice, bob = await make_client("alice", reconnect=PAUSED), await make_client("bob", reconnect=PAUSED)
    x_room, o_room = await start_game(alice, bob)
    o_events = events_of(o_room.client)
    await x_room.move(cell=0)
    await o_room.move(cell=3)

    gone = await dropped(o_room, o_events)
    assert gone.will_retry and gone.code == 1006
    assert (await x_room.next("player_disconnected"))["user_id"] == o_room.client.user_id
    during_gap = await x_room.move(cell=1)  # X plays while O is away
    back = await reconnect(o_room, o_events)
    assert back.attempts == 1 and back.replayed == 0
    # The move of the gap is in the state O got on reconnecting; its player_move frame is not.
    assert o_room.state["board"][1] is not None and o_room.version >= during_gap["version"]
    assert not [f for f in o_room.inbox if f.type == "player_move" and f["movement"] == {"cell": 1}]
    assert (await x_room.next("player_reconnected"))["user_id"] == o_room.client.user_id

    await o_room.move(cell=4)
    await x_room.move(cell=2)
    over = await o_room.next("game_over")
    assert (over["winner_id"], over["reason"], over.replayed) == (x_room.client.user_id, "win", False)


async def test_a_game_that_ended_during_the_gap_replays_game_over(server, make_client):
    alice, bob = await make_client("alice", reconnect=PAUSED), await make_client("bob", reconnect=PAUSED)
    x_room, o_room = await start_game(alice, bob)
    x_events = events_of(x_room.client)
    await x_room.move(cell=0)
    await dropped(x_room, x_events)
    await o_room.resign()
    await o_room.until_over()
    back = await reconnect(x_room, x_events)
    over = await x_room.next("game_over")
    assert back.replayed == 1 and over.replayed
    assert (over["winner_id"], over["reason"]) == (x_room.client.user_id, "forfeit")


async def test_lobby_and_dm_messages_of_the_gap_are_replayed(server, make_client):
    alice, bob = await make_client("alice", reconnect=PAUSED), await make_client("bob")
    await befriend(alice, bob)
    owner = await make_client(login="premium_user_2")
    lobby = await owner.create_lobby(new_name("gap"), max_participants=4)
    room, bob_room = await alice.join_lobby(lobby["id"]), await bob.join_lobby(lobby["id"])
    dm = await alice.open_dm(bob.user_id)
    await bob_room.chat("before the gap", wait=True)
    await room.next("chat_message")
    seen = events_of(alice)

    await dropped(room, seen)
    await dropped(dm, seen)
    await bob_room.typing()  # not stored: lost
    sent = [await bob.post_lobby_message(lobby["id"], f"gap {n}") for n in range(2)]  # 3 in 2 s
    dms = [await bob.send_dm(alice.user_id, f"dm gap {n}") for n in range(2)]
    lobby_back, dm_back = await reconnect(room, seen), await reconnect(dm, seen)

    assert lobby_back.replayed == 2 and dm_back.replayed == 2
    replayed = [await room.next("chat_message") for _ in sent]
    assert [f.message["id"] for f in replayed] == [m["id"] for m in sent] and all(f.replayed for f in replayed)
    assert [(await dm.next("dm_message")).message["id"] for _ in dms] == [m["id"] for m in dms]
    assert not [f for f in room.inbox if f.type == "typing_start"]
    assert bob.user_id in room.online_user_ids  # from the fresh lobby_state
    # Live again: the next message arrives once, not replayed.
    await owner.post_lobby_message(lobby["id"], "after the gap")  # bob spent his 3 in 2 s
    after = await room.next("chat_message")
    assert (after.message["content"], after.replayed) == ("after the gap", False)


async def test_notifications_of_the_gap_are_replayed_and_a_missed_match_is_found(server, make_client):
    alice, bob = await make_client("alice", reconnect=PAUSED), await make_client("bob")
    await alice.open_sockets(world=False)
    seen = events_of(alice)
    assert (await alice.join_queue())["status"] == "queued"
    await dropped(alice.notifications, seen)
    request = await bob.send_friend_request(alice.user_id)  # a persisted notification
    matched = await bob.join_queue()  # alice's match_found goes nowhere
    back = await reconnect(alice.notifications, seen)
    assert back.replayed == 2
    notification = await alice.notifications.next("notification")
    assert notification.replayed and notification["payload"]["request"]["id"] == request["id"]
    found = await alice.notifications.next("match_found")
    assert found.replayed and found["game_id"] == matched["game_id"]
    assert alice.notifications.badge["pending_friend_requests"] == 1  # the badge of the reconnection


async def test_world_chat_of_the_gap_is_lost_and_world_events_are_replayed(server, make_client):
    alice, bob = await make_client("alice", reconnect=PAUSED), await make_client("bob")
    faction = (await alice.get_factions())[1]["id"]
    for client in (alice, bob):
        character = await client.create_character(new_name("w")[-20:].replace("_", "x"), faction)
        await client.select_character(character["id"])
    seen = events_of(alice)

    await dropped(alice.world, seen)
    await bob.send_chat("said during the gap", wait=True)
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "manage.py", "world_event", "reality_shift"],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    back = await reconnect(alice.world, seen)

    assert back.replayed == 1
    welcome = await alice.world.next("welcome")
    event = await alice.world.next("world_event")
    assert event.replayed and event["event"]["kind"] == "reality_shift"
    assert alice.world.world["current_reality"] == event["event"]["payload"]["reality"]
    assert welcome["character"]["id"] == alice.world.character["id"]
    assert not [f for f in alice.world.inbox if f.type == "chat" and f.message == "said during the gap"]
    heard = asyncio.ensure_future(alice.world.wait_for("chat", where=lambda f: f.message == "after the gap"))
    await bob.send_chat("after the gap")
    await heard


async def test_reconnection_time_with_the_default_policy(server, make_client):
    """Drop → ``reconnected`` with ``ReconnectPolicy()``: backoff, ticket, handshake, catch-up."""
    alice, bob = await make_client("alice", reconnect=ReconnectPolicy()), await make_client("bob")
    owner = await make_client(login="premium_user_1")
    lobby = await owner.create_lobby(new_name("timing"), max_participants=4)
    room = await alice.join_lobby(lobby["id"])
    await bob.join_lobby(lobby["id"], open_socket=False)
    seen = events_of(alice)
    downtimes, replayed = [], 0
    for n in range(5):
        seen.clear()
        room.drop()
        await bob.post_lobby_message(lobby["id"], f"during drop {n}")
        event = await reconnect_by_itself(room, seen)
        downtimes.append(event.downtime)
        replayed += event.replayed
        await asyncio.sleep(0.7)  # bob keeps to the chat rule (3 messages in 2 s)
    received = [f for f in room.inbox if f.type == "chat_message"]
    print(
        f"\nlobby socket, default policy, 5 drops: reconnected in p50 {statistics.median(downtimes) * 1000:.0f} ms, "
        f"max {max(downtimes) * 1000:.0f} ms; messages sent in the gaps 5, received live "
        f"{sum(not f.replayed for f in received)}, replayed {replayed}"
    )
    assert len(received) == 5 and max(downtimes) < 3.0


async def reconnect_by_itself(socket, seen: list, timeout: float = 10.0) -> Reconnected:
    deadline = time.monotonic() + timeout
    while not any(isinstance(e, Reconnected) for e in seen):
        assert time.monotonic() < deadline, f"{socket.name} did not reconnect"
        await asyncio.sleep(0.01)
    return next(e for e in seen if isinstance(e, Reconnected))


def restart(server) -> float:
    """Stop the server process (SIGTERM: its sockets close with 1012) and start it again on the
    same port and database; the seconds it was down."""
    began = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(15)
    server.log.close()
    server.prepare = False  # same database: no migrate, no seed, no drop
    try:
        server.start()
    finally:
        server.prepare = True
    return time.monotonic() - began


async def test_every_socket_comes_back_after_a_server_restart(server, make_client):
    alice, bob = await make_client("alice"), await make_client("bob")  # FAST policy: up to 1 s apart
    faction = (await alice.get_factions())[2]["id"]
    character = await alice.create_character(new_name("r")[-20:].replace("_", "x"), faction)
    await alice.select_character(character["id"])
    await alice.open_sockets()
    owner = await make_client(login="premium_user_1")
    lobby = await owner.create_lobby(new_name("restart"), max_participants=4)
    room = await alice.join_lobby(lobby["id"])
    await bob.join_lobby(lobby["id"], open_socket=False)
    seen = events_of(alice)

    down = await asyncio.to_thread(restart, server)
    await bob.post_lobby_message(lobby["id"], "while alice was reconnecting")
    deadline = time.monotonic() + 15
    while {e.source for e in seen if isinstance(e, Reconnected)} != {"world", "notifications", room.name}:
        assert time.monotonic() < deadline, seen
        await asyncio.sleep(0.05)
    closes = {e.source: e.code for e in seen if isinstance(e, Disconnected)}
    back = {e.source: e for e in seen if isinstance(e, Reconnected)}
    print(
        f"\nserver restart: down {down:.2f} s; sockets closed with {sorted(set(closes.values()))}; "
        f"back after {', '.join(f'{k} {v.downtime:.2f} s ({v.attempts} tries)' for k, v in sorted(back.items()))}"
    )
    assert all(e.will_retry for e in seen if isinstance(e, Disconnected))
    message = await room.next("chat_message", where=lambda f: f.message["content"] == "while alice was reconnecting")
    assert message.message["content"]
    assert (await alice.world.next("welcome"))["character"]["id"] == character["id"]
