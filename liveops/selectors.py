"""Reads of live operations: flags, the version, a player's attributes as rules see them, and the
history of a flag or a live event (from the audit log their services write)."""

import json
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_by_token_get
from game.selectors import finished_games_played
from liveops.analytics.counts import event_count
from liveops.models import Flag, LiveopsVersion, PlayerAttributes
from payments.selectors import spent_cents
from progression.selectors import player_level
from staff.selectors import audit_entries

HISTORY_LIMIT = 200  # the newest changes shown; older ones stay in the audit log


def flag_list() -> QuerySet[Flag]:
    return Flag.objects.order_by("name")


def flag_rows() -> list[tuple[str, object, list]]:
    """``(name, default_value, rules)`` of every flag, by name (what the cache compiles)."""
    return list(Flag.objects.order_by("name").values_list("name", "default_value", "rules"))


def liveops_version() -> int:
    """The version of what players see: 0 before its first change."""
    return LiveopsVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def attributes_of(*, user_id: int) -> PlayerAttributes | None:
    return PlayerAttributes.objects.filter(user_id=user_id).first()


def player_find(*, query: str) -> User | None:
    """A player by username (any case) or, failing that, by id: whom the admin's preview shows."""
    query = query.strip()
    found = User.objects.filter(username__iexact=query).order_by("pk").first() if query else None
    if found is None and query.isdigit():
        found = user_by_token_get(user_id=query)
    return found


SENT = ("country", "platform", "app_version", "custom")


def sent_and_events(*, user_id: int) -> tuple[dict, dict[str, int]]:
    """What the client last sent (``{}`` before it sent anything) and ``{name: count}`` of the
    events ``ANALYTICS_AUDIENCE_EVENTS`` names, in one query (a player's answer reads it)."""
    names = settings.ANALYTICS_AUDIENCE_EVENTS
    if not names:
        sent = attributes_of(user_id=user_id)
        return ({field: getattr(sent, field) for field in SENT} if sent else {}), {}
    counts = {f"events_{n}": event_count(name=name) for n, name in enumerate(names)}
    row = User.objects.filter(pk=user_id).values(*(f"playerattributes__{field}" for field in SENT), **counts).first()
    row = row or {}
    sent = {field: row.get(f"playerattributes__{field}") for field in SENT}
    return sent, {name: row.get(f"events_{n}", 0) for n, name in enumerate(names)}


def player_attributes(*, user) -> dict:
    """The attributes a rule's condition and bucketing read for ``user`` (GrowthBook's ``attributes``):
    what the server knows, read now, what the client last sent, and the counts of the events
    audiences read."""
    sent, events = sent_and_events(user_id=user.pk)
    return {
        "id": user.pk,
        "username": user.username,
        "is_guest": bool(user.is_guest),
        "is_premium": bool(user.is_premium),
        "created_days": (timezone.now() - user.date_joined).days,
        "level": player_level(user_id=user.pk),
        "games_played": finished_games_played(user_id=user.pk),
        "spent": spent_cents(user_id=user.pk),
        "country": sent.get("country") or "",
        "platform": sent.get("platform") or "",
        "app_version": sent.get("app_version") or "",
        "custom": sent.get("custom") or {},
        "events": events,
    }


class Change(NamedTuple):
    """One change of a flag or a live event: ``before`` is None for a creation, ``after`` None for
    a deletion; each is the state as the service recorded it (a flag: ``{defaultValue, rules}``)."""

    audit_id: int
    at: datetime
    staff: str
    action: str
    before: dict | None
    after: dict | None

    @property
    def before_json(self) -> str:
        return json.dumps(self.before, indent=2, sort_keys=True)

    @property
    def after_json(self) -> str:
        return json.dumps(self.after, indent=2, sort_keys=True)


def _change(entry) -> Change:
    detail = entry.detail if isinstance(entry.detail, dict) else {}
    kind = entry.action.rpartition(".")[2]
    if kind == "create":
        before, after = None, detail
    elif kind == "delete":
        before, after = detail, None
    else:  # update, rollback: the services write both
        before, after = detail.get("before"), detail.get("after")
    return Change(entry.pk, entry.at, entry.staff_name or "system", entry.action, before, after)


def change_history(*, target_type: str, target_id, limit: int = HISTORY_LIMIT) -> list[Change]:
    """The changes of one flag (``liveops.flag``) or live event (``liveops.live_event``) by id,
    newest first."""
    return [_change(entry) for entry in audit_entries(target_type=target_type, target_id=str(target_id))[:limit]]


def version_after(*, target_type: str, target_id, audit_id: int) -> dict | None:
    """The state the change ``audit_id`` left its target in; None when that entry is no change of
    this target, or left nothing (a deletion)."""
    entry = audit_entries(target_type=target_type, target_id=str(target_id)).filter(pk=audit_id).first()
    return None if entry is None else _change(entry).after
