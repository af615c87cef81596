"""The MessagePack subprotocol: the same frames, in binary, for the clients that ask.

A client that opens a socket with the WebSocket subprotocol ``gameplatform.msgpack`` gets every
frame as a binary message holding one MessagePack map: the keys and values of the JSON frame it
would have got (floats as float64, objects as maps with string keys), so a decoded frame means
what the contract says. It may send its frames that way too; JSON text still works. A client
that asks for nothing gets JSON, as before.

Frames are made as JSON text once, by whoever sends them (a room's patch, a chat broadcast),
and most go to many sockets. ``packed`` converts a text once, keeping the last few conversions
by the text object itself: the sockets of one delivery share one conversion. The library is
``msgpack``, the format's own Python implementation (a C extension; already locked, through
channels-redis).
"""

import json

import msgpack
import orjson

SUBPROTOCOL = "gameplatform.msgpack"

# The last conversions, by the id of the text (kept alive here, so no other text takes its id
# while it is kept). A delivery's sockets ask one after another: a few dozen entries suffice;
# nothing is kept beyond ``KEEP``.
KEEP = 64
_packed: dict[int, tuple[str, bytes]] = {}


def wanted(scope: dict) -> bool:
    """Whether the client offered the MessagePack subprotocol in its handshake."""
    return SUBPROTOCOL in (scope.get("subprotocols") or ())


def packed(text: str) -> bytes:
    """The JSON frame ``text`` as MessagePack, converted once however many sockets it goes to."""
    kept = _packed.get(id(text))
    if kept is not None and kept[0] is text:
        return kept[1]
    data = msgpack.packb(orjson.loads(text))
    if len(_packed) >= KEEP:
        del _packed[next(iter(_packed))]
    _packed[id(text)] = (text, data)
    return data


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
