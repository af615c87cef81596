"""RFC 6902 JSON Patch, applied on the client: what a game's ``state_patch`` frame carries.

``apply_patch(doc, ops)`` returns a new document with ``ops`` applied; ``doc`` is left alone.
All six operations are understood (the server sends ``add``, ``remove`` and ``replace``; a
``replace`` of the path ``""`` is a whole new document). A patch that does not apply raises
``PatchError``, and then nothing of it is applied.
"""

from __future__ import annotations

import copy
from typing import Any


class PatchError(ValueError):
    """A patch operation that does not apply to the document (or is not an operation)."""


def _tokens(path: Any) -> list[str]:
    if not isinstance(path, str):
        raise PatchError(f"bad pointer {path!r}")
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"bad pointer {path!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _index(container: list, token: str, *, end_ok: bool) -> int:
    if token == "-" and end_ok:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PatchError(f"bad list index {token!r}")
    index = int(token)
    if index > len(container) or (index == len(container) and not end_ok):
        raise PatchError(f"list index {index} out of range")
    return index


def _parent(doc: Any, tokens: list[str]) -> Any:
    node = doc
    for token in tokens[:-1]:
        try:
            node = node[_index(node, token, end_ok=False)] if isinstance(node, list) else node[token]
        except (KeyError, TypeError):
            raise PatchError(f"no value at /{'/'.join(tokens)}") from None
    if not isinstance(node, (dict, list)):
        raise PatchError(f"no container at /{'/'.join(tokens[:-1])}")
    return node


def _get(doc: Any, tokens: list[str]) -> Any:
    if not tokens:
        return doc
    parent, last = _parent(doc, tokens), tokens[-1]
    if isinstance(parent, list):
        return parent[_index(parent, last, end_ok=False)]
    if last not in parent:
        raise PatchError(f"no value at /{'/'.join(tokens)}")
    return parent[last]


def _add(doc: Any, tokens: list[str], value: Any) -> Any:
    if not tokens:
        return value
    parent, last = _parent(doc, tokens), tokens[-1]
    if isinstance(parent, list):
        parent.insert(_index(parent, last, end_ok=True), value)
    else:
        parent[last] = value
    return doc


def _remove(doc: Any, tokens: list[str]) -> Any:
    if not tokens:
        raise PatchError("cannot remove the whole document")
    parent, last = _parent(doc, tokens), tokens[-1]
    if isinstance(parent, list):
        del parent[_index(parent, last, end_ok=False)]
    elif last in parent:
        del parent[last]
    else:
        raise PatchError(f"no value at /{'/'.join(tokens)}")
    return doc


def _equal(a: Any, b: Any) -> bool:
    # JSON's equality: true is not 1.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def apply_patch(doc: Any, ops: list[dict]) -> Any:
    """A copy of ``doc`` with the JSON Patch ``ops`` applied, in order."""
    if not isinstance(ops, list):
        raise PatchError("a patch is a list of operations")
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict):
            raise PatchError(f"not an operation: {op!r}")
        kind, tokens = op.get("op"), _tokens(op.get("path"))
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f"{kind} without a value")
        if kind == "add":
            doc = _add(doc, tokens, copy.deepcopy(op["value"]))
        elif kind == "remove":
            doc = _remove(doc, tokens)
        elif kind == "replace":
            _get(doc, tokens)  # the target must exist
            doc = _add(_remove(doc, tokens), tokens, copy.deepcopy(op["value"])) if tokens else op["value"]
            if not tokens:
                doc = copy.deepcopy(doc)
        elif kind in ("move", "copy"):
            source = _tokens(op.get("from"))
            value = copy.deepcopy(_get(doc, source))
            if kind == "move":
                if tokens[: len(source)] == source and len(tokens) > len(source):
                    raise PatchError("cannot move a value into itself")
                doc = _remove(doc, source) if source else doc
            doc = _add(doc, tokens, value)
        elif kind == "test":
            if not _equal(_get(doc, tokens), op["value"]):
                raise PatchError(f"test failed at {op.get('path')!r}")
        else:
            raise PatchError(f"unsupported op {kind!r}")
    return doc
