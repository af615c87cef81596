"""The MessagePack subprotocol (``gameplatform.sockets.codec``): the same frames, in binary, both ways."""

import math

import msgpack
import pytest
from asgiref.sync import sync_to_async

from conftest import receive_type
from game.services import game_create
from gameplatform.sockets import codec

pytestmark = pytest.mark.django_db(transaction=True)

MSGPACK = ["gameplatform.msgpack"]


async def receive_packed(ws, timeout: float = 3) -> dict:
    """The next frame, which must be a binary message holding one MessagePack map."""
    message = await ws.receive_output(timeout=timeout)
    assert message["type"] == "websocket.send", message
    assert message.get("text") is None and isinstance(message.get("bytes"), bytes), message
    frame = msgpack.unpackb(message["bytes"])
    assert isinstance(frame, dict)
    return frame


async def receive_packed_type(ws, frame_type: str) -> dict:
    while True:
        frame = await receive_packed(ws)
        if frame["type"] == frame_type:
            return frame


async def send_packed(ws, frame: dict) -> None:
    await ws.send_to(bytes_data=msgpack.packb(frame))


async def tictactoe(alice, bob):
    return await sync_to_async(game_create)(mode="tictactoe", players=[alice, bob])


async def test_a_socket_that_asks_for_msgpack_gets_every_frame_as_the_json_frame_in_binary(alice, bob, ws_connect):
    game = await tictactoe(alice, bob)
    ws_a, connected, chosen = await ws_connect(f"/ws/game/{game.pk}/", alice, subprotocols=MSGPACK)
    assert connected and chosen == "gameplatform.msgpack"  # the handshake names it
    first = await receive_packed(ws_a)
    ws_b, connected, chosen = await ws_connect(f"/ws/game/{game.pk}/", bob)
    assert connected and chosen is None  # asked for nothing: JSON text, as before
    state_b = await ws_b.receive_json_from(timeout=3)
    state_a = await receive_packed_type(ws_a, "game_state")  # bob came: the state again, for alice
    assert first["type"] == "game_state" and first["state"] == "waiting_for_players"
    assert state_a == state_b  # one view for both: the same frame, decoded
    assert state_a["state"] == "waiting_for_ready" and state_a["board"] == [None] * 9
    for ws in (ws_a, ws_b):
        await ws.disconnect()


async def test_a_msgpack_socket_plays_with_frames_it_sends_in_binary(alice, bob, ws_connect):
    game = await tictactoe(alice, bob)
    ws_a, _, _ = await ws_connect(f"/ws/game/{game.pk}/", alice, subprotocols=MSGPACK)
    ws_b, _, _ = await ws_connect(f"/ws/game/{game.pk}/", bob)
    await send_packed(ws_a, {"type": "player_ready"})
    await ws_b.send_json_to({"type": "player_ready"})
    await receive_packed_type(ws_a, "game_start")
    await receive_type(ws_b, "game_start")
    await send_packed(ws_a, {"type": "player_move", "movement": {"cell": 4}, "ref": "m1"})
    assert (await receive_type(ws_b, "player_move"))["movement"] == {"cell": 4}
    assert (await receive_packed_type(ws_a, "player_move"))["movement"] == {"cell": 4}
    assert (await receive_packed_type(ws_a, "game_state"))["board"][4] is not None
    assert await receive_packed_type(ws_a, "ack") == {"type": "ack", "ref": "m1"}
    await send_packed(ws_a, {"type": "player_move", "movement": {"cell": 4}, "ref": 2})  # not alice's turn
    error = await receive_packed_type(ws_a, "error")
    assert error["ref"] == 2 and error["code"] in {"not_your_turn", "invalid"}
    for ws in (ws_a, ws_b):
        await ws.disconnect()


async def test_binary_frames_json_cannot_carry_are_refused_as_bad_json_and_the_socket_stays_open(alice, ws_connect):
    ws, connected, _ = await ws_connect("/ws/notifications/", alice, subprotocols=MSGPACK)
    assert connected
    unreadable = [
        b"\xc1",  # a byte MessagePack never uses
        msgpack.packb({"type": "ping"}) + msgpack.packb({"type": "ping"}),  # two values
        msgpack.packb({"type": "ping", "blob": b"\x00\x01"}),  # bytes: no JSON value
        msgpack.packb({"type": "ping", "x": math.nan}),
        msgpack.packb({1: "a"}),  # a key that is not text
    ]
    for data in unreadable:
        await ws.send_to(bytes_data=data)
        error = await receive_packed_type(ws, "error")
        assert error["code"] == "bad_json", data
    await send_packed(ws, {"type": "ping", "ref": "p"})
    assert (await receive_packed(ws))["type"] == "pong"  # still open, still answering
    await ws.disconnect()


async def test_the_frame_checks_hold_for_msgpack_frames_too(alice, ws_connect):
    ws, _, _ = await ws_connect("/ws/notifications/", alice, subprotocols=MSGPACK)
    await send_packed(ws, {"type": "ping", "ref": "r1", "note": "a\x00b"})  # NUL: refused with its ref
    error = await receive_packed_type(ws, "error")
    assert (error["code"], error["ref"]) == ("invalid", "r1")
    await send_packed(ws, [1, 2])  # not a map
    assert (await receive_packed_type(ws, "error"))["code"] == "bad_json"
    await ws.disconnect()


async def test_a_socket_offering_only_other_subprotocols_gets_json_text(alice, ws_connect):
    ws, connected, chosen = await ws_connect("/ws/notifications/", alice, subprotocols=["v2.something"])
    assert connected and chosen is None
    await ws.send_json_to({"type": "ping"})
    assert (await receive_type(ws, "pong"))["type"] == "pong"  # text frames (a badge first)
    await ws.disconnect()


def test_a_frame_text_is_converted_once_and_the_kept_conversions_are_bounded():
    codec.clear()
    text = '{"type":"state_patch","tick":3,"ops":[{"op":"replace","path":"/x","value":1.5}]}'
    first = codec.packed(text)
    assert codec.packed(text) is first  # the second socket of a delivery reuses it
    assert msgpack.unpackb(first) == {
        "type": "state_patch",
        "tick": 3,
        "ops": [{"op": "replace", "path": "/x", "value": 1.5}],
    }
    for i in range(codec.KEEP * 3):
        codec.packed(f'{{"type":"n","i":{i}}}')
    assert len(codec._packed) == codec.KEEP  # noqa: SLF001 - the bound is what is tested
    codec.clear()


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
async def test_nan_and_infinity_in_a_json_frame_are_bad_json_as_in_a_rest_body_and_in_msgpack(
    alice, ws_connect, constant
):
    ws, _, _ = await ws_connect("/ws/notifications/", alice)
    await ws.send_to(text_data=f'{{"type": "ping", "ref": "n", "x": {constant}}}')
    assert (await receive_type(ws, "error"))["code"] == "bad_json"
    await ws.send_json_to({"type": "ping", "ref": "p"})
    assert (await receive_type(ws, "pong"))["ref"] == "p"  # still open
    await ws.disconnect()
