"""A flag in GrowthBook's feature format, checked before it is saved (GrowthBook's SDK evaluates
what it is given and checks nothing: a malformed rule would be skipped, or raise, at every read).

A rule is one of two shapes:

- a forced value for an audience: ``{force, condition?}``;
- an experiment or a percentage rollout: ``{variations, weights, key, hashAttribute, coverage,
  condition?}``, the weights summing to 1.

A rule's condition is checked by ``liveops.conditions`` (its operators and their values, its
regular expressions by RE2). Every refusal names its field, as DRF's validation errors do:
``{"rules": ["rule 1: ..."]}``.
"""

import math

from django.core.validators import slug_re

from gameplatform.http import serializers
from liveops import conditions

FORCE_KEYS = frozenset({"condition", "force"})
EXPERIMENT_KEYS = frozenset({"condition", "variations", "weights", "key", "hashAttribute", "coverage"})
EXPERIMENT_REQUIRED = EXPERIMENT_KEYS - {"condition"}
WEIGHT_TOLERANCE = 1e-6
MAX_RULES = 100


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _experiment_problem(rule: dict) -> str | None:
    missing = sorted(EXPERIMENT_REQUIRED - rule.keys())
    if missing:
        return "an experiment rule needs " + ", ".join(missing) + "."
    variations, weights = rule["variations"], rule["weights"]
    if not isinstance(variations, list) or not variations:
        return "variations must be a non-empty list."
    if not isinstance(weights, list) or not all(_number(w) and 0 <= w <= 1 for w in weights):
        return "weights must be a list of numbers from 0 to 1."
    if len(weights) != len(variations):
        return "variations and weights must have the same length."
    if abs(sum(weights) - 1) > WEIGHT_TOLERANCE:
        return "weights must sum to 1."
    if not isinstance(rule["key"], str) or not slug_re.match(rule["key"]) or len(rule["key"]) > 100:
        return "key must be a slug of at most 100 characters."
    if not isinstance(rule["hashAttribute"], str) or not rule["hashAttribute"]:
        return "hashAttribute must name an attribute."
    if not _number(rule["coverage"]) or not 0 <= rule["coverage"] <= 1:
        return "coverage must be a number from 0 to 1."
    return None


def _rule_problem(rule) -> str | None:
    if not isinstance(rule, dict):
        return "a rule must be an object."
    if "condition" in rule:
        found = conditions.problem(rule["condition"])
        if found is not None:
            return f"condition {found}"
    keys = rule.keys()
    if "force" in keys and keys <= FORCE_KEYS:
        return None
    if "variations" in keys and keys <= EXPERIMENT_KEYS:
        return _experiment_problem(rule)
    return "a rule is either {condition, force} or {condition, variations, weights, key, hashAttribute, coverage}."


def validate_name(name) -> None:
    if not isinstance(name, str) or not slug_re.match(name) or len(name) > 100:
        raise serializers.ValidationError(
            {"name": ["Enter a slug of at most 100 characters (letters, digits, _ and -)."]}
        )


def validate_rules(rules) -> None:
    if not isinstance(rules, list):
        raise serializers.ValidationError({"rules": ["Rules must be a list."]})
    if len(rules) > MAX_RULES:
        raise serializers.ValidationError({"rules": [f"At most {MAX_RULES} rules."]})
    for index, rule in enumerate(rules):
        problem = _rule_problem(rule)
        if problem is not None:
            raise serializers.ValidationError({"rules": [f"rule {index}: {problem}"]})
