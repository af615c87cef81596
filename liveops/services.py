"""Changes to live operations. A flag change raises the version in its transaction (every process
sees it at its next look, ``cache``), is audited in it, and after the commit every connected player
is told ``liveops_changed`` on their notifications socket, on every process, and refetches."""

import json

from django.db import transaction
from django.db.models import F

from accounts.models import User
from gameplatform.broadcast.groups import everyone_group
from gameplatform.broadcast.realtime import broadcast_later_on_commit
from gameplatform.core.errors import Conflict, NotFound
from gameplatform.http import serializers
from liveops import cache, hooks
from liveops.models import Flag, LiveopsVersion, PlayerAttributes
from liveops.records import Versioned
from liveops.validation import validate_name, validate_rules

CHANGED_FRAME = {"type": "liveops_changed"}
# The push waits until every process's cache has looked at the version since the commit (each
# looks at most ``CHECK_SECONDS`` apart), so a client refetching on any process reads the change.
PUSH_DELAY = cache.CHECK_SECONDS + 0.1
CUSTOM_MAX_BYTES = 2048  # a player's custom attributes, and an analytics event's metadata, as JSON
FLAG_TARGET = "liveops.flag"  # the audit log's target_type of a flag's changes


def liveops_changed() -> None:
    """Raise the version and tell every connected player, ``PUSH_DELAY`` after the commit (in the
    caller's transaction: a change that rolls back tells nobody)."""
    LiveopsVersion.objects.get_or_create(pk=1)
    LiveopsVersion.objects.filter(pk=1).update(version=F("version") + 1)
    transaction.on_commit(cache.expire)
    broadcast_later_on_commit(everyone_group(), CHANGED_FRAME, delay=PUSH_DELAY)


def _flag_detail(flag: Flag) -> dict:
    return {"defaultValue": flag.default_value, "rules": flag.rules}


def _flag_fields(fields: dict) -> dict:
    validate_name(fields["name"])
    rules = fields["rules"]
    fields = {**fields, "rules": list(rules) if isinstance(rules, list | tuple) else rules}
    validate_rules(fields["rules"])
    return fields


def _flag_changed(flag: Flag, action: str) -> None:
    # Higher apps (webhooks' flag.changed) hear of every flag change in its transaction.
    changed = {"flag.create": "created", "flag.update": "updated", "flag.rollback": "rolled_back"}
    detail = {"name": flag.name, "description": flag.description, **_flag_detail(flag)}
    hooks.flag_changed(flag.name, changed.get(action, "deleted"), detail)
    liveops_changed()


FLAGS = Versioned(
    model=Flag,
    target_type=FLAG_TARGET,
    prefix="flag",
    detail=_flag_detail,
    validate=_flag_fields,
    changed=_flag_changed,
    not_found=lambda name: NotFound(f"No flag named {name!r}.", code="flag_not_found"),
    conflict=lambda fields: Conflict(f"A flag named {fields['name']!r} exists already.", code="flag_exists"),
)


@transaction.atomic
def flag_create(*, staff: User | None, name: str, description: str = "", default_value=None, rules=()) -> Flag:
    """A new flag; 409 ``flag_exists`` when the name is taken."""
    return FLAGS.create(
        staff, {"name": name, "description": description, "default_value": default_value, "rules": rules}
    )


@transaction.atomic
def flag_update(*, staff: User | None, name: str, new_name: str, description: str, default_value, rules) -> Flag:
    """Replace a flag whole (a PUT); renaming it to a taken name is 409 ``flag_exists``."""
    fields = {"name": new_name, "description": description, "default_value": default_value, "rules": rules}
    return FLAGS.replace(staff, FLAGS.locked(name=name), "update", fields, {"renamed_from": name})


@transaction.atomic
def flag_rollback(*, staff: User | None, name: str, audit_id: int) -> Flag:
    """Put back the ``defaultValue`` and ``rules`` a flag had right after the change ``audit_id``
    (an entry of its history, ``selectors.change_history``): the flag's name and description stay.
    Audited as ``flag.rollback`` (before, after and the entry); 404 ``version_not_found`` for an
    entry that is not a version of this flag."""
    flag = FLAGS.locked(name=name)
    version = FLAGS.version(flag, audit_id, f"the flag {name!r}")
    fields = {"name": flag.name, "description": flag.description}
    fields |= {"default_value": version.get("defaultValue"), "rules": version.get("rules", [])}
    return FLAGS.replace(staff, flag, "rollback", fields, {"audit_id": audit_id})


@transaction.atomic
def flag_delete(*, staff: User | None, name: str) -> None:
    FLAGS.delete(staff, FLAGS.locked(name=name))


def json_size(value) -> int:
    """Bytes of ``value`` as compact JSON in UTF-8: what ``CUSTOM_MAX_BYTES`` bounds."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def attributes_set(*, user: User, country: str, platform: str, app_version: str, custom: dict) -> PlayerAttributes:
    """Keep what the client says about itself; ``custom`` at most 2 KiB as JSON."""
    if not isinstance(custom, dict):
        raise serializers.ValidationError({"custom": ["Must be a JSON object."]})
    if json_size(custom) > CUSTOM_MAX_BYTES:
        raise serializers.ValidationError({"custom": [f"At most {CUSTOM_MAX_BYTES} bytes as JSON."]})
    attributes, _ = PlayerAttributes.objects.update_or_create(
        user=user, defaults={"country": country, "platform": platform, "app_version": app_version, "custom": custom}
    )
    return attributes
