"""Declared shapes of what a client may send a mode: checked before the mode sees anything.

A mode declares its frames with these fields, for example tic-tac-toe's move::

    move_schema = Obj(cell=Int(0, 8))

``check(schema, value)`` returns the value (strings and numbers as sent, objects with only
their declared keys) or raises ``Invalid`` with every field's error, in the contract's
``fields`` shape (``{"cell": ["Must be an integer from 0 to 8."]}``). The checks are plain
comparisons, a few microseconds a frame: they run on every input of a real-time game.
``json_schema()`` describes a field as JSON Schema, for the API documents.
"""

import json
import math


class Invalid(Exception):
    """A frame that does not fit its schema; ``fields`` maps a field's path to its messages."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__(f"invalid fields: {', '.join(fields)}")
        self.fields = fields


class Field:
    """One value's shape. ``check`` returns the value to keep or appends errors under ``path``."""

    optional = False

    def check(self, value, path: str, errors: dict) -> object:
        raise NotImplementedError

    def json_schema(self) -> dict:
        raise NotImplementedError

    def opt(self) -> "Field":
        """This field, allowed to be missing from its object."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.optional = True
        return clone


def _error(errors: dict, path: str, message: str) -> None:
    errors.setdefault(path or "data", []).append(message)


class Int(Field):
    def __init__(self, min: int | None = None, max: int | None = None) -> None:  # noqa: A002 - the natural names
        self.min, self.max = min, max

    def check(self, value, path, errors):
        if isinstance(value, bool) or not isinstance(value, int) or not self._in_range(value):
            _error(errors, path, f"Must be an integer{self._range()}.")
        return value

    def _in_range(self, value) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def _range(self) -> str:
        if self.min is not None and self.max is not None:
            return f" from {self.min} to {self.max}"
        if self.min is not None:
            return f" of at least {self.min}"
        return f" of at most {self.max}" if self.max is not None else ""

    def json_schema(self) -> dict:
        schema = {"type": "integer"}
        if self.min is not None:
            schema["minimum"] = self.min
        if self.max is not None:
            schema["maximum"] = self.max
        return schema


class Float(Int):
    """A finite number (integers allowed); the value is kept as a float."""

    def check(self, value, path, errors):
        ok = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
        if not ok or not self._in_range(value):
            _error(errors, path, f"Must be a number{self._range()}.")
            return value
        return float(value)

    def json_schema(self) -> dict:
        return {**super().json_schema(), "type": "number"}


class Bool(Field):
    def check(self, value, path, errors):
        if not isinstance(value, bool):
            _error(errors, path, "Must be true or false.")
        return value

    def json_schema(self) -> dict:
        return {"type": "boolean"}


class Str(Field):
    def __init__(self, max_length: int = 256, *, min_length: int = 0, choices: tuple[str, ...] | None = None) -> None:
        self.max_length, self.min_length = max_length, min_length
        # In the mode's order (repeats dropped): the order the schema and the refusals give them in.
        self.choices = tuple(dict.fromkeys(choices)) if choices is not None else None

    def check(self, value, path, errors):
        if not isinstance(value, str):
            _error(errors, path, "Must be a string.")
        elif self.choices is not None and value not in self.choices:
            _error(errors, path, f"Must be one of: {', '.join(self.choices)}.")
        elif not self.min_length <= len(value) <= self.max_length:
            _error(errors, path, f"Must be {self.min_length} to {self.max_length} characters.")
        return value

    def json_schema(self) -> dict:
        if self.choices is not None:
            return {"type": "string", "enum": list(self.choices)}
        return {"type": "string", "minLength": self.min_length, "maxLength": self.max_length}


class Text(Str):
    """A string other players read (a player's sign, a team name, a line of a game's chat): the
    server filters it and refuses it from a muted player as it does chat (``spoken``). A ``Str``
    is for what players do not read as someone's words (a cell's name, a card's id)."""

    def json_schema(self) -> dict:
        return {**super().json_schema(), "description": "text other players read: filtered, and refused while muted"}


def Choice(*choices: str) -> Str:  # noqa: N802 - reads as a type in a schema
    """One of the given strings, listed in the order given (in ``enum`` and in a refusal)."""
    return Str(max(len(c) for c in choices), choices=choices)


class List(Field):
    def __init__(self, of: Field, *, max_items: int = 64, min_items: int = 0) -> None:
        self.of, self.max_items, self.min_items = of, max_items, min_items

    def check(self, value, path, errors):
        if not isinstance(value, list):
            _error(errors, path, "Must be a list.")
            return value
        if not self.min_items <= len(value) <= self.max_items:
            _error(errors, path, f"Must have {self.min_items} to {self.max_items} items.")
            return value
        return [self.of.check(item, f"{path}.{i}" if path else str(i), errors) for i, item in enumerate(value)]

    def json_schema(self) -> dict:
        return {"type": "array", "items": self.of.json_schema(), "minItems": self.min_items, "maxItems": self.max_items}


class Obj(Field):
    """An object with these keys (``Field.opt()`` for optional ones); other keys are refused."""

    def __init__(self, **fields: Field) -> None:
        self.fields = fields

    def check(self, value, path, errors):
        if not isinstance(value, dict):
            _error(errors, path, "Must be an object.")
            return value
        clean = {}
        for name, field in self.fields.items():
            where = f"{path}.{name}" if path else name
            if name in value:
                clean[name] = field.check(value[name], where, errors)
            elif not field.optional:
                _error(errors, where, "This field is required.")
        for name in value.keys() - self.fields.keys():
            _error(errors, f"{path}.{name}" if path else str(name)[:64], "Unknown field.")
        return clean

    def json_schema(self) -> dict:
        return {
            "type": "object",
            "properties": {name: field.json_schema() for name, field in self.fields.items()},
            "required": [name for name, field in self.fields.items() if not field.optional],
            "additionalProperties": False,
        }


class AnyObject(Field):
    """Any JSON object up to ``max_bytes`` once encoded (relayed as sent: client-simulated games)."""

    def __init__(self, max_bytes: int = 4096) -> None:
        self.max_bytes = max_bytes

    def check(self, value, path, errors):
        if not isinstance(value, dict):
            _error(errors, path, "Must be an object.")
        elif len(json.dumps(value, separators=(",", ":"))) > self.max_bytes:
            _error(errors, path, f"At most {self.max_bytes} bytes.")
        return value

    def json_schema(self) -> dict:
        return {"type": "object", "description": f"any JSON object, at most {self.max_bytes} bytes"}


def check(schema: Field, value, path: str = ""):
    """``value`` as ``schema`` keeps it, or ``Invalid`` naming every wrong field."""
    errors: dict[str, list[str]] = {}
    clean = schema.check(value, path, errors)
    if errors:
        raise Invalid(errors)
    return clean


def holds_text(schema: Field, *, relayed_text: bool = False) -> bool:
    """Whether a frame of ``schema`` may carry text other players read: a ``Text`` anywhere in it,
    or, with ``relayed_text``, an ``AnyObject`` (data relayed as sent: every string in it is read)."""
    if isinstance(schema, Text):
        return True
    if isinstance(schema, AnyObject):
        return relayed_text
    if isinstance(schema, List):
        return holds_text(schema.of, relayed_text=relayed_text)
    if isinstance(schema, Obj):
        return any(holds_text(field, relayed_text=relayed_text) for field in schema.fields.values())
    return False


def spoken(schema: Field, value, say, *, relayed_text: bool = False):
    """``value`` with each text other players read replaced by ``say(text)`` (which may raise: a
    muted player's text). The text is what ``holds_text`` names: each non-empty ``Text`` value, and
    with ``relayed_text`` each non-empty string (keys excepted) anywhere in an ``AnyObject``'s data.
    Values of any other field, and values not of their field's shape (``check`` refuses them), are
    left as they are. Nothing is called for a value that holds no text."""
    if isinstance(schema, Text):
        return say(value) if isinstance(value, str) and value else value
    if isinstance(schema, AnyObject):
        return _every_string(value, say) if relayed_text else value
    if isinstance(schema, List) and isinstance(value, list):
        return [spoken(schema.of, item, say, relayed_text=relayed_text) for item in value]
    if isinstance(schema, Obj) and isinstance(value, dict):
        return {
            name: spoken(schema.fields[name], item, say, relayed_text=relayed_text) if name in schema.fields else item
            for name, item in value.items()
        }
    return value


def _every_string(value, say):
    if isinstance(value, str):
        return say(value) if value else value
    if isinstance(value, list):
        return [_every_string(item, say) for item in value]
    if isinstance(value, dict):
        return {key: _every_string(item, say) for key, item in value.items()}
    return value
