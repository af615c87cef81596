"""A game room's calls without the platform: none waits forever, a frame whose connection closed
before its answer goes out again with the same ref once the new connection has its
``game_state``, a ``duplicate`` ack counts as taken, ``unavailable`` is tried again.

A WebSocket server in the test (``ScriptedGameServer``) plays the game socket's side: it answers
the opening ping, sends a ``game_state`` on each connection (or when the test says), and hands
the test every other frame, which the test answers, or not.
"""

import asyncio
import base64
import json
import time

import pytest
from gameplatform_client import BadRequest, GameClient, ReconnectPolicy, RequestTimeout, SocketClosed, Unavailable
from websockets.asyncio.server import ServerConnection, serve

AT_ONCE = ReconnectPolicy(initial=0.01, max_delay=0.01, jitter=0.0)


def state(tick: int = 4, **marks: str) -> dict:
    """Game 7's ``game_state`` at ``tick``, its board with ``marks`` (``c4="X"``: cell 4)."""
    board = [marks.get(f"c{n}") for n in range(9)]
    return {
        "type": "game_state",
        "id": 7,
        "mode": "tictactoe",
        "state": "active",
        "tick": tick,
        "turn": 1,
        "winner_id": None,
        "players": [{"id": 1, "username": "a", "ready": False, "connected": True}],
        "board": board,
        "view": {"board": board},
    }


class ScriptedGameServer:
    """``/ws/game/7/`` as the test plays it: each connection is in ``connections``; the client's
    frames other than pings arrive in ``frames`` as ``(connection, frame)``."""

    def __init__(self) -> None:
        self.connections: list[ServerConnection] = []
        self.frames: asyncio.Queue = asyncio.Queue()
        self.state = state()
        self.state_on_connect = True

    async def handle(self, ws: ServerConnection) -> None:
        self.connections.append(ws)
        if self.state_on_connect:
            await ws.send(json.dumps(self.state))
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "ping":
                await ws.send(json.dumps({"type": "pong", "ref": frame.get("ref")}))
            else:
                await self.frames.put((ws, frame))

    async def next_frame(self, timeout: float = 5.0) -> tuple[ServerConnection, dict]:
        return await asyncio.wait_for(self.frames.get(), timeout)

    async def connection(self, number: int, timeout: float = 5.0) -> ServerConnection:
        """The ``number``-th connection (1: the first), once it is made."""
        deadline = time.monotonic() + timeout
        while len(self.connections) < number:
            assert time.monotonic() < deadline, f"no connection {number}"
            await asyncio.sleep(0.005)
        return self.connections[number - 1]


def token(**claims) -> str:
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"e30.{body}.sig"


@pytest.fixture
async def game():
    """``(server, room)``: a scripted game server and a client's room on it, open with its game_state."""
    server = ScriptedGameServer()
    async with serve(server.handle, "127.0.0.1", 0) as listening:
        port = listening.sockets[0].getsockname()[1]
        client = GameClient(f"http://127.0.0.1:{port}", ws_auth="header", reconnect=AT_ONCE, ping_interval=None)
        client.use_tokens(token(user_id=1, exp=time.time() + 3600))
        room = await client.join_game(7)
        yield server, room
        await client.disconnect()


async def answer(ws: ServerConnection, frame: dict) -> None:
    await ws.send(json.dumps(frame))


def reconnections(room) -> asyncio.Queue:
    """The room's ``Reconnected`` events, from now on, as they come."""
    heard: asyncio.Queue = asyncio.Queue()
    room.on("reconnected", heard.put_nowait)
    return heard


async def test_a_move_the_server_never_answers_raises_request_timeout_after_its_timeout(game):
    server, room = game
    began = time.monotonic()
    with pytest.raises(RequestTimeout) as timed_out:
        await room.move(cell=4, timeout=0.1)
    _, frame = await server.next_frame()
    assert time.monotonic() - began >= 0.1
    error = timed_out.value
    assert (error.code, error.ref, error.timeout) == ("timeout", frame["ref"], 0.1)
    assert isinstance(error, TimeoutError), "a TimeoutError, as the calls raised before"


async def test_the_clients_request_timeout_bounds_each_call_unless_the_call_says(game):
    server, room = game
    assert room.client.request_timeout == room.client.timeout == 10.0  # the default
    room.client.request_timeout = 0.05
    for call in (room.move(cell=1), room.action("emote", {"name": "wave"}), room.ready()):
        with pytest.raises(RequestTimeout):
            await call
    began = time.monotonic()
    with pytest.raises(RequestTimeout):
        await room.move(cell=2, timeout=0.3)
    assert time.monotonic() - began >= 0.3


def test_a_request_timeout_that_is_not_a_positive_number_is_refused():
    for bad in (0, -1, float("inf"), float("nan")):
        with pytest.raises(ValueError):
            GameClient("http://127.0.0.1:1", request_timeout=bad)
    assert GameClient("http://127.0.0.1:1", timeout=3).request_timeout == 3
    assert GameClient("http://127.0.0.1:1", request_timeout=20).request_timeout == 20


async def test_a_move_whose_connection_closed_before_its_answer_goes_out_again_with_the_same_ref(game):
    server, room = game
    moving = asyncio.ensure_future(room.move(cell=4))
    first_ws, first = await server.next_frame()
    server.state = state(tick=5, c4="X")  # the server took it: the fresh state shows it
    first_ws.transport.abort()  # dropped, no answer, no close frame

    again_ws, again = await server.next_frame()
    assert again == {**first, "resent": True}, "the same frame, the same ref, marked as sent again"
    assert again_ws is await server.connection(2)
    await answer(again_ws, {"type": "ack", "ref": again["ref"], "duplicate": True})
    taken = await asyncio.wait_for(moving, 5)
    assert taken["board"][4] == "X" and room.view["board"][4] == "X"
    assert room.reconnects == 1


async def test_the_frame_goes_out_again_only_once_the_new_connection_has_its_game_state(game):
    server, room = game
    moving = asyncio.ensure_future(room.move(cell=0, timeout=5))
    first_ws, first = await server.next_frame()
    server.state_on_connect = False  # the next connection gets its game_state when the test says
    await first_ws.close(1012)  # a server stopping for a deploy

    second = await server.connection(2)
    await asyncio.sleep(0.2)
    assert room.is_open and server.frames.empty(), "open, but no game_state yet: nothing sent"
    await answer(second, state(tick=6))
    ws, again = await server.next_frame()
    assert (ws, again) == (second, {**first, "resent": True})
    await answer(second, {"type": "ack", "ref": first["ref"]})  # not taken before: a plain ack
    await asyncio.wait_for(moving, 5)


async def test_a_frame_sent_again_still_fails_within_its_timeout(game):
    server, room = game
    moving = asyncio.ensure_future(room.move(cell=0, timeout=0.5))
    first_ws, _ = await server.next_frame()
    first_ws.transport.abort()
    await server.next_frame()  # sent again on the new connection, and not answered there either
    with pytest.raises(RequestTimeout):
        await asyncio.wait_for(moving, 5)


async def test_unavailable_is_sent_again_after_retry_after_with_the_same_ref(game):
    server, room = game
    moving = asyncio.ensure_future(room.move(cell=4))
    ws, first = await server.next_frame()
    began = time.monotonic()
    await answer(
        ws, {"type": "error", "code": "unavailable", "message": "Moving.", "ref": first["ref"], "retry_after": 0.2}
    )
    _, again = await server.next_frame()
    assert again == {**first, "resent": True} and time.monotonic() - began >= 0.2
    await answer(ws, {"type": "ack", "ref": first["ref"]})
    await asyncio.wait_for(moving, 5)


async def test_unavailable_whose_retry_after_outlasts_the_call_raises_it(game):
    server, room = game
    moving = asyncio.ensure_future(room.move(cell=4, timeout=0.5))
    ws, first = await server.next_frame()
    await answer(
        ws, {"type": "error", "code": "unavailable", "message": "Moving.", "ref": first["ref"], "retry_after": 2}
    )
    with pytest.raises(Unavailable) as refused:
        await asyncio.wait_for(moving, 5)
    assert (refused.value.code, refused.value.retry_after) == ("unavailable", 2.0)
    assert server.frames.empty(), "not sent again"


async def test_a_refusal_raises_at_once_and_is_not_sent_again(game):
    server, room = game
    moving = asyncio.ensure_future(room.move(cell=4))
    ws, first = await server.next_frame()
    await answer(ws, {"type": "error", "code": "not_your_turn", "message": "Wait.", "ref": first["ref"]})
    with pytest.raises(BadRequest) as refused:
        await moving
    assert refused.value.code == "not_your_turn"
    ws.transport.abort()
    await server.connection(2)
    await asyncio.sleep(0.1)
    assert server.frames.empty()


async def test_a_socket_closed_for_good_ends_the_waiting_call_with_socket_closed(game):
    server, room = game
    moving = asyncio.ensure_future(room.move(cell=4))
    ws, _ = await server.next_frame()
    await ws.close(4403)
    with pytest.raises(SocketClosed) as closed:
        await asyncio.wait_for(moving, 5)
    assert closed.value.code == 4403


async def test_after_a_reconnection_the_fresh_game_state_replaces_the_view_and_earlier_patches_are_not_applied(game):
    server, room = game
    first = await server.connection(1)
    await answer(
        first, {"type": "state_patch", "tick": 5, "ops": [{"op": "replace", "path": "/board/0", "value": "X"}]}
    )
    await room.until(lambda s: s["view"]["board"][0] == "X", timeout=5)
    server.state_on_connect = False
    back = reconnections(room)
    first.transport.abort()
    await asyncio.wait_for(back.get(), 5)
    second = await server.connection(2)
    # A patch that follows one this client missed: it does not apply to the view held here.
    await answer(
        second, {"type": "state_patch", "tick": 7, "ops": [{"op": "replace", "path": "/board/8", "value": "O"}]}
    )
    await asyncio.sleep(0.1)
    assert room.view["board"][8] is None and room.tick == 5
    await answer(second, state(tick=6, c0="X", c3="O"))
    await room.until(lambda s: s["tick"] == 6, timeout=5)
    assert room.view["board"] == ["X", None, None, "O", None, None, None, None, None]
    await answer(
        second, {"type": "state_patch", "tick": 7, "ops": [{"op": "replace", "path": "/board/1", "value": "X"}]}
    )
    await room.until(lambda s: s["tick"] == 7, timeout=5)
    assert room.view["board"][:4] == ["X", "X", None, "O"]


async def test_1012_and_1013_closes_reconnect(game):
    server, room = game
    back = reconnections(room)
    for number, code in ((1, 1012), (2, 1013)):
        await (await server.connection(number)).close(code)
        await asyncio.wait_for(back.get(), 5)
    assert room.is_open and room.reconnects == 2 and room.closed_code is None


async def test_refs_differ_between_processes_and_calls(game):
    server, room = game
    calls = [asyncio.ensure_future(room.move(cell=n, timeout=0.2)) for n in range(2)]
    refs = [(await server.next_frame())[1]["ref"] for _ in calls]
    for call in calls:
        with pytest.raises(RequestTimeout):
            await call
    assert len(set(refs)) == 2
    assert all(ref.startswith("sdk") and "-" in ref for ref in refs), refs  # sdk<n>-<this process's tag>
