"""The binary subprotocols: the same frames, in MessagePack, for the clients that ask.

A client that opens a socket with the WebSocket subprotocol ``gameplatform.msgpack`` gets every
frame as a binary message holding one MessagePack map: the keys and values of the JSON frame it
would have got (floats as float64, objects as maps with string keys), so a decoded frame means
what the contract says. It may send its frames that way too; JSON text still works. A client
that asks for nothing gets JSON, as before.

``gameplatform.compact`` is MessagePack made smaller where a real-time game spends its bytes,
losing nothing (``compacted``):

- A float that is a decimal of at most 4 places, scaled to an integer of at most 32 bits, is an
  extension of type ``k`` (1 to 4, the places) holding that integer, big-endian and signed, in
  1, 2 or 4 bytes: the value is ``n / 10**k``, the same double the JSON text gives (both sides
  divide exact numbers, and IEEE division rounds correctly). 45.67 takes 4 bytes, not 9.
- A ``state_patch`` is an array ``[tick, changes, turn, turn_deadline]``, with ``timers`` as a
  fifth item when the frame has them; every other frame is a map, as above. ``changes`` is flat:
  ``[path, value, path, value, ...]``, one pair per JSON Patch operation, in order. A path is a
  string, the key of a value under the same parent as the previous change; or an array
  ``[up, k1, ..., kn]``: leave ``up`` levels of the previous change's parent, go down ``k1`` to
  ``k(n-1)``, change ``kn``; or ``[]``, the whole document. The first change starts at the root.
  Keys are JSON Pointer's tokens, unescaped. The value is an extension of type 0 (empty) for
  ``remove``, of type 5 holding a value for ``add`` (itself in this encoding, decimals and all),
  and otherwise the ``replace``'s value. A patch that does not fit this (never one the server
  makes) goes as a map.

The 4-player arena's patch, eight coordinates, is about 85 bytes this way (JSON text: 400).
The clients send plain MessagePack maps on either subprotocol.

Frames are made as JSON text once, by whoever sends them (a room's patch, a chat broadcast),
and most go to many sockets. ``packed`` and ``compacted`` convert a text once, keeping the last
few conversions by the text object itself: the sockets of one delivery share one conversion.
The library is ``msgpack``, the format's own Python implementation (a C extension; already
locked, through channels-redis).
"""

import json
import math

import msgpack
import orjson

SUBPROTOCOL = "gameplatform.msgpack"
COMPACT = "gameplatform.compact"
SUBPROTOCOLS = (SUBPROTOCOL, COMPACT)

REMOVE = msgpack.ExtType(0, b"")
ADD = 5

# The last conversions, by the id of the text (kept alive here, so no other text takes its id
# while it is kept). A delivery's sockets ask one after another: a few dozen entries suffice;
# nothing is kept beyond ``KEEP`` per subprotocol.
KEEP = 64
_packed: dict[int, tuple[str, bytes]] = {}
_compacted: dict[int, tuple[str, bytes]] = {}


def wanted(scope: dict) -> str | None:
    """The binary subprotocol the client offered first in its handshake, if any."""
    for offered in scope.get("subprotocols") or ():
        if offered in SUBPROTOCOLS:
            return offered
    return None


def _kept(cache: dict, text: str, convert) -> bytes:
    kept = cache.get(id(text))
    if kept is not None and kept[0] is text:
        return kept[1]
    data = convert(text)
    if len(cache) >= KEEP:
        del cache[next(iter(cache))]
    cache[id(text)] = (text, data)
    return data


def packed(text: str) -> bytes:
    """The JSON frame ``text`` as MessagePack, converted once however many sockets it goes to."""
    return _kept(_packed, text, _pack)


def compacted(text: str) -> bytes:
    """The JSON frame ``text`` in ``gameplatform.compact``, converted once however many sockets
    it goes to."""
    return _kept(_compacted, text, _compact)


def encode(text: str, subprotocol: str) -> bytes:
    """The frame for a socket on ``subprotocol`` (one of ``SUBPROTOCOLS``)."""
    return compacted(text) if subprotocol == COMPACT else packed(text)


def _pack(text: str) -> bytes:
    return msgpack.packb(orjson.loads(text))


# --- gameplatform.compact -------------------------------------------------------------

_SCALES = ((1, 10.0), (2, 100.0), (3, 1000.0), (4, 10000.0))
_PATCH_NEEDS = frozenset({"type", "tick", "ops", "turn", "turn_deadline"})
_PATCH_KEYS = _PATCH_NEEDS | {"timers"}


def _decimal(value: float):
    """A float as the shortest decimal extension that gives it back exactly, else itself."""
    if not -214748364.8 < value < 214748364.8:
        return value  # no 32-bit integer of tenths holds it
    if value == 0.0 and math.copysign(1.0, value) < 0:
        return value  # -0.0: its sign would not survive
    for places, scale in _SCALES:
        n = round(value * scale)
        if n / scale == value:
            if -0x80 <= n < 0x80:
                return msgpack.ExtType(places, n.to_bytes(1, "big", signed=True))
            if -0x8000 <= n < 0x8000:
                return msgpack.ExtType(places, n.to_bytes(2, "big", signed=True))
            if -0x80000000 <= n < 0x80000000:
                return msgpack.ExtType(places, n.to_bytes(4, "big", signed=True))
            return value  # wider than 32 bits: float64 is as short
    return value


def _shrink(value):
    """A JSON value with its floats made decimal extensions where they can be."""
    kind = type(value)
    if kind is float:
        return _decimal(value)
    if kind is dict:
        return {key: _shrink(item) for key, item in value.items()}
    if kind is list:
        return [_shrink(item) for item in value]
    return value


def _tokens(path: str) -> list[str] | None:
    if path == "":
        return []
    if path[0] != "/":
        return None
    return [token.replace("~1", "/").replace("~0", "~") for token in path[1:].split("/")]


def _changes(ops) -> list | None:
    """JSON Patch operations as ``changes`` (see the module's text), None when they do not fit."""
    if type(ops) is not list:
        return None
    changes = []
    parent: list[str] = []
    for op in ops:
        if type(op) is not dict or type(op.get("path")) is not str:
            return None
        kind = op.get("op")
        if kind == "remove" and len(op) == 2:
            value = REMOVE
        elif kind in ("add", "replace") and len(op) == 3 and "value" in op:
            value = _shrink(op["value"])
            if kind == "add":
                value = msgpack.ExtType(ADD, msgpack.packb(value))
        else:
            return None
        tokens = _tokens(op["path"])
        if tokens is None:
            return None
        if not tokens:
            changes.append([])
            parent = []
        elif tokens[:-1] == parent:
            changes.append(tokens[-1])
        else:
            common = 0
            for mine, theirs in zip(parent, tokens, strict=False):
                if mine != theirs:
                    break
                common += 1
            common = min(common, len(tokens) - 1)
            changes.append([len(parent) - common, *tokens[common:]])
            parent = tokens[:-1]
        changes.append(value)
    return changes


def _compact(text: str) -> bytes:
    frame = orjson.loads(text)
    if type(frame) is dict and frame.get("type") == "state_patch" and _PATCH_NEEDS <= frame.keys() <= _PATCH_KEYS:
        changes = _changes(frame.get("ops"))
        if changes is not None:
            items = [frame["tick"], changes, frame["turn"], _shrink(frame["turn_deadline"])]
            if "timers" in frame:
                items.append(_shrink(frame["timers"]))
            return msgpack.packb(items)
    return msgpack.packb(_shrink(frame))


def as_json(data: bytes) -> str:
    """A client's MessagePack frame as the JSON text it stands for, for the frame checks every
    frame goes through (nesting, NUL, lone surrogates). ``ValueError`` when it is not one
    MessagePack value that JSON can carry (bytes, extension types, NaN, keys that are not text)."""
    try:
        value = msgpack.unpackb(data, raw=False, strict_map_key=True)
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (ValueError, TypeError, RecursionError, msgpack.UnpackException) as exc:
        raise ValueError(str(exc)) from None


def clear() -> None:
    """Forget the kept conversions (tests)."""
    _packed.clear()
    _compacted.clear()
