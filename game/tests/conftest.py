import pytest
from asgiref.sync import sync_to_async

from conftest import receive_type
from game.services import game_create


@pytest.fixture
def make_game():
    def make(*users, mode: str = "tictactoe", lobby_id=None):
        return game_create(mode=mode, players=list(users), lobby_id=lobby_id)

    return make


@pytest.fixture
def open_game(ws_connect):
    """Connect ``user`` to the game socket; returns (socket, first game_state)."""

    async def connect(game_id: int, user):
        ws, connected, code = await ws_connect(f"/ws/game/{game_id}/", user)
        assert connected, code
        state = await ws.receive_json_from(timeout=3)
        assert state["type"] == "game_state"
        return ws, state

    return connect


@pytest.fixture
def start_game(open_game):
    """Both players connect and say ready; returns their sockets once each saw the active game_state."""

    async def start(game_id: int, first, second):
        ws_a, _ = await open_game(game_id, first)
        ws_b, _ = await open_game(game_id, second)
        for ws in (ws_a, ws_b):
            await ws.send_json_to({"type": "player_ready"})
        for ws in (ws_a, ws_b):
            await receive_type(ws, "game_start")
            state = await receive_type(ws, "game_state")
            assert state["state"] == "active"
        return ws_a, ws_b

    return start


async def play(mover, other, cell: int) -> dict:
    """Send a move and return the game_state both sockets then see."""
    await mover.send_json_to({"type": "player_move", "movement": {"cell": cell}})
    states = []
    for ws in (mover, other):
        move = await receive_type(ws, "player_move")
        assert move["movement"] == {"cell": cell}
        states.append(await receive_type(ws, "game_state"))
    assert states[0] == states[1]
    return states[0]


async def closed_with(ws) -> int:
    message = await ws.receive_output(timeout=3)
    assert message["type"] == "websocket.close", message
    return message.get("code")


def db(func):
    return sync_to_async(func, thread_sensitive=True)
