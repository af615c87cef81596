"""The flags, compiled once per server process and version, rebuilt when they change.

Each process keeps GrowthBook ``Feature`` objects built from the flag rows as a
``gameplatform.core.copies.ProcessCopy`` keyed by the live-operations version: a request looks at the
database's version at most once a second (``CHECK_SECONDS``) and the flags are read and compiled
again only when it moved (as ``wordfilter.cache`` does for the word list). The process that made
a change looks again at its next request (``expire``, after the commit). What is the same for
every player is computed with the flags: the defaults (an anonymous answer) and the values for no
player (``ctx.flag``). A player's evaluation is remembered with them, by the player's attributes
(``evaluations``), and so is their whole answer with its ETag, by everything it is made of
(``answers``: the attributes, the running live events, which of them the player joined, the unread
count), the ``ANSWERS_KEPT`` most recent of each: a client that asks again while nothing it reads
changed costs no evaluation and no answer built, and a new version starts with none.

A rule's condition is compiled by ``liveops.conditions``: its regular expressions become saved
groups (``groups``), computed with RE2 for each evaluation, so GrowthBook never runs a pattern.

Each compiled rule gets its index as GrowthBook's rule ``id`` (``rule-0``, ``rule-1``: ids of our
own, the API refuses a rule that brings one), so a result says which rule gave the value (the
OpenFeature provider's variant, ``liveops.openfeature``).
"""

import time
from typing import NamedTuple

from growthbook import Feature, GrowthBook

from gameplatform.core.copies import ProcessCopy
from gameplatform.core.recent import Recent
from liveops import conditions, selectors

CHECK_SECONDS = 1.0
clock = time.monotonic  # tests set another


ANSWERS_KEPT = 2048  # players' evaluations and answers remembered per version (``Flags``)


class Flags(NamedTuple):
    features: dict[str, Feature]  # GrowthBook's compiled features, by flag name
    defaults: dict[str, object]  # each flag's default value (anonymous players)
    no_player: dict[str, object]  # each flag's value for empty attributes (``ctx.flag``)
    ruled: dict[str, Feature]  # the features with rules: only they need GrowthBook for a player
    reads: frozenset[str]  # the attribute names the rules may read (``names_in``)
    groups: dict[str, conditions.Group]  # the rules' patterns as saved groups (``liveops.conditions``)
    evaluations: Recent[bytes, tuple[dict, dict]]  # a player's evaluation by their attributes (``evaluation``)
    answers: Recent[bytes, object]  # a player's answer by what it is made of (``evaluation.answer_for``)


def names_in(documents) -> frozenset[str]:
    """Every name by which GrowthBook ``documents`` (flags' rules, live events' conditions) may
    read a player's attribute: each string in them, key or value, up to its first dot
    (``events.purchase``: ``events``). More than they read (a value ``"level"`` counts too),
    never fewer: a rule reads an attribute by naming it, as a condition's key at any depth (under
    ``$or``, ``$not``, ...), a ``hashAttribute``, a ``fallbackAttribute`` or a filter's
    ``attribute``, and GrowthBook's one unnamed read, ``id`` (the default ``hashAttribute``), is
    of an attribute every player has. What no rule names need not be read (``liveops.selectors``)."""
    found, stack = set(), [documents]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.update(str(key).partition(".")[0] for key in item)
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, str):
            found.add(item.partition(".")[0])
    return frozenset(found)


def rule_id(index: int) -> str:
    """Rule ``index``'s GrowthBook ``id``, which its evaluation gives back as the ``ruleId`` of the
    rule that decided (the admin's preview and the OpenFeature variant name it); it changes nothing else."""
    return f"rule-{index}"


def rule_index(rule: str | None) -> int | None:
    """The index a ``ruleId`` of ``rule_id`` names, or None (the default value decided)."""
    number = (rule or "").removeprefix("rule-")
    return int(number) if number.isdigit() else None


def _compiled_rule(rule, index: int):
    if not isinstance(rule, dict):
        return rule
    compiled = {**rule, "id": rule_id(index)}
    if "condition" in rule:
        compiled["condition"] = conditions.compile_condition(rule["condition"])
    return compiled


def _with_ids(rules: list) -> list:
    """The rules as GrowthBook is given them: each with its ``id``, its condition compiled."""
    return [_compiled_rule(rule, index) for index, rule in enumerate(rules)]


def compile_flags(rows: list[tuple[str, object, list]]) -> Flags:
    compiled = {name: _with_ids(rules) for name, _, rules in rows}
    features = {name: Feature(defaultValue=default, rules=compiled[name]) for name, default, _ in rows}
    groups = conditions.groups_in(list(compiled.values()))
    growthbook = GrowthBook(attributes={}, features=features, savedGroups=conditions.saved_groups({}, groups))
    no_player = {name: growthbook.eval_feature(name).value for name in features}
    defaults = {name: default for name, default, _ in rows}
    ruled = {name: feature for (name, _, rules), feature in zip(rows, features.values(), strict=True) if rules}
    reads = names_in([rules for _, _, rules in rows])
    return Flags(features, defaults, no_player, ruled, reads, groups, Recent(ANSWERS_KEPT), Recent(ANSWERS_KEPT))


COMPILED: ProcessCopy[Flags] = ProcessCopy(
    lambda: compile_flags(selectors.flag_rows()),
    empty=compile_flags([]),
    version=selectors.liveops_version,
    every=CHECK_SECONDS,
    clock=lambda: clock(),
)


def flags() -> Flags:
    """The process's compiled flags, at most ``CHECK_SECONDS`` behind the database."""
    return COMPILED.get()


def expire() -> None:
    """Look again at the next request: the process that made a change sees it at once."""
    COMPILED.expire()


def forget() -> None:
    """Drop the compiled flags: the next request reads and compiles them again (tests)."""
    COMPILED.forget()
