"""RFC 6902 JSON Patch between two JSON documents: what a ``state_patch`` frame carries.

``diff(old, new)`` gives operations that turn ``old`` into ``new``: ``replace`` for a changed
value, ``add`` and ``remove`` for keys and list items that came or went (a list changes at its
end; a list that changed in the middle gets its changed items replaced). ``apply(doc, ops)``
applies such a patch to a copy of ``doc``: clients do this, and the tests check that applying
every patch in order always gives the document a fresh state would.

Documents are JSON values (dict, list, str, int, float, bool, None). A value compared on its
own is compared as JSON shows it (``1`` and ``True`` differ, ``1`` and ``1.0`` do not). A whole
object or list is first compared with Python's ``==``, which is fast and skips unchanged parts,
but takes ``True`` for ``1`` inside them: a field that switches between a boolean and a number
must keep one type (a mode's view is built by its own code, so this is the mode's choice).

``patch_to(old, new)`` is ``diff`` for a room's tick: ``old`` is JSON data (the view a player was
last sent), ``new`` the mode's view as its hook returned it (tuples, non-string keys and all, as
the JSON encoder takes them). It gives the same operations as ``diff`` between ``old`` and ``new``
sent through JSON, and ``new`` as JSON data that shares every unchanged part with ``old``: no
encoding and decoding of the whole view each tick, and nothing at all for a view that did not
change. Neither ``old`` nor what it returns is ever changed in place (a player's last view may be
kept while a step that fails is undone).
"""

import json


def _pointer(path: str, key) -> str:
    key = str(key)
    if "~" in key or "/" in key:
        key = key.replace("~", "~0").replace("/", "~1")
    return f"{path}/{key}"


_SCALARS = (str, int, float, bool, type(None))


def _same(a, b) -> bool:
    # bool is an int to Python, never to JSON.
    return a == b and (type(a) is bool) == (type(b) is bool)


def diff(old, new, path: str = "") -> list[dict]:
    ops: list[dict] = []
    _diff(old, new, path, ops)
    return ops


def _diff(old, new, path: str, ops: list) -> None:
    if type(old) is dict and type(new) is dict:
        for key, value in old.items():
            if key not in new:
                ops.append({"op": "remove", "path": _pointer(path, key)})
            else:
                other = new[key]
                if other is not value and not _same(value, other):
                    _diff(value, other, _pointer(path, key), ops)
        for key, value in new.items():
            if key not in old:
                ops.append({"op": "add", "path": _pointer(path, key), "value": _copy(value)})
        return
    if type(old) is list and type(new) is list:
        common = min(len(old), len(new))
        for i in range(common):
            if not _same(old[i], new[i]):
                _diff(old[i], new[i], f"{path}/{i}", ops)
        for i in range(len(old) - 1, common - 1, -1):  # from the end: indexes stay valid
            ops.append({"op": "remove", "path": f"{path}/{i}"})
        for i in range(common, len(new)):
            ops.append({"op": "add", "path": f"{path}/-", "value": _copy(new[i])})
        return
    if not _same(old, new):
        ops.append({"op": "replace", "path": path, "value": _copy(new)})


def patch_to(old, new) -> tuple[list[dict], object]:
    """The operations from ``old`` (JSON data) to the JSON of ``new``, and that JSON as data:
    ``old`` itself when nothing changed, else a copy sharing ``old``'s unchanged parts."""
    ops: list[dict] = []
    return ops, _to(old, new, "", ops)


def _to(old, new, path: str, ops: list):
    kind = type(new)
    if kind in _SCALARS:
        # bool is an int to Python, never to JSON; NaN (which JSON writes as NaN) stays NaN.
        if (old == new and (kind is bool) is (type(old) is bool)) or (new != new and old != old):
            return old
        ops.append({"op": "replace", "path": path, "value": new})
        return new
    if isinstance(new, dict):
        if type(old) is dict:
            return _dict_to(old, new, path, ops)
    elif isinstance(new, (list, tuple)):
        if type(old) is list:
            return _list_to(old, new, path, ops)
    ops.append({"op": "replace", "path": path, "value": _copy(new)})
    return _copy(new)


def _json_keys(value: dict) -> dict:
    """``value`` with its keys as JSON writes them (``1`` -> ``"1"``, ``True`` -> ``"true"``)."""
    return {key if type(key) is str else _json_key(key): item for key, item in value.items()}


def _json_key(key) -> str:
    return next(iter(json.loads(json.dumps({key: 0}))))


def _dict_to(old: dict, new: dict, path: str, ops: list) -> dict:
    mark = len(ops)
    changed: dict = {}
    missing = False
    for key, before in old.items():
        if key not in new:
            missing = True
            ops.append({"op": "remove", "path": _pointer(path, key)})
            continue
        after = new[key]
        kind = type(after)
        if kind in _SCALARS:  # ``_to`` for a scalar, without the call: most of a tick's changes
            if (before == after and (kind is bool) is (type(before) is bool)) or (after != after and before != before):
                continue
            ops.append({"op": "replace", "path": _pointer(path, key), "value": after})
            changed[key] = after
        elif before != after:
            value = _to(before, after, _pointer(path, key), ops)
            if value is not before:
                changed[key] = value
    if missing or len(old) != len(new):  # keys came or went, or new has keys JSON writes as strings
        for key in new:
            if type(key) is not str:
                del ops[mark:]
                return _dict_to(old, _json_keys(new), path, ops)
        for key, after in new.items():
            if key not in old:
                ops.append({"op": "add", "path": _pointer(path, key), "value": _copy(after)})
                changed[key] = _copy(after)
        return {key: changed[key] if key in changed else old[key] for key in new}
    if not changed:
        return old
    copy = old.copy()
    copy.update(changed)
    return copy


def _list_to(old: list, new, path: str, ops: list) -> list:
    common = min(len(old), len(new))
    copy = None
    for i in range(common):
        before, after = old[i], new[i]
        if before == after and (type(before) is bool) is (type(after) is bool):
            continue
        value = _to(before, after, f"{path}/{i}", ops)
        if value is not before:
            if copy is None:
                copy = old[:common]
            copy[i] = value
    for i in range(len(old) - 1, common - 1, -1):  # from the end: indexes stay valid
        ops.append({"op": "remove", "path": f"{path}/{i}"})
    if copy is None and len(old) == len(new):
        return old
    if copy is None:
        copy = old[:common]
    for i in range(common, len(new)):
        ops.append({"op": "add", "path": f"{path}/-", "value": _copy(new[i])})
        copy.append(_copy(new[i]))
    return copy


class PatchError(ValueError):
    pass


def _tokens(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"bad pointer {path!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _index(container: list, token: str, *, end_ok: bool) -> int:
    if token == "-" and end_ok:
        return len(container)
    if not (token.isascii() and token.isdigit()):
        raise PatchError(f"bad list index {token!r}")
    index = int(token)
    if index > len(container) or (index == len(container) and not end_ok):
        raise PatchError(f"list index {index} out of range")
    return index


def _copy(value):
    # JSON data only: a number or a string needs no copy; for the rest a round trip through the
    # C encoder is several times faster than deepcopy.
    return value if type(value) in _SCALARS else json.loads(json.dumps(value))


def apply(doc, ops: list[dict]):
    """A copy of ``doc`` with ``ops`` applied (add, remove, replace; what ``diff`` makes)."""
    doc = _copy(doc)
    for op in ops:
        tokens = _tokens(op["path"])
        value = _copy(op.get("value"))
        if not tokens:
            if op["op"] == "remove":
                raise PatchError("cannot remove the whole document")
            doc = value
            continue
        parent = doc
        for token in tokens[:-1]:
            parent = parent[_index(parent, token, end_ok=False)] if type(parent) is list else parent[token]
        last = tokens[-1]
        kind = op["op"]
        if type(parent) is list:
            index = _index(parent, last, end_ok=kind == "add")
            if kind == "add":
                parent.insert(index, value)
            elif kind == "remove":
                del parent[index]
            elif kind == "replace":
                parent[index] = value
            else:
                raise PatchError(f"unsupported op {kind!r}")
        else:
            if kind in ("add", "replace"):
                if kind == "replace" and last not in parent:
                    raise PatchError(f"replace of a missing key {last!r}")
                parent[last] = value
            elif kind == "remove":
                del parent[last]
            else:
                raise PatchError(f"unsupported op {kind!r}")
    return doc
