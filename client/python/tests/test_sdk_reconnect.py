"""Dropped sockets: reconnection, the events the application hears, and what a gap costs.

Each test drops a socket the way a network failure does (the TCP connection aborted, no close
handshake), makes the other side act during the gap, then lets the socket reconnect
(``PAUSED`` clients wait for ``reconnect_now()``, so the gap is certain) and checks what was
caught up (``frame.replayed``) and what was lost.
"""

import asyncio
import json
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from gameplatform_client import Disconnected, GameClient, Reconnected, ReconnectPolicy, RequestTimeout
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

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


# --- a frame lost with its connection ---------------------------------------------------------


class LossyNetwork:
    """A WebSocket relay between clients and the live server (``client.ws_url = network.url``), as
    a network that loses a frame when told to, and the client's connection with it (cut, no close
    frame): ``lose_sent`` loses the next frame a client sends that it matches (the server never
    gets it), ``lose_received`` the next frame the server sends that it matches (the server took
    what it answers). What it lost is in ``lost``. ``silence_received`` drops every frame the server
    sends that it matches while it is set, and keeps the connection: a server that never answers."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.url = ""
        self.lose_sent: Callable[[dict], bool] | None = None
        self.lose_received: Callable[[dict], bool] | None = None
        self.silence_received: Callable[[dict], bool] | None = None
        self.lost: list[dict] = []

    async def __aenter__(self) -> "LossyNetwork":
        self._server = await serve(self._relay, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _relay(self, client: ServerConnection) -> None:
        async with connect(self.upstream + client.request.path, max_size=2**24) as server:
            pumps = [
                asyncio.ensure_future(self._pump(client, server, "lose_sent")),
                asyncio.ensure_future(self._pump(server, client, "lose_received", "silence_received")),
            ]
            done, waiting = await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            for pump in waiting:
                pump.cancel()
            if any(pump.result() for pump in done):
                client.transport.abort()
            else:  # one side closed: the other hears the same
                ended = server if server.close_code is not None else client
                other = client if ended is server else server
                await other.close(ended.close_code or 1000, ended.close_reason or "")

    async def _pump(self, source, target, lose: str, silence: str | None = None) -> bool:
        """Frames from ``source`` to ``target``; True when one was lost (the connection is cut)."""
        async for raw in source:
            test = getattr(self, lose)
            quiet = getattr(self, silence) if silence else None
            frame = json.loads(raw) if isinstance(raw, str) else None
            if test is not None and frame is not None and test(frame):
                setattr(self, lose, None)
                self.lost.append(frame)
                return True
            if quiet is not None and frame is not None and quiet(frame):
                self.lost.append(frame)
                continue
            await target.send(raw)
        return False


def acks_of(room) -> list:
    acks: list = []
    room.on("ack", acks.append)
    return acks


async def test_a_move_lost_with_its_connection_is_sent_again_after_the_reconnection_and_counts_once(
    server, make_client
):
    async with LossyNetwork(server.ws) as network:
        alice, bob = await make_client("alice"), await make_client("bob")
        alice.ws_url = bob.ws_url = network.url
        x_room, o_room = await start_game(alice, bob)
        acks, moves_seen = acks_of(x_room), []
        o_room.on("player_move", moves_seen.append)
        network.lose_sent = lambda frame: frame.get("type") == "player_move"

        state = await x_room.move(cell=4)
        assert [f["type"] for f in network.lost] == ["player_move"], "the first frame was lost"
        assert x_room.reconnects >= 1, "answered on a new connection"
        assert state["board"][4] is not None
        # Answered once, for the same ref (``duplicate`` or not: the server never had the first).
        assert [ack["ref"] for ack in acks] == [network.lost[0]["ref"]]

        # The game's state after: one mark, O's turn; O plays on it.
        await o_room.until_my_turn()
        assert [cell for cell in o_room.state["board"] if cell is not None] == [state["board"][4]]
        assert [f["movement"] for f in moves_seen] == [{"cell": 4}], "the other player saw the move once"
        await o_room.move(cell=0)
        after = await x_room.until_my_turn()
        assert sum(cell is not None for cell in after["board"]) == 2
        await x_room.forfeit()


async def test_a_ready_whose_answer_was_lost_is_sent_again_with_the_same_ref_and_taken_once(server, make_client):
    async with LossyNetwork(server.ws) as network:
        alice, bob = await make_client("alice"), await make_client("bob")
        alice.ws_url = network.url
        await alice.open_sockets(world=False)
        await bob.open_sockets(world=False)
        a, b = await asyncio.gather(alice.play(), bob.play())
        acks, readies_seen = acks_of(a), []
        b.on("player_ready", readies_seen.append)
        # The server takes the frame and answers; the answer is lost with the connection.
        network.lose_received = lambda frame: frame.get("type") == "ack"

        await a.ready()
        assert [f["type"] for f in network.lost] == ["ack"] and a.reconnects >= 1
        # The server answers the frame sent again ``ack`` (with ``duplicate`` where it remembers
        # the ref it took): either way the call returned, for the same ref.
        assert [ack["ref"] for ack in acks] == [network.lost[0]["ref"]]
        await b.ready()
        await a.until(lambda s: s["state"] == "active")
        assert [f["user_id"] for f in readies_seen] == [alice.user_id, bob.user_id], "alice's ready taken once"
        await a.forfeit()


async def test_a_move_whose_ack_was_lost_is_sent_again_answered_duplicate_and_played_once(server, make_client):
    async with LossyNetwork(server.ws) as network:
        alice, bob = await make_client("alice"), await make_client("bob")
        alice.ws_url = bob.ws_url = network.url
        x_room, o_room = await start_game(alice, bob)
        acks, moves_seen = acks_of(x_room), []
        o_room.on("player_move", moves_seen.append)
        # The server takes the move and answers; the answer is lost with the connection.
        network.lose_received = lambda frame: frame.get("type") == "ack"

        state = await x_room.move(cell=4)
        assert [f["type"] for f in network.lost] == ["ack"] and x_room.reconnects >= 1
        assert [(ack["ref"], ack.get("duplicate")) for ack in acks] == [(network.lost[0]["ref"], True)]
        assert [cell for cell in state["board"] if cell is not None] == [state["board"][4]], "one mark"
        await o_room.until_my_turn()
        assert [f["movement"] for f in moves_seen] == [{"cell": 4}], "the other player saw the move once"
        await o_room.move(cell=0)
        after = await x_room.until_my_turn()
        assert sum(cell is not None for cell in after["board"]) == 2
        await x_room.forfeit()


async def test_a_move_the_server_never_answers_raises_request_timeout_in_its_time_and_the_view_keeps_up(
    server, make_client
):
    async with LossyNetwork(server.ws) as network:
        alice, bob = await make_client("alice"), await make_client("bob")
        alice.ws_url = bob.ws_url = network.url
        x_room, o_room = await start_game(alice, bob)
        network.silence_received = lambda frame: frame.get("type") in ("ack", "error")

        started = time.monotonic()
        try:
            await x_room.move(cell=4, timeout=1.0)
        except RequestTimeout as error:
            waited = time.monotonic() - started
            assert (error.code, error.timeout) == ("timeout", 1.0) and error.ref
        else:
            raise AssertionError("a move with no answer returned")
        assert 1.0 <= waited < 3.0, waited
        assert [f["type"] for f in network.lost] == ["ack"], "the server took the move; its answer was dropped"
        assert x_room.reconnects == 0, "a timeout does not cut the connection"

        # The move counted on the server: the other player's view and then mine show it once.
        network.silence_received = None
        await o_room.until_my_turn()
        await o_room.move(cell=0)
        after = await x_room.until_my_turn()
        assert [after["board"][4] is not None, sum(cell is not None for cell in after["board"])] == [True, 2]
        await x_room.forfeit()
