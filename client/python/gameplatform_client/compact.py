"""Frames of the ``gameplatform.compact`` subprotocol, decoded into the frames the contract names.

The server sends MessagePack, with floats that are short decimals as extensions (type 1 to 4:
the number of places, holding the scaled integer) and each ``state_patch`` as an array
``[tick, changes, turn, turn_deadline(, timers)]`` whose ``changes`` are the JSON Patch
operations with their paths relative to the previous one's parent. ``decode`` gives back the
frame as ``gameplatform.msgpack`` or JSON would have carried it: the same keys, values and ops.
"""

from __future__ import annotations

from typing import Any

import msgpack

COMPACT = "gameplatform.compact"
_REMOVE = object()


class _Add:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _ext(code: int, data: bytes) -> Any:
    if 1 <= code <= 4:
        return int.from_bytes(data, "big", signed=True) / 10**code
    if code == 0:
        return _REMOVE
    if code == 5:
        return _Add(msgpack.unpackb(data, ext_hook=_ext))
    return msgpack.ExtType(code, data)


def _pointer(tokens: list[str]) -> str:
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)


def _ops(changes: list) -> list[dict]:
    ops: list[dict] = []
    parent: list[str] = []
    for i in range(0, len(changes) - 1, 2):
        path, value = changes[i], changes[i + 1]
        if isinstance(path, str):
            tokens = [*parent, path]
        elif not path:
            tokens = parent = []
        else:
            up, *keys = path
            tokens = [*parent[: len(parent) - up], *keys]
            parent = tokens[:-1]
        pointer = _pointer(tokens)
        if value is _REMOVE:
            ops.append({"op": "remove", "path": pointer})
        elif isinstance(value, _Add):
            ops.append({"op": "add", "path": pointer, "value": value.value})
        else:
            ops.append({"op": "replace", "path": pointer, "value": value})
    return ops


def decode(data: bytes) -> Any:
    """One binary frame of ``gameplatform.compact`` as the frame it stands for."""
    frame = msgpack.unpackb(data, ext_hook=_ext)
    if isinstance(frame, list):
        tick, changes, turn, deadline, *rest = frame
        frame = {"type": "state_patch", "tick": tick, "ops": _ops(changes), "turn": turn, "turn_deadline": deadline}
        if rest:
            frame["timers"] = rest[0]
    return frame
