"""How a socket's frames are read and written: one ``Codec`` per WebSocket subprotocol.

Every socket has one codec, chosen at the edge by the subprotocol its client offered first in its
handshake (``for_scope``), and every frame in or out goes through it (``BaseConsumer``):

- ``JSON``: what a client that asks for nothing gets, as before: text frames of JSON objects.
- ``MSGPACK`` (subprotocol ``gameplatform.msgpack``): every frame as a binary message holding one
  MessagePack map: the keys and values of the JSON frame it would have got (floats as float64,
  objects as maps with string keys), so a decoded frame means what the contract says. Its client
  may send its frames that way too (decoded straight to a value, then checked once, as a JSON
  frame's text is: nesting, NUL, lone surrogates); JSON text still works.
- ``COMPACT`` (subprotocol ``gameplatform.compact``): MessagePack made smaller where a real-time
  game spends its bytes, losing nothing (``compacted``); its client sends plain MessagePack maps.

``gameplatform.compact``:

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
- A room's state patch that goes as the whole view (shorter in JSON) goes to a compact socket as
  its JSON Patch when the room kept one beside it (``Codec.prefers_patch``): in this encoding the
  patch is about a quarter of its JSON length, the view two thirds.

The 4-player arena's patch, eight coordinates, is about 85 bytes this way (JSON text: 400).

Frames are made as JSON text once, by whoever sends them (a room's patch, a chat broadcast),
and most go to many sockets. ``packed`` and ``compacted`` convert a text once, keeping the last
few conversions by the text object itself: the sockets of one delivery share one conversion.
The library is ``msgpack``, the format's own Python implementation (a C extension; already
locked, through channels-redis).
"""

import math
import re
from typing import TYPE_CHECKING

import msgpack
import orjson

if TYPE_CHECKING:
    from gameplatform.core.errors import ApplicationError

# The frame checks (``gameplatform.core.parsers``) and their errors import Django REST framework: they
# are imported on a codec's first read, so the encoders serve a script without Django settings
# (the SDKs' fixtures are made that way).
MAX_JSON_DEPTH = 32  # ``parsers.MAX_JSON_DEPTH``

MSGPACK_SUBPROTOCOL = "gameplatform.msgpack"
COMPACT_SUBPROTOCOL = "gameplatform.compact"

REMOVE = msgpack.ExtType(0, b"")
ADD = 5

# The last conversions, by the id of the text (kept alive here, so no other text takes its id
# while it is kept). A delivery's sockets ask one after another: a few dozen entries suffice;
# nothing is kept beyond ``KEEP`` per subprotocol.
KEEP = 64
_packed: dict[int, tuple[str, bytes]] = {}
_compacted: dict[int, tuple[str, bytes]] = {}


def converted_once(cache: dict, text: str | bytes, convert) -> bytes:
    """``convert(text)``, remembered in ``cache`` by the text object itself (at most ``KEEP``):
    the sockets of one delivery share one conversion."""
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
    return converted_once(_packed, text, _pack)


def compacted(text: str) -> bytes:
    """The JSON frame ``text`` in ``gameplatform.compact``, converted once however many sockets
    it goes to."""
    return converted_once(_compacted, text, _compact)


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


def clear() -> None:
    """Forget the kept conversions (tests)."""
    _packed.clear()
    _compacted.clear()


# --- the codecs ----------------------------------------------------------------------


class Codec:
    """How one socket's frames are read and written. This one is JSON text both ways."""

    subprotocol: str | None = None  # named in the handshake's answer; None: asked for by nobody
    binary = False  # frames go out as binary messages (``encode``); JSON text goes out as it is
    prefers_patch = False  # a state patch sent as the whole view goes as its JSON Patch, when kept

    def decode(self, text_data: str | None, bytes_data: bytes | None) -> "tuple[object, ApplicationError | None]":
        """A received frame as a value, with its refusal when it holds a NUL or a lone surrogate
        (``invalid``, answered with the frame's ``ref``). ``ApplicationError`` ``bad_json`` when
        it is not a JSON value; ``invalid`` when it is nested past ``parsers.MAX_JSON_DEPTH``."""
        from gameplatform.core import parsers
        from gameplatform.core.errors import ApplicationError

        if text_data is None:
            raise ApplicationError("Frames must be JSON text, not binary.", code="bad_json")
        try:
            # The nesting limit, NUL and surrogate checks; NaN and Infinity are no JSON (RFC 8259), as
            # in a REST body and in MessagePack frames: a game's journal never holds one.
            return parsers.loads_checked(text_data, strict_constants=True)
        except ValueError:
            raise ApplicationError("The frame is not valid JSON.", code="bad_json") from None

    def encode(self, text: str) -> bytes:
        """The frame written as JSON ``text``, as this socket's binary message (``binary`` codecs)."""
        raise NotImplementedError


class MessagePack(Codec):
    """``gameplatform.msgpack``: MessagePack maps both ways (JSON text is still read)."""

    subprotocol = MSGPACK_SUBPROTOCOL
    binary = True

    def decode(self, text_data: str | None, bytes_data: bytes | None) -> "tuple[object, ApplicationError | None]":
        from gameplatform.core import parsers
        from gameplatform.core.errors import ApplicationError

        if text_data is not None:
            return super().decode(text_data, None)
        try:
            value = msgpack.unpackb(bytes_data, raw=False, strict_map_key=True)
            deep, suspect = _json_value(value)
        except (ValueError, TypeError, RecursionError, msgpack.UnpackException):
            raise ApplicationError("The frame is not one MessagePack map JSON can carry.", code="bad_json") from None
        if deep:
            raise parsers.too_deep_error()
        if suspect:
            if (path := parsers.nul_path(value)) is not None:
                return value, parsers.nul_error(path)
            if (path := parsers.surrogate_path(value)) is not None:
                return value, parsers.surrogate_error(path)
        return value, None

    def encode(self, text: str) -> bytes:
        return packed(text)


class Compact(MessagePack):
    """``gameplatform.compact``: MessagePack with short decimals and relative patch paths out;
    plain MessagePack maps (or JSON text) in."""

    subprotocol = COMPACT_SUBPROTOCOL
    prefers_patch = True

    def encode(self, text: str) -> bytes:
        return compacted(text)


JSON, MSGPACK, COMPACT = Codec(), MessagePack(), Compact()
CODECS = {codec.subprotocol: codec for codec in (MSGPACK, COMPACT)}
SUBPROTOCOLS = tuple(CODECS)


def for_scope(scope: dict) -> Codec:
    """The codec of the subprotocol the client offered first in its handshake among ours; JSON
    when it offered none of them."""
    for offered in scope.get("subprotocols") or ():
        codec = CODECS.get(offered)
        if codec is not None:
            return codec
    return JSON


_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def _json_value(value) -> tuple[bool, bool]:
    """Check a decoded MessagePack value once: ``ValueError`` when JSON cannot carry it (bytes,
    extension types, NaN and infinities, keys that are not text); else whether it nests past
    ``parsers.MAX_JSON_DEPTH`` levels, and whether a string of it (key or value) holds a NUL or
    a lone surrogate (whose path ``parsers`` finds, as for a JSON frame)."""
    deep = suspect = False
    limit = MAX_JSON_DEPTH
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is str:
            if _BAD_TEXT.search(item):
                suspect = True
        elif kind is dict:
            deep = deep or depth > limit
            for key, child in item.items():
                if type(key) is not str:
                    raise ValueError("keys must be text")
                if _BAD_TEXT.search(key):
                    suspect = True
                stack.append((child, depth + 1))
        elif kind is list:
            deep = deep or depth > limit
            stack.extend((child, depth + 1) for child in item)
        elif kind is float:
            if not math.isfinite(item):
                raise ValueError("NaN and infinities are no JSON")
        elif not (kind is int or kind is bool or item is None):
            raise ValueError(f"{kind.__name__} is no JSON value")
    return deep, suspect
