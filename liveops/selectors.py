"""Reads of live operations: flags, the version, a player's attributes as rules see them, and the
history of a flag or a live event (from the audit log their services write)."""

import json
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.authentication import admitted
from accounts.models import User
from accounts.selectors import user_by_token_get, user_columns
from game.selectors import finished_games_played_of
from gameplatform.data import rawsql
from liveops.analytics.counts import event_count
from liveops.inbox.selectors import unread_count_of
from liveops.models import Flag, LiveopsVersion, PlayerAttributes
from liveops.schedule.selectors import joined_of
from payments.selectors import spent_cents_of
from progression.selectors import player_level_of
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


def country_of(user_id: int) -> str:
    """The country the player's client last sent (``PUT /api/liveops/attributes/``), or ""."""
    return PlayerAttributes.objects.filter(user_id=user_id).values_list("country", flat=True).first() or ""


def player_find(*, query: str) -> User | None:
    """A player by username (any case) or, failing that, by id: whom the admin's preview shows."""
    query = query.strip()
    found = User.objects.filter(username__iexact=query).order_by("pk").first() if query else None
    if found is None and query.isdigit():
        found = user_by_token_get(user_id=query)
    return found


SENT = ("country", "platform", "app_version", "custom")
# The attributes the server computes from other apps' rows, each by a subquery of its own.
COMPUTED = ("level", "games_played", "spent", "events")

# The compiled reads of a player (``player_read``), by what shapes them; a handful at most: the
# attributes the rules read change with the flags, the audience events are a setting and the
# explicit live events running change a few times a day.
_READS: dict[tuple, rawsql.Compiled] = {}
_READS_KEPT = 32


def _read_of(
    computed: tuple[str, ...],
    names: tuple[str, ...],
    occurrences: tuple[tuple[int, datetime], ...],
    with_user: bool = False,
) -> rawsql.Compiled:
    key = (connection.vendor, computed, names, occurrences, with_user)
    statement = _READS.get(key)
    if statement is None:
        values = {f"sent_{field}": F(f"playerattributes__{field}") for field in SENT}
        expressions = {
            "level": player_level_of,
            "games_played": finished_games_played_of,
            "spent": spent_cents_of,
        }
        values |= {name: expressions[name]() for name in computed if name in expressions}
        values["unread"] = unread_count_of()
        if "events" in computed:
            values |= {f"events_{n}": event_count(name=name) for n, name in enumerate(names)}
        values |= {f"joined_{n}": joined_of(event_id=e, occurrence_start=s) for n, (e, s) in enumerate(occurrences)}
        users = user_columns() if with_user else ()
        if clash := set(users) & set(values):
            raise ValueError(f"a player's read names a user's column: {sorted(clash)}")
        statement = rawsql.compiled(User.objects.filter(pk=rawsql.MARKER).values(*users, **values))
        if len(_READS) >= _READS_KEPT:
            _READS.clear()
        _READS[key] = statement
    return statement


class PlayerRead(NamedTuple):
    """What ``player_read`` read of a player."""

    user: User
    attributes: dict  # GrowthBook's ``attributes``
    joined: set  # the occurrences joined, ``(event id, occurrence start)``
    unread: int  # unread inbox messages


def player_read(*, user, occurrences=(), reads: frozenset[str] | None = None) -> PlayerRead:
    """What a player's answer reads of the database, in one statement: the attributes a rule's
    condition and bucketing read for ``user`` (GrowthBook's ``attributes``: what the server knows,
    read now, what the client last sent, and the counts of the events audiences read), which of
    the live events' ``occurrences`` (``(event id, occurrence start)``) they joined, and their
    unread inbox messages.

    ``user``: a user, or the ``TokenUser`` of ``JWTAuthentication(read_user=False)``:
    then the user's own columns are read in the same statement and admitted by
    ``accounts.authentication.admitted`` (which raises its refusal: 401, or 403 for a locked
    account), one round trip instead of two.

    ``reads``: the attribute names the rules may read (``cache.names_in``); of the attributes
    computed from other apps' rows (``COMPUTED``), the others are neither read nor given (None:
    every one). A player's answer reads only what the flags and live events name: a subquery the
    rules never look at would cost each request its planning and its run for nothing.

    Hot: every ``GET /api/liveops/`` runs it. The statement is written by the ORM from each app's
    expression once per process and shape (``gameplatform.data.rawsql.compiled``), then only run."""
    computed = COMPUTED if reads is None else tuple(name for name in COMPUTED if name in reads)
    names = tuple(settings.ANALYTICS_AUDIENCE_EVENTS)
    occurrences = tuple(occurrences)
    claimed = not isinstance(user, User)
    row = rawsql.first_row(_read_of(computed, names, occurrences, claimed), user.pk)
    if claimed:
        user = admitted(user, row)
    row = row or {}
    attributes = {
        "id": user.pk,
        "username": user.username,
        "is_guest": bool(user.is_guest),
        "is_premium": bool(user.is_premium),
        "created_days": (timezone.now() - user.date_joined).days,
        "country": row.get("sent_country") or "",
        "platform": row.get("sent_platform") or "",
        "app_version": row.get("sent_app_version") or "",
        "custom": rawsql.json_value(row.get("sent_custom")) or {},
    }
    for name in computed:
        if name == "events":
            attributes["events"] = {event: row.get(f"events_{n}") or 0 for n, event in enumerate(names)}
        else:
            attributes[name] = row.get(name) or 0
    joined = {occurrence for n, occurrence in enumerate(occurrences) if row.get(f"joined_{n}")}
    return PlayerRead(user, attributes, joined, row.get("unread") or 0)


def player_attributes(*, user) -> dict:
    """The attributes a rule's condition and bucketing read for ``user`` (``player_read``)."""
    return player_read(user=user).attributes


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
