"""Audience conditions (GrowthBook's MongoDB-style conditions over a player's attributes): checked
when they are saved, and their regular expressions run in time linear in the text.

**Checked when saved** (``problem``): a condition GrowthBook's SDK would evaluate to a silent
"never" (or "always") is refused, naming where it is wrong: an operator that is not in the SDK
spec's list (``OPERATORS``), an operator's value of the wrong type (``$in`` not a list, ``$gt``
with an object), a condition where a value belongs or the other way round, saved groups (there
are none here), a pattern RE2 does not accept, nesting deeper than ``MAX_DEPTH``.

**Regular expressions in linear time** (``compiled``, ``saved_groups``): the ``growthbook``
package runs ``$regex``, ``$regexi``, ``$notRegex`` and ``$notRegexi`` with Python's backtracking
``re`` (``^(a+)+$`` on 26 characters: seconds, doubling with each one more). We do not hand it
patterns: each object of operators that holds some is compiled into the same object with them
replaced by ``$inGroup`` (the strings that match every positive pattern) and ``$notInGroup``
(the strings that match any negative one), saved groups the SDK reads from its public
``savedGroups`` argument. For each evaluation those groups are computed with RE2 from the
strings the player's attributes hold (``saved_groups``): every pattern runs once on each string,
in time linear in its length. Growthbook's own evaluation then does the rest, unchanged.

What differs from the ``growthbook`` package: a list the condition names matches when one of
its strings does (``$notRegex``: when none does), as MongoDB's ``$regex`` does (the package never
matches a list; a JavaScript SDK tests the list joined by commas); RE2's syntax (no
backreferences or lookarounds, refused when saved; ``\\d`` and ``\\w`` are ASCII).
"""

import functools
from collections.abc import Iterator
from typing import NamedTuple

import orjson
import re2
from growthbook.core import evalCondition

from gameplatform.http import serializers

# The GrowthBook SDK spec's operators (its ``evalCondition`` cases, spec 0.8.0): on a condition...
CONDITION_LISTS = frozenset({"$or", "$nor", "$and"})  # a list of conditions
CONDITION_NOT = "$not"  # a condition
# ... and on a value (``{"level": {"$gt": 3}}``), with the type of what each takes.
COMPARISONS = frozenset({"$lt", "$lte", "$gt", "$gte"})  # a number or a string
VERSIONS = frozenset({"$veq", "$vne", "$vlt", "$vlte", "$vgt", "$vgte"})  # a version string
LISTS = frozenset({"$in", "$nin", "$ini", "$nini", "$all", "$alli"})  # a list
POSITIVE_PATTERNS = {"$regex": True, "$regexi": False}  # a pattern: case sensitive or not
NEGATIVE_PATTERNS = {"$notRegex": True, "$notRegexi": False}
PATTERNS = POSITIVE_PATTERNS | NEGATIVE_PATTERNS
EQUALITIES = frozenset({"$eq", "$ne"})  # a string, a number, a boolean or null
VALUE_OPERATORS = (
    COMPARISONS
    | VERSIONS
    | LISTS
    | EQUALITIES
    | frozenset(PATTERNS)
    | frozenset({"$elemMatch", "$size", "$exists", "$type", "$not"})
)
OPERATORS = CONDITION_LISTS | {CONDITION_NOT} | VALUE_OPERATORS
# Saved groups: there are none here (and ``$inGroup`` / ``$notInGroup`` are what patterns compile to).
REFUSED = {
    "$inGroup": "there are no saved groups",
    "$notInGroup": "there are no saved groups",
    "$savedGroup": "there are no saved groups",
    "$savedGroups": "there are no saved groups",
}
TYPES = frozenset({"string", "number", "boolean", "array", "object", "null"})
MAX_DEPTH = 32  # nesting of objects and lists: far beyond a real audience, far below recursion
MAX_PATTERN = 1000  # characters of one pattern
PATTERN_MEMORY = 1 << 20  # bytes RE2 may use for one pattern's automata


# --- checked when saved ---------------------------------------------------------------------------


class Invalid(Exception):
    """A condition GrowthBook would evaluate to a silent never: ``where`` it is and why."""

    def __init__(self, where: str, why: str) -> None:
        super().__init__(f"at {where}: {why}" if where else why)


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _is_scalar(value) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_operator_object(value) -> bool:
    """GrowthBook's test: an object whose every key starts with ``$`` (``{}`` too)."""
    return isinstance(value, dict) and all(str(key).startswith("$") for key in value)


def _options(case_sensitive: bool) -> re2.Options:
    options = re2.Options()
    options.case_sensitive = case_sensitive
    options.log_errors = False
    options.never_capture = True  # only whether it matches is read
    options.max_mem = PATTERN_MEMORY
    return options


@functools.lru_cache(maxsize=1024)
def pattern(text: str, case_sensitive: bool):
    """``text`` compiled by RE2; ``re2.error`` when RE2 does not accept it."""
    return re2.compile(text, _options(case_sensitive))


def _pattern_problem(value, case_sensitive: bool) -> str | None:
    if not isinstance(value, str):
        return "a pattern must be a string."
    if len(value) > MAX_PATTERN:
        return f"a pattern has at most {MAX_PATTERN} characters."
    try:
        pattern(value, case_sensitive)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        return f"RE2 does not accept this pattern ({reason}): no backreferences or lookarounds."
    return None


def _depth(where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise Invalid(where, f"nested deeper than {MAX_DEPTH} levels.")


def _check_condition(condition, where: str, depth: int) -> None:
    _depth(where, depth)
    if not isinstance(condition, dict):
        raise Invalid(where, "must be an object.")
    for key, value in condition.items():
        at = _at(where, key)
        if key in CONDITION_LISTS:
            if not isinstance(value, list):
                raise Invalid(at, "must be a list of conditions.")
            for index, item in enumerate(value):
                _check_condition(item, f"{at}[{index}]", depth + 1)
        elif key == CONDITION_NOT:
            if not isinstance(value, dict):
                raise Invalid(at, "must be a condition (an object).")
            _check_condition(value, at, depth + 1)
        elif key in REFUSED:
            raise Invalid(at, f"not allowed: {REFUSED[key]}.")
        elif key.startswith("$"):
            known = "an operator on a value, not on a condition" if key in VALUE_OPERATORS else "an unknown operator"
            raise Invalid(at, f"{known} (a condition's keys are attributes, $or, $nor, $and or $not).")
        elif not key or any(not part for part in key.split(".")):
            raise Invalid(at or "attribute", "an attribute name must not be empty (nor a part of a dotted path).")
        else:
            _check_value(value, at, depth + 1)


def _check_value(value, where: str, depth: int) -> None:
    """A value a condition compares with: a literal, or an object of operators."""
    _depth(where, depth)
    if isinstance(value, dict) and any(str(key).startswith("$") for key in value):
        if not is_operator_object(value):
            raise Invalid(where, "operators mixed with other keys (all keys start with $, or none does).")
        for operator, argument in value.items():
            _check_operator(operator, argument, _at(where, operator), depth + 1)
    else:
        _check_literal(value, where, depth)


def _check_literal(value, where: str, depth: int) -> None:
    _depth(where, depth)
    if isinstance(value, dict):
        for key, item in value.items():
            _check_literal(item, _at(where, key), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_literal(item, f"{where}[{index}]", depth + 1)


def _check_operator(operator: str, argument, where: str, depth: int) -> None:  # noqa: C901 (one branch an operator)
    if operator in REFUSED:
        raise Invalid(where, f"not allowed: {REFUSED[operator]}.")
    if operator not in VALUE_OPERATORS:
        known = "an operator on a condition, not on a value" if operator in OPERATORS else "an unknown operator"
        raise Invalid(where, f"{known}.")
    if operator in EQUALITIES and not _is_scalar(argument):
        raise Invalid(where, "takes a string, a number, a boolean or null (an object or a list never equals).")
    if operator in COMPARISONS and not (_is_number(argument) or isinstance(argument, str)):
        raise Invalid(where, "takes a number or a string.")
    if operator in VERSIONS and not isinstance(argument, str):
        raise Invalid(where, 'takes a version string ("1.2.0").')
    if operator in LISTS:
        if not isinstance(argument, list):
            raise Invalid(where, "takes a list.")
        for index, item in enumerate(argument):
            _check_value(item, f"{where}[{index}]", depth + 1)
    if operator in PATTERNS:
        problem = _pattern_problem(argument, PATTERNS[operator])
        if problem is not None:
            raise Invalid(where, problem)
    if operator == "$exists" and not isinstance(argument, bool):
        raise Invalid(where, "takes true or false.")
    if operator == "$type" and argument not in TYPES:
        raise Invalid(where, "takes one of " + ", ".join(sorted(TYPES)) + ".")
    if operator == "$size" and not (_is_number(argument) or is_operator_object(argument)):
        raise Invalid(where, 'takes a number or an object of operators ({"$gt": 0}).')
    if operator in ("$size", "$not") and isinstance(argument, dict):
        _check_value(argument, where, depth + 1)
    if operator == "$elemMatch":
        if not isinstance(argument, dict):
            raise Invalid(where, "takes an object: operators on each element, or a condition on each.")
        if _on_value(argument):
            _check_value(argument, where, depth + 1)
        else:
            _check_condition(argument, where, depth + 1)


def problem(condition) -> str | None:
    """Why ``condition`` cannot be saved (naming where in it), or None."""
    try:
        _check_condition(condition, "", 0)
    except Invalid as invalid:
        return str(invalid)
    return None


def validate(condition, *, field: str = "condition", prefix: str = "") -> None:
    """Refuse ``condition`` as DRF does: ``{field: ["<prefix>condition at <where>: <why>"]}``."""
    found = problem(condition)
    if found is not None:
        raise serializers.ValidationError({field: [f"{prefix}condition {found}"]})


# --- regular expressions in linear time -----------------------------------------------------------


class Group(NamedTuple):
    """Strings that match every pattern of ``every`` (a positive group) or any of ``any`` (a
    negative one); a pattern RE2 does not accept is None (it matches nothing, as GrowthBook's)."""

    every: tuple = ()
    any: tuple = ()

    def holds(self, text: str) -> bool:
        if self.every:
            return all(compiled is not None and compiled.search(text) for compiled in self.every)
        return any(compiled is not None and compiled.search(text) for compiled in self.any)


class Compiled(NamedTuple):
    """A condition as GrowthBook is given it, and the groups its patterns became."""

    condition: dict
    groups: dict[str, Group]


# A group's name says what it is: its patterns, as JSON (``[[every], [any]]``, each pattern
# ``[text, case_sensitive]``), so whatever holds a compiled condition can find its groups again.
GROUP_PREFIX = "liveops-patterns:"
GROUP_KEYS = ("$inGroup", "$notInGroup")


def _pattern_or_none(text, case_sensitive: bool):
    if not isinstance(text, str):
        return None
    try:
        return pattern(text, case_sensitive)
    except re2.error:
        return None


@functools.lru_cache(maxsize=1024)
def group(name: str) -> Group:
    """The group a compiled condition names ``name`` (``GROUP_PREFIX`` and its patterns)."""
    every, any_ = orjson.loads(name.removeprefix(GROUP_PREFIX))
    return Group(
        every=tuple(_pattern_or_none(text, case) for text, case in every),
        any=tuple(_pattern_or_none(text, case) for text, case in any_),
    )


def _group_name(every: list, any_: list) -> str:
    return GROUP_PREFIX + orjson.dumps([every, any_]).decode()


def _on_value(argument) -> bool:
    """GrowthBook's reading of ``$elemMatch``: operators on each element, unless a condition's."""
    return is_operator_object(argument) and not any(key in CONDITION_LISTS or key == "$savedGroup" for key in argument)


def _pattern_text(argument):
    return argument if isinstance(argument, str) else None


def compile_condition(condition):
    """``condition`` as GrowthBook is given it: in each object of operators, the patterns
    replaced by the groups of strings they match (``$inGroup``, ``$notInGroup``)."""
    if not isinstance(condition, dict):
        return condition
    compiled = {}
    for key, value in condition.items():
        if key in CONDITION_LISTS and isinstance(value, list):
            compiled[key] = [compile_condition(item) for item in value]
        elif key == CONDITION_NOT:
            compiled[key] = compile_condition(value)
        elif str(key).startswith("$"):
            compiled[key] = value
        else:
            compiled[key] = _compile_value(value)
    return compiled


def _compile_value(value):
    if not is_operator_object(value):
        return value
    compiled, every, any_ = {}, [], []
    for operator, argument in value.items():
        if operator in POSITIVE_PATTERNS:
            every.append([_pattern_text(argument), POSITIVE_PATTERNS[operator]])
        elif operator in NEGATIVE_PATTERNS:
            any_.append([_pattern_text(argument), NEGATIVE_PATTERNS[operator]])
        elif operator in ("$not", "$size"):
            compiled[operator] = _compile_value(argument)
        elif operator in ("$all", "$alli") and isinstance(argument, list):
            compiled[operator] = [_compile_value(item) for item in argument]
        elif operator == "$elemMatch" and isinstance(argument, dict):
            compiled[operator] = _compile_value(argument) if _on_value(argument) else compile_condition(argument)
        else:
            compiled[operator] = argument
    if every:
        compiled["$inGroup"] = _group_name(every, [])
    if any_:
        compiled["$notInGroup"] = _group_name([], any_)
    return compiled


def groups_in(documents) -> dict[str, Group]:
    """The groups compiled conditions in ``documents`` (at any depth) name."""
    found, stack = {}, [documents]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in GROUP_KEYS and isinstance(value, str) and value.startswith(GROUP_PREFIX):
                    found[value] = group(value)
                else:
                    stack.append(value)
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found


@functools.lru_cache(maxsize=1024)
def _compiled_json(text: bytes) -> Compiled:
    condition = compile_condition(orjson.loads(text))
    return Compiled(condition, groups_in(condition))


def compiled(condition: dict) -> Compiled:
    """``condition`` compiled (``compile_condition``) with its groups, remembered by its JSON."""
    return _compiled_json(orjson.dumps(condition, option=orjson.OPT_SORT_KEYS))


def _strings(attributes) -> Iterator[str]:
    stack = [attributes]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def saved_groups(attributes: dict, groups: dict[str, Group]) -> dict[str, list[str]]:
    """GrowthBook's ``savedGroups`` for ``attributes``: each group's strings among those the
    attributes hold, each pattern run once on each string by RE2."""
    if not groups:
        return {}
    texts = set(_strings(attributes))
    return {name: [text for text in texts if group.holds(text)] for name, group in groups.items()}


def matches(attributes: dict, condition: Compiled) -> bool:
    """Whether the compiled ``condition`` holds for ``attributes`` (GrowthBook's ``evalCondition``)."""
    return evalCondition(attributes, condition.condition, saved_groups(attributes, condition.groups))
