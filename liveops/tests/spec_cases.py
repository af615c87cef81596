"""Our table of GrowthBook's SDK spec cases (``spec_cases.json``), and how it is made again.

GrowthBook publishes the expectations every SDK must meet as ``packages/sdk-js/test/cases.json``
of ``growthbook/growthbook`` (MIT). This module keeps the kinds liveops relies on, and for the
feature cases says what our own path does with each one: a flag stored with the spec's rules is
either evaluated, or refused by ``liveops.validation`` (a 400). An experiment rule of the spec may
leave out its key, ``hashAttribute``, coverage and weights; the SDK then uses its defaults, which
our validation wants written out, so the case is stored with those defaults written (the same
rule to every SDK). Refresh: fetch the newest ``cases.json``, then, from the repository root::

    DJANGO_SETTINGS_MODULE=gameplatform.test_settings .venv/bin/python -m liveops.tests.spec_cases cases.json <commit>

and run ``liveops/tests/test_growthbook_spec.py``.
"""

import json
import sys
from pathlib import Path

from growthbook.core import getEqualWeights

TABLE = Path(__file__).with_name("spec_cases.json")
KINDS = ("evalCondition", "hash", "getBucketRange", "chooseVariation", "getEqualWeights", "feature")
LEFT_OUT_KINDS = {
    "run": "experiments are only run through feature rules here: the feature cases cover them",
    "getQueryStringOverride": "no URL overrides on a server",
    "inNamespace": "namespaces are refused by liveops.validation",
    "decrypt": "the flags are never encrypted (they never leave the server)",
    "stickyBucket": "no sticky bucketing: a player's bucket is their hash",
    "urlRedirect": "no URL targeting or redirects",
    "contextualBandit": "no contextual bandits",
}
# Context options our path never sets: a case that needs one is left out, named in the header.
LEFT_OUT_CONTEXT = {
    "forcedVariations": "no forced variations (a QA override of the SDK context)",
    "savedGroups": "no saved groups",
    "contextualBandits": "no contextual bandits",
}


def with_sdk_defaults(feature_key: str, rules: list) -> list:
    """The rules with the SDK's defaults of an experiment rule written out, as our validation wants."""
    written = []
    for rule in rules:
        if isinstance(rule, dict) and "variations" in rule and "force" not in rule:
            defaults = {"key": feature_key, "hashAttribute": "id", "coverage": 1}
            if isinstance(rule["variations"], list):
                defaults["weights"] = getEqualWeights(len(rule["variations"]))
            rule = {**defaults, **rule}
        written.append(rule)
    return written


def _refusal(features: dict) -> str | None:
    # Imported here: the table is built from a script, after django.setup().
    from rest_framework.exceptions import ValidationError

    from liveops.validation import validate_rules

    for name, feature in features.items():
        try:
            validate_rules(with_sdk_defaults(name, feature.get("rules", [])))
        except ValidationError as error:
            return f"{name}: {error.detail['rules'][0]}"
    return None


def _feature_row(name: str, context: dict, key: str, expected: dict) -> dict:
    features = context.get("features", {})
    written = any(with_sdk_defaults(n, f.get("rules", [])) != f.get("rules", []) for n, f in features.items())
    refusal = _refusal(features)
    return {
        "name": name,
        "attributes": context.get("attributes", {}),
        "features": features,
        "feature": key,
        "expected": expected,
        "sdk_defaults_written": written,
        "ours": "refused" if refusal else "evaluated",
        **({"refused_because": refusal} if refusal else {}),
    }


def build(spec: dict, *, commit: str) -> dict:
    left_out_cases = {}
    table = {
        "source": {
            "repository": "https://github.com/growthbook/growthbook",
            "path": "packages/sdk-js/test/cases.json",
            "commit": commit,
            "specVersion": spec["specVersion"],
            "license": "MIT, Copyright (c) GrowthBook, Inc.",
        },
        "left_out_kinds": {kind: LEFT_OUT_KINDS.get(kind, "not used") for kind in spec if kind not in KINDS},
        "left_out_cases": left_out_cases,
    }
    table["left_out_kinds"].pop("specVersion")
    # A condition case with a fifth item needs saved groups, which we never pass.
    table["evalCondition"] = [case for case in spec["evalCondition"] if len(case) == 4]
    for case in spec["evalCondition"]:
        if len(case) > 4:
            left_out_cases["evalCondition: " + case[0]] = "no saved groups"
    for kind in ("hash", "getBucketRange", "chooseVariation", "getEqualWeights"):
        table[kind] = spec[kind]
    table["feature"] = []
    for name, context, key, expected in spec["feature"]:
        needs = [LEFT_OUT_CONTEXT[option] for option in context if option in LEFT_OUT_CONTEXT]
        if needs:
            left_out_cases["feature: " + name] = "; ".join(needs)
        else:
            table["feature"].append(_feature_row(name, context, key, expected))
    return table


def main(path: str, commit: str) -> None:
    import django

    django.setup()
    table = build(json.loads(Path(path).read_text()), commit=commit)
    TABLE.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
