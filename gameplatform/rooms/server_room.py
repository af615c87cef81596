"""The server's ``Room``: the mode API's room (``gameplatform.modes.room``, the game's phases, seats,
clocks, steps and frames, with no I/O) writing its frames as JSON with orjson.

The room itself lives with the mode API, standard library only, so a mode's tests run the very
code the server runs without the server; this module adds only what the server needs faster.
"""

import json

import orjson

from gameplatform.modes import room as game_room

# The room's phases, seats, steps and their names are the mode API's (``gameplatform.modes.room``):
# imported from there, not through here.
__all__ = ["Room", "encode_frame"]

# What orjson must refuse rather than write: what the standard library's encoder refuses too.
_ORJSON = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


# The standard library's encoder for what orjson does not take, a part already written included.
_FALLBACK = json.JSONEncoder(
    separators=(",", ":"),
    ensure_ascii=False,
    default=lambda part: json.loads(part.contents) if isinstance(part, orjson.Fragment) else None,
)


def encode_frame(value) -> str:
    """A frame (or a view) as JSON: orjson, several times faster than the standard library's
    encoder, and the same text but for what JSON has no words for (NaN and infinities: null,
    not the ``NaN`` a browser refuses) and exponents (``1e16``, not ``1e+16``). What orjson does
    not take (keys that are not strings, integers past 64 bits, a string with a lone surrogate)
    is written by the standard library's encoder, as before."""
    try:
        return orjson.dumps(value, option=_ORJSON).decode()
    except TypeError:
        return _FALLBACK.encode(value)


def written_frame(text: str, data) -> orjson.Fragment:
    """A part of a frame already written as ``text`` (a view, a patch's ops): it goes into the
    frame's text as it is, not written again."""
    return orjson.Fragment(text)


class Room(game_room.Room):
    """A game's room as the server runs it: frames written with orjson (``encode_frame``)."""

    encode = staticmethod(encode_frame)
    written = staticmethod(written_frame)
