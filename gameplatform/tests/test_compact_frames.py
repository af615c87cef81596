"""The compact subprotocol (``gameplatform.compact``): MessagePack with short decimals and
relative patch paths, decoding to exactly the frames JSON carries."""

import json
import math

import msgpack
import orjson
import pytest
from asgiref.sync import sync_to_async
from gameplatform_client.compact import decode
from hypothesis import given, settings
from hypothesis import strategies as st

from game.modes.builtin.arena import Arena
from game.services import game_create
from gameplatform.broadcast.groups import game_group
from gameplatform.broadcast.realtime import agroup_signal_here
from gameplatform.modes.patch import apply, diff
from gameplatform.modes.testing import seated
from gameplatform.rooms.server_room import Room
from gameplatform.rooms.wire import SIGNAL
from gameplatform.sockets import codec

COMPACT = ["gameplatform.compact"]


def wire(frame: dict) -> str:
    return orjson.dumps(frame).decode()


def test_a_four_player_arena_patch_fits_in_120_bytes_and_adds_up_to_the_json_players_view():
    room = Room(Arena(), game_id=1, players=seated(4), seed=3)
    for pid in (1, 2, 3, 4):
        room.connect(pid)
        room.ready(pid)
    for pid, (dx, dy) in zip((1, 2, 3, 4), [(-0.6, 0.8), (-0.8, -0.6), (0.6, -0.8), (0.8, 0.6)], strict=True):
        room.input(pid, {"dx": dx, "dy": dy})
    json_view = compact_view = None
    sizes, as_patches = [], 0
    for tick in range(1, 41):  # 2 seconds at 20 Hz, everyone moving (none reaches a wall)
        room.advance(tick / 20)
        for to, text, *patch in room.drain_encoded():
            if to not in (0, 1):
                continue
            frame = json.loads(text)
            data = codec.compacted(patch[0] if patch else text)  # what a compact socket sends
            decoded = decode(data)
            assert decoded == json.loads(patch[0] if patch else text)  # the same frame, decoded
            if frame["type"] == "game_state":
                json_view = compact_view = frame["view"]
            elif frame["type"] == "state_patch":
                json_view = apply(json_view, frame["ops"])
                compact_view = apply(compact_view, decoded["ops"])
                assert compact_view == json_view
                sizes.append(len(data))
                as_patches += bool(patch)  # JSON has the whole view, shorter there; compact the patch
    sizes.sort()
    assert len(sizes) == 40 and as_patches > 20
    assert sizes[len(sizes) // 2] <= 120 and sizes[-2] <= 120, sizes  # the first (the start) may be the view


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_float_comes_back_as_the_same_double(value):
    frame = {"type": "n", "v": value, "s": [value, -value]}
    back = decode(codec.compacted(wire(frame)))
    assert [math.copysign(1, x) for x in back["s"]] == [math.copysign(1, x) for x in frame["s"]]
    assert back == frame and type(back["v"]) is float


@pytest.mark.parametrize(
    ("value", "size"),
    [(45.67, 4), (0.5, 3), (100.0, 4), (-12.25, 4), (123456.7, 6), (0.1 + 0.2, 9), (1e-7, 9), (-0.0, 9)],
)
def test_short_decimals_take_a_few_bytes_and_other_floats_their_usual_nine(value, size):
    assert len(codec.compacted(wire({"v": value}))) - len(msgpack.packb({"v": None})) + 1 == size


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(alphabet="ab/~0-", max_size=3), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_values, json_values, st.none() | st.dictionaries(st.sampled_from(["round", "turn"]), st.floats(0, 60)))
def test_a_patch_between_any_two_documents_decodes_to_the_same_operations(old, new, timers):
    ops = diff(json.loads(json.dumps(old)), json.loads(json.dumps(new)))
    frame = {"type": "state_patch", "tick": 7, "ops": ops, "turn": None, "turn_deadline": None}
    if timers is not None:
        frame["timers"] = timers
    back = decode(codec.compacted(wire(frame)))
    assert back == json.loads(wire(frame))
    assert apply(json.loads(json.dumps(old)), back["ops"]) == json.loads(json.dumps(new))


def test_a_patch_the_compact_form_cannot_hold_goes_as_a_map():
    odd = [
        {
            "type": "state_patch",
            "tick": 1,
            "ops": [{"op": "move", "from": "/a", "path": "/b"}],
            "turn": 1,
            "turn_deadline": None,
        },
        {"type": "state_patch", "tick": 1, "ops": [], "turn": 1},  # no turn_deadline
        {"type": "state_patch", "tick": 1, "ops": [], "turn": 1, "turn_deadline": None, "extra": 1},
    ]
    for frame in odd:
        data = codec.compacted(wire(frame))
        assert isinstance(msgpack.unpackb(data), dict) and decode(data) == frame


def test_a_frame_text_is_compacted_once_and_the_kept_conversions_are_bounded():
    codec.clear()
    text = wire({"type": "state_patch", "tick": 3, "ops": [], "turn": None, "turn_deadline": None})
    assert codec.compacted(text) is codec.compacted(text)
    for i in range(codec.KEEP * 3):
        codec.compacted(wire({"type": "n", "i": i}))
    assert len(codec._compacted) == codec.KEEP  # noqa: SLF001 - the bound is what is tested
    codec.clear()


@pytest.mark.django_db(transaction=True)
async def test_an_arena_player_on_the_compact_subprotocol_sees_what_a_json_player_sees(alice, bob, ws_connect):
    game = await sync_to_async(game_create)(mode="arena", players=[alice, bob])
    ws_a, connected, chosen = await ws_connect(f"/ws/game/{game.pk}/", alice, subprotocols=COMPACT)
    assert connected and chosen == "gameplatform.compact"
    ws_b, _, chosen = await ws_connect(f"/ws/game/{game.pk}/", bob)
    assert chosen is None
    views = {}

    async def follow(ws, read, player, until):
        while True:
            frame = await read(ws)
            if frame["type"] == "game_state":
                views[player] = frame["view"]
            elif frame["type"] == "state_patch":
                views[player] = apply(views[player], frame["ops"])
            if until(frame):
                return frame

    async def read_compact(ws):
        message = await ws.receive_output(timeout=5)
        assert message.get("text") is None and isinstance(message["bytes"], bytes)
        return decode(message["bytes"])

    async def read_json(ws):
        return await ws.receive_json_from(timeout=5)

    def started(frame):
        return frame["type"] == "game_start"

    await ws_a.send_to(bytes_data=msgpack.packb({"type": "player_ready"}))  # clients send plain MessagePack
    await ws_b.send_json_to({"type": "player_ready"})
    await follow(ws_a, read_compact, "alice", started)
    await follow(ws_b, read_json, "bob", started)
    await ws_a.send_to(bytes_data=msgpack.packb({"type": "input", "data": {"dx": 0.6, "dy": -0.8}}))
    await ws_b.send_json_to({"type": "input", "data": {"dx": -1, "dy": 0}})
    last_a = await follow(ws_a, read_compact, "alice", lambda f: f["type"] == "state_patch" and f["tick"] >= 10)
    last_b = await follow(ws_b, read_json, "bob", lambda f: f["type"] == "state_patch" and f["tick"] >= last_a["tick"])
    # The same tick and the same view; the ops may differ: a patch sent as the whole view reaches
    # compact sockets as its JSON Patch (the next test).
    strip = lambda f: {k: v for k, v in f.items() if k != "ops"}  # noqa: E731
    assert strip(last_a) == strip(last_b) and views["alice"] == views["bob"]
    me = views["alice"]["players"][str(alice.pk)]
    assert isinstance(me["x"], float) and me != {"x": 85.0, "y": 50.0, "score": 0}  # she moved
    for ws in (ws_a, ws_b):
        await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_patch_sent_as_the_whole_view_reaches_compact_sockets_as_its_json_patch(alice, bob, ws_connect):
    """A room sends a patch as the whole view when that is shorter in JSON, with the JSON Patch
    beside it (``Room.drain_encoded``): the compact sockets take the patch, the others the view."""
    game = await sync_to_async(game_create)(mode="tictactoe", players=[alice, bob])
    ws_a, _, _ = await ws_connect(f"/ws/game/{game.pk}/", alice, subprotocols=COMPACT)
    ws_b, _, _ = await ws_connect(f"/ws/game/{game.pk}/", bob)
    await ws_a.receive_output(timeout=5)
    while (await ws_b.receive_json_from(timeout=5))["type"] != "game_state":
        pass
    head = '{"type":"state_patch","tick":9,"ops":'
    view = head + '[{"op":"replace","path":"","value":{"n":[1.5]}}],"turn":null,"turn_deadline":null}'
    patch = head + '[{"op":"add","path":"/n/-","value":1.5}],"turn":null,"turn_deadline":null}'
    await agroup_signal_here(game_group(game.pk), SIGNAL, frames=[(0, view, patch), (alice.pk, view)])
    while True:  # alice may have a game_state for bob's arrival first
        message = await ws_a.receive_output(timeout=5)
        frame = decode(message["bytes"])
        if frame["type"] == "state_patch":
            break
    assert frame["ops"] == [{"op": "add", "path": "/n/-", "value": 1.5}]  # the patch, for everyone
    frame = decode((await ws_a.receive_output(timeout=5))["bytes"])
    assert frame["ops"][0]["path"] == ""  # a frame without a patch beside it: as it is
    assert (await ws_b.receive_json_from(timeout=5))["ops"][0]["path"] == ""  # JSON: the view
    for ws in (ws_a, ws_b):
        await ws.disconnect()
