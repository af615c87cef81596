"""The TypeScript SDK's ``gameplatform.compact`` fixtures are what the server's encoder makes now.

client/js/tests/compact-fixtures.json holds JSON frame texts and their bytes on
``gameplatform.compact`` (in hex), made by ``gameplatform.sockets.codec.compacted``; compact.test.js
decodes the bytes with the SDK and expects the object ``JSON.parse`` makes of the text. This test
makes the bytes again from the server's encoder and fails when they differ, so the server and
the SDK cannot drift apart unnoticed. After a change to the encoder (or to the frames below):

    PYTHONPATH=. .venv/bin/python client/js/tests/test_compact_fixtures.py

rewrites the file; then run the SDK's tests.
"""

import json
from pathlib import Path

import msgpack
import orjson
from gameplatform_client.compact import decode

from gameplatform.sockets import codec

FIXTURES = Path(__file__).with_name("compact-fixtures.json")
ABOUT = (
    "Made by client/js/tests/test_compact_fixtures.py from the server's encoder "
    "(gameplatform.sockets.codec.compacted): "
    "do not edit. compact.test.js decodes each frame's compact bytes (hex) and expects JSON.parse(json)."
)


def patch(ops: list, tick: int = 7, turn=None, turn_deadline=None, **more) -> dict:
    return {"type": "state_patch", "tick": tick, "ops": ops, "turn": turn, "turn_deadline": turn_deadline, **more}


def replace(path: str, value) -> dict:
    return {"op": "replace", "path": path, "value": value}


# name -> a frame as the server sends it in JSON. Every kind of change the compact form holds,
# floats of every size, and frames it cannot hold (sent as maps).
FRAMES = {
    "arena tick: four players moved (sibling keys, then up one level)": patch(
        [
            replace(f"/players/{pid}/{axis}", value)
            for pid, xy in {"10231": (45.67, 12.3), "10232": (50.2, 88.05), "10233": (13.8, 51.6)}.items()
            for axis, value in zip("xy", xy, strict=True)
        ]
        + [replace("/players/10234/score", 3)],
        tick=812,
    ),
    "removes: an item of a list, a key of an object": patch(
        [
            {"op": "remove", "path": "/pickups/2"},
            {"op": "remove", "path": "/pickups/0"},
            {"op": "remove", "path": "/players/10232"},
        ]
    ),
    "adds: an object appended to a list, a key with a nested object, floats inside": patch(
        [
            {"op": "add", "path": "/pickups/-", "value": {"x": 1.5, "y": 2.25, "kind": "gem", "tags": ["a", 0.1]}},
            {"op": "add", "path": "/pickups/-", "value": {"x": -3.75, "y": 0.0}},
            {"op": "add", "path": "/players/10235", "value": {"x": 85.0, "y": 50.0, "score": 0, "name": "zoë"}},
            {"op": "add", "path": "/log/0", "value": [1, "two", None, True, {"deep": {"er": 2.5}}]},
        ]
    ),
    "the whole view replaced, then changes under the new root": patch(
        [
            replace("", {"players": {"1": {"x": 10.5, "y": 2}}, "pickups": [], "round": 1}),
            replace("/round", 2),
            replace("/players/1/x", 11.25),
            {"op": "add", "path": "/pickups/-", "value": {"x": 1, "y": 1}},
        ]
    ),
    "a root replace with a scalar, then another": patch([replace("", None), replace("", [1, 2.5, "x"])]),
    "keys holding / and ~ (escaped in the pointer)": patch(
        [
            replace("/a~1b/c~0d", 1),
            replace("/a~1b/~01", "tilde one"),
            {"op": "remove", "path": "/a~1b/~1~0"},
            {"op": "add", "path": "/~0/x~1y~1z", "value": {"k/~": "v"}},
            replace("/", "the empty key"),
            replace("/ /", "spaces"),
        ]
    ),
    "deep paths: down several levels, up several, across": patch(
        [
            replace("/a/b/c/d", 1),
            replace("/a/b/c/e", 2),
            replace("/a/f/g", 3),
            replace("/a/f/h/i/j", 4),
            replace("/k", 5),
            replace("/k2/l/m", 6),
            replace("/a/b/c/d", 7),
            replace("/board/4", "X"),
            replace("/board/10", "O"),
        ]
    ),
    "negative zero and other floats that stay float64": patch(
        [
            replace("/z", -0.0),
            replace("/zero", 0.0),
            replace("/third", 0.1 + 0.2),
            replace("/tiny", 1e-7),
            replace("/pi", 3.141592653589793),
            replace("/huge", 1e300),
            replace("/past32bits", 9999999.9999),
            replace("/edge", 214748364.8),
            replace("/wide", 2.0**40 + 0.5),
            replace("/fifth", 1.00001),
        ],
    ),
    "short decimals at each width and sign": patch(
        [
            replace("/p", [12.7, 12.8, -12.8, -12.9, 3276.7, 3276.8, -3276.8, -3276.9]),
            replace("/q", [0.5, -0.5, 100.0, -45.67, 123456.7, 12345.6789, 1234567.891, 0.0001, -0.0001]),
            replace("/r", [1.0, 2.0, 127.0, 128.0, -214748364.7, 214748364.7]),
        ]
    ),
    "integers, strings, booleans, null": patch(
        [
            replace("/i", [0, -1, 127, 128, -129, 65536, -2147483649, 4294967296123, 2**53]),
            replace("/s", ["", "é", "日本", "🙂", "a\u0000b"]),
            replace("/b", [True, False, None]),
            replace("/o", {}),
            replace("/l", []),
        ]
    ),
    "a turn, its deadline and the public timers": patch(
        [replace("/board/0", "X")], tick=3, turn=10232, turn_deadline=12.5, timers={"round": 42.25, "bomb": 0.1}
    ),
    "timers gone: an empty timers object": patch([], tick=9, turn=10231, turn_deadline=29.999, timers={}),
    "no change": patch([], tick=1),
    "fallback to a map: an op the compact form does not hold (move)": patch(
        [{"op": "move", "from": "/a", "path": "/b"}, replace("/x", 1.5)], turn=1
    ),
    "fallback to a map: no turn_deadline": {"type": "state_patch", "tick": 1, "ops": [replace("/x", 2.5)], "turn": 1},
    "fallback to a map: a key the compact form does not hold": patch([replace("/x", 3.5)], extra=-0.0),
    "a game_state: a map, its floats short": {
        "type": "game_state",
        "id": 7,
        "mode": "arena",
        "state": "active",
        "tick": 3,
        "turn": None,
        "turn_deadline": None,
        "winner_id": None,
        "players": [{"id": 1, "username": "ann", "ready": True, "connected": True}],
        "view": {"players": {"1": {"x": 10.5, "y": 2.0, "hp": 100}}, "pickups": [{"x": 0.1 + 0.2, "y": -0.0}]},
        "timers": {"round": 89.95},
    },
    "a chat message": {"type": "chat_message", "message": {"id": 5, "content": "hi ~/", "at": 1.5, "edited": None}},
    "a pong": {"type": "pong", "ref": "r", "server_time": 1764090000.123},
}


def made_now() -> dict:
    frames = []
    for name, frame in FRAMES.items():
        text = orjson.dumps(frame).decode()
        frames.append({"name": name, "json": text, "compact": codec.compacted(text).hex()})
    return {"about": ABOUT, "frames": frames}


def as_text(fixtures: dict) -> str:
    return json.dumps(fixtures, indent=1, ensure_ascii=False) + "\n"


def test_the_compact_fixtures_of_the_typescript_sdk_are_what_the_server_encodes_now():
    again = "PYTHONPATH=. .venv/bin/python client/js/tests/test_compact_fixtures.py, then the SDK's tests (npm test)"
    assert FIXTURES.is_file(), f"client/js/tests/{FIXTURES.name} is missing: run {again}"
    assert FIXTURES.read_text() == as_text(made_now()), (
        f"client/js/tests/{FIXTURES.name} differs from what gameplatform.sockets.codec makes now: run {again}"
    )


def test_the_fixtures_cover_patches_as_arrays_and_frames_as_maps():
    kinds = [type(msgpack.unpackb(bytes.fromhex(f["compact"]))) for f in made_now()["frames"]]
    assert kinds.count(list) >= 10 and kinds.count(dict) >= 5, kinds


def test_the_python_sdks_decoder_reads_the_fixtures_as_the_json_frames():
    for fixture in made_now()["frames"]:
        assert decode(bytes.fromhex(fixture["compact"])) == json.loads(fixture["json"]), fixture["name"]


if __name__ == "__main__":
    FIXTURES.write_text(as_text(made_now()))
    print(f"wrote {FIXTURES} ({len(FRAMES)} frames)")
