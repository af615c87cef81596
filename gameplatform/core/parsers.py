"""JSON in, hardened: a nesting limit and no NUL characters, for REST bodies and socket frames.

- Nesting: ``json.loads`` recurses once per level, so a small body nested a
  thousand levels deep ends in ``RecursionError`` (a 500). ``too_deep`` counts
  the brackets outside strings, without recursion, before anything is parsed;
  past ``MAX_JSON_DEPTH`` levels the input is refused as ``invalid``.
- NUL: PostgreSQL refuses ``\\u0000`` in text, so a string holding one would end
  in a 500 wherever it reaches the database. Any JSON string (key or value)
  holding one is refused as ``invalid``, naming the field (``a.b.0`` for nested).
- Lone surrogates: ``"\\ud800"`` is valid JSON but no Unicode text: it cannot be encoded
  as UTF-8, so it failed wherever it went out (a socket frame, a response echoing it,
  the database). Refused the same way as NUL.
"""

import codecs
import json
import re

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings

MAX_JSON_DEPTH = 32
NUL_MESSAGE = "Null characters are not allowed."
SURROGATE_MESSAGE = "Lone surrogates (\\ud800-\\udfff) are not valid text."

# A string runs to its closing quote, or to the end of the text when it has none: with the
# closing quote required, each later quote of an unterminated string started a new scan to
# the end, quadratic (13 s of the event loop for one 64 KB socket frame).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON ``text`` nests arrays/objects more than ``limit`` levels deep."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _BRACKETS.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def nul_path(value) -> str | None:
    """The path (``a.b.0``) of the first string, key or value, holding a NUL, else None."""
    return _bad_string_path(value, lambda text: "\x00" in text)


def surrogate_path(value) -> str | None:
    """The path of the first string, key or value, holding a lone surrogate, else None."""
    return _bad_string_path(value, lambda text: _SURROGATE.search(text) is not None)


def _bad_string_path(value, bad) -> str | None:
    stack = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if bad(item):
                return path or "non_field_errors"
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{path}.{key}" if path else str(key)
                if bad(str(key)):
                    return child_path
                stack.append((child, child_path))
        elif isinstance(item, list):
            stack.extend((child, f"{path}.{index}" if path else str(index)) for index, child in enumerate(item))
    return None


# gameplatform.core.errors imports DRF's views, which import this module (DEFAULT_PARSER_CLASSES):
# the error class is imported where it is used.


def too_deep_error():
    from gameplatform.core.errors import ApplicationError

    return ApplicationError(f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.", code="invalid")


def echoable(text: str) -> str:
    """A client's string made safe to echo (UTF-8): lone surrogates as ``\\udxxx``."""
    return text.encode("utf-8", "backslashreplace").decode()


_safe = echoable


def nul_error(path: str):
    return _refused_characters(path, "Null characters (\\u0000)", NUL_MESSAGE)


def surrogate_error(path: str):
    return _refused_characters(path, "Lone surrogates (\\ud800-\\udfff)", SURROGATE_MESSAGE)


def _refused_characters(path: str, characters: str, field_message: str):
    """The ``invalid`` error of a field (at ``path``) that holds ``characters``."""
    from gameplatform.core.errors import ApplicationError

    path = _safe(path)
    return ApplicationError(
        f"{characters} are not allowed: {path!r}.", code="invalid", extra={"fields": {path: [field_message]}}
    )


def refuse_constant(name: str):
    """``NaN``, ``Infinity`` and ``-Infinity`` are no JSON (RFC 8259): refused as DRF's parser
    refuses them under its ``STRICT_JSON`` setting, with its message."""
    raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")


# A decoder made once: ``json.loads`` given a keyword makes a new one for every call.
_STRICT_DECODER = json.JSONDecoder(parse_constant=refuse_constant)


def loads(text: str, *, strict_constants: bool = False):
    """``json.loads`` with the nesting limit and the NUL check; ValueError if not JSON.

    ``strict_constants``: ``NaN`` and ``Infinity`` are refused too (REST bodies, by DRF's
    ``STRICT_JSON``)."""
    value, refusal = loads_checked(text, strict_constants=strict_constants)
    if refusal is not None:
        raise refusal
    return value


def loads_checked(text: str, *, strict_constants: bool = False):
    """``loads``, but a value holding a NUL or a lone surrogate comes back with its refusal
    (``(value, ApplicationError)``) instead of raising it, so the caller can still read what it
    needs to answer (a socket frame's ``ref``); ``(value, None)`` when it is clean."""
    if too_deep(text):
        raise too_deep_error()
    value = _STRICT_DECODER.decode(text) if strict_constants else json.loads(text)
    if "\\u0000" in text:
        path = nul_path(value)
        if path is not None:
            return value, nul_error(path)
    if _SURROGATE_ESCAPE.search(text) or _SURROGATE.search(text):
        path = surrogate_path(value)
        if path is not None:
            return value, surrogate_error(path)
    return value, None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the nesting limit and the NUL check of ``loads``; ``NaN`` and
    ``Infinity`` refused as DRF refuses them (its ``STRICT_JSON`` setting, on by default)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return loads(text, strict_constants=api_settings.STRICT_JSON)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
