"""Flags as code: every flag in one JSON document a studio keeps in git, pushed by its CI.

    {"flags": {"checkout-button": {"description": "...", "defaultValue": "blue", "rules": [...]}}}

``flags_document`` writes the flags as that document (``manage.py liveops_pull``);
``flags_push`` makes the flags what a document says (``manage.py liveops_push``) through the
services the staff routes use: each change validated, audited with its actor, the version raised
and the players told. The document is checked whole before anything changes (a refusal names its
field, ``flags.NAME.rules``), and a push is one transaction: all of it or none. A flag the
document leaves as it is is not touched (no audit entry, no push): pushing the same file twice
changes nothing the second time.
"""

import json
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import transaction

from accounts.models import User
from gameplatform.http import serializers
from liveops import services
from liveops.models import Flag
from liveops.validation import validate_name, validate_rules

FLAG_KEYS = frozenset({"description", "defaultValue", "rules"})


class FlagSpec(NamedTuple):
    description: str
    default_value: object
    rules: list


@dataclass
class Plan:
    """What a push changes (or would, in a dry run)."""

    create: list[str] = field(default_factory=list)
    update: list[tuple[str, list[str]]] = field(default_factory=list)  # (name, the fields that change)
    delete: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changes(self) -> int:
        return len(self.create) + len(self.update) + len(self.delete)


def _refused(path: str, message: str) -> serializers.ValidationError:
    return serializers.ValidationError({path: [message]})


def _messages(error: serializers.ValidationError) -> list[str]:
    detail = error.detail
    return [str(m) for messages in detail.values() for m in messages] if isinstance(detail, dict) else [str(detail)]


def _spec(name, flag) -> FlagSpec:
    path = f"flags.{name}"
    try:
        validate_name(name)
    except serializers.ValidationError as error:
        raise _refused(path, _messages(error)[0]) from None
    if not isinstance(flag, dict):
        raise _refused(path, "A flag must be an object: {description, defaultValue, rules}.")
    unknown = sorted(flag.keys() - FLAG_KEYS)
    if unknown:
        raise _refused(f"{path}.{unknown[0]}", "Unknown field (a flag has description, defaultValue and rules).")
    description, rules = flag.get("description", ""), flag.get("rules", [])
    if not isinstance(description, str):
        raise _refused(f"{path}.description", "Must be a string.")
    try:
        validate_rules(rules)
    except serializers.ValidationError as error:
        raise _refused(f"{path}.rules", _messages(error)[0]) from None
    return FlagSpec(description, flag.get("defaultValue"), rules)


def document_parse(document) -> dict[str, FlagSpec]:
    """The flags a document gives, by name; ``ValidationError`` naming the first field refused."""
    if not isinstance(document, dict) or not isinstance(document.get("flags"), dict):
        raise _refused("flags", 'The document is an object {"flags": {name: {defaultValue, rules}}}.')
    unknown = sorted(document.keys() - {"flags"})
    if unknown:
        raise _refused(unknown[0], 'Unknown field (the document has only "flags").')
    return {name: _spec(name, flag) for name, flag in document["flags"].items()}


def _spec_of(flag: Flag) -> FlagSpec:
    return FlagSpec(flag.description, flag.default_value, flag.rules)


def flags_document() -> dict:
    """Every flag as the document ``flags_push`` reads, by name."""
    return {
        "flags": {
            flag.name: {"description": flag.description, "defaultValue": flag.default_value, "rules": flag.rules}
            for flag in Flag.objects.order_by("name")
        }
    }


def _same(a, b) -> bool:
    """Equal as JSON says it (``true`` is not ``1``, key order aside)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _changed_fields(now: FlagSpec, wanted: FlagSpec) -> list[str]:
    names = {"description": "description", "default_value": "defaultValue", "rules": "rules"}
    return [names[part] for part in FlagSpec._fields if not _same(getattr(now, part), getattr(wanted, part))]


def _plan(existing: dict[str, FlagSpec], wanted: dict[str, FlagSpec], prune: bool) -> Plan:
    plan = Plan()
    for name, spec in sorted(wanted.items()):
        if name not in existing:
            plan.create.append(name)
        elif changed := _changed_fields(existing[name], spec):
            plan.update.append((name, changed))
        else:
            plan.unchanged += 1
    if prune:
        plan.delete = sorted(existing.keys() - wanted.keys())
    return plan


@transaction.atomic
def flags_push(*, staff: User | None, wanted: dict[str, FlagSpec], prune: bool = False, dry_run: bool = False) -> Plan:
    """Make the flags what ``wanted`` says (``prune``: delete the others), as ``staff`` (None: the
    system); ``dry_run`` only says what would change. Every flag row is locked first (id order) so
    a staff member's edit waits for the push, or the push for it."""
    existing = {flag.name: _spec_of(flag) for flag in Flag.objects.select_for_update().order_by("pk")}
    plan = _plan(existing, wanted, prune)
    if dry_run:
        return plan
    for name in plan.create:
        spec = wanted[name]
        services.flag_create(
            staff=staff, name=name, description=spec.description, default_value=spec.default_value, rules=spec.rules
        )
    for name, _ in plan.update:
        spec = wanted[name]
        services.flag_update(
            staff=staff,
            name=name,
            new_name=name,
            description=spec.description,
            default_value=spec.default_value,
            rules=spec.rules,
        )
    for name in plan.delete:
        services.flag_delete(staff=staff, name=name)
    return plan
