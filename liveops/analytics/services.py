"""Recording the analytics events a client sends. An event is kept once per player and client id:
a batch is one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (two requests racing with the same
ids store each once and count it once: the unique constraint decides, and each counts what it
inserted).

A timer adds each finished hour to its day's roll-up (``AnalyticsDay``) and another drops the
raw events older than ``ANALYTICS_RAW_DAYS`` once they are rolled up: what was received before
the roll-up's boundary (``AnalyticsRollup.raw_from``) is read from the roll-up, what came after
from the raw events."""

from datetime import UTC, datetime, timedelta

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Subquery
from django.utils import timezone

from accounts.models import User
from gameplatform.core.errors import ApplicationError
from liveops.analytics.models import AnalyticsDay, AnalyticsEvent, AnalyticsRollup
from liveops.services import CUSTOM_MAX_BYTES, json_size

METADATA_MAX_BYTES = CUSTOM_MAX_BYTES  # an event's metadata as JSON, as a player's custom attributes

# One statement a batch, the batch its one parameter (a JSON array, expanded by the database, each
# event with its player: a client's batch is one player's, a result batch's goal events many): the
# new events inserted, the stored ids skipped by the unique constraint, and the inserted ids
# returned, so the answer's counts are exact even when two requests race. SQLite's INSERT … SELECT
# needs a WHERE before ON CONFLICT (its documented parsing rule).
_INSERT_SQL = {
    "postgresql": """
INSERT INTO {events} ({user}, {client_id}, {name}, {timestamp}, {value}, {metadata}, {received_at})
SELECT e.user_id, e.id, e.name, e.timestamp, e.value, e.metadata, %s
FROM jsonb_to_recordset(%s::jsonb)
  AS e(user_id bigint, id text, name text, timestamp timestamptz, value double precision, metadata jsonb)
ON CONFLICT ({user}, {client_id}) DO NOTHING
RETURNING {client_id}
""",
    "sqlite": """
INSERT INTO {events} ({user}, {client_id}, {name}, {timestamp}, {value}, {metadata}, {received_at})
SELECT json_extract(e.value, '$.user_id'), json_extract(e.value, '$.id'), json_extract(e.value, '$.name'),
json_extract(e.value, '$.timestamp'), json_extract(e.value, '$.value'), json_extract(e.value, '$.metadata'), %s
FROM json_each(%s) AS e WHERE true
ON CONFLICT ({user}, {client_id}) DO NOTHING
RETURNING {client_id}
""",
}
_COLUMNS = ("user", "client_id", "name", "timestamp", "value", "metadata", "received_at")


def _insert_sql() -> str:
    quote = connection.ops.quote_name
    meta = AnalyticsEvent._meta
    columns = {name: quote(meta.get_field(name).column) for name in _COLUMNS}
    return _INSERT_SQL[connection.vendor].format(events=quote(meta.db_table), **columns)


# What the server records itself (a client may not send these names, nor ids with this prefix).
SERVER_EVENTS = ("game_finished",)
SERVER_ID_PREFIX = "server:"


def games_finished_record(rewards: list[dict]) -> None:
    """The goal events ``game_finished`` of the players of a result batch (each of ``rewards``
    ``{game_id, mode, user_id, outcome, xp}``), once per game and player (its id
    ``server:game:<id>``): its value the XP the game gave them, so an experiment on XP is read by
    ``goal=game_finished`` (the ``game.hooks.players_rewarded`` reaction, in the results'
    transaction): one insert for the batch."""
    now = timezone.now()
    _insert(
        events=[
            {
                "user_id": reward["user_id"],
                "id": f"{SERVER_ID_PREFIX}game:{reward['game_id']}",
                "name": "game_finished",
                "timestamp": now,
                "value": reward["xp"],
                "metadata": {"game_id": reward["game_id"], "mode": reward["mode"], "outcome": reward["outcome"]},
            }
            for reward in rewards
        ]
    )


def events_record(*, user: User, events: list[dict]) -> tuple[int, int]:
    """Store ``events`` (each ``{id, name, timestamp, value, metadata}``, validated); answer
    ``(accepted, duplicates)``: an id stored before, or repeated in the batch, is a duplicate.

    Hot (every client sends its events): one hand-written statement through a cursor, whose one
    parameter is the batch as JSON (datetimes as the database's backend adapts them); the ORM's
    ``bulk_create`` and a read of the stored ids cost five times the CPU (docs/benchmarks.md).

    An event whose metadata is over ``METADATA_MAX_BYTES`` as JSON refuses the batch: 400
    ``metadata_too_large``, naming it."""
    for event in events:
        if json_size(event.get("metadata") or {}) > METADATA_MAX_BYTES:
            raise ApplicationError(
                f"Event {event['id']!r}: metadata is larger than {METADATA_MAX_BYTES} bytes of JSON.",
                code="metadata_too_large",
            )
    accepted = _insert(events=[{**event, "user_id": user.pk} for event in events])
    return accepted, len(events) - accepted


def _insert(*, events: list[dict]) -> int:
    """Store ``events`` (each with its ``user_id``), each player's id once: how many were new."""
    fresh: dict[tuple[int, str], dict] = {}
    for event in events:
        fresh.setdefault((event["user_id"], event["id"]), event)
    if not fresh:
        return 0
    adapt = connection.ops.adapt_datetimefield_value
    batch = [
        {
            "user_id": user_id,
            "id": client_id,
            "name": event["name"],
            "timestamp": str(adapt(event["timestamp"])),
            "value": event.get("value"),
            "metadata": event.get("metadata") or {},
        }
        for (user_id, client_id), event in fresh.items()
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(), [adapt(timezone.now()), orjson.dumps(batch).decode()])
        return len(cursor.fetchall())


# --- the daily roll-up and the raw events' retention (docs/liveops.md, "How events are stored") ---

HOUR = timedelta(hours=1)
# An hour is rolled up this long after its end: an event is stamped ``received_at`` before its
# transaction commits, so one stamped at 11:59:59.9 may still be on its way after noon.
ROLL_UP_GRACE = timedelta(hours=1)
ROLL_UP_HOURS_PER_ROUND = 1  # a round stays short (the other timers wait for it)
FORGET_BATCH = 5000
FORGET_BATCHES_PER_ROUND = 1  # a round stays short (the other timers wait for it); it runs every 10 s

# One statement per hour, whatever its size: nothing goes through Python. It adds the hour to its
# day's rows; each hour is added once, in the transaction that moves the boundary past it.
_ROLL_UP_SQL = """
INSERT INTO {days} ({user}, {name}, {day}, {count}, {value_sum}, {last_at})
SELECT {user}, {name}, %s, COUNT(*), SUM({value}), MAX({received_at}) FROM {events}
WHERE {received_at} >= %s AND {received_at} < %s
GROUP BY {user}, {name}
ON CONFLICT ({user}, {name}, {day}) DO UPDATE SET
{count} = {days}.{count} + excluded.{count},
{value_sum} = CASE WHEN excluded.{value_sum} IS NULL THEN {days}.{value_sum}
  WHEN {days}.{value_sum} IS NULL THEN excluded.{value_sum}
  ELSE {days}.{value_sum} + excluded.{value_sum} END,
{last_at} = CASE WHEN excluded.{last_at} > {days}.{last_at} THEN excluded.{last_at} ELSE {days}.{last_at} END
"""


def _roll_up_sql() -> str:
    quote = connection.ops.quote_name
    columns = ("user", "name", "day", "count", "value_sum", "last_at", "value", "received_at")
    names = {column: quote(column if column != "user" else "user_id") for column in columns}
    tables = {"days": quote(AnalyticsDay._meta.db_table), "events": quote(AnalyticsEvent._meta.db_table)}
    return _ROLL_UP_SQL.format(**names, **tables)


def _add_hour(start: datetime) -> None:
    """Add the raw events received in the hour from ``start`` to their day's rows."""
    params = [
        connection.ops.adapt_datefield_value(start.date()),
        connection.ops.adapt_datetimefield_value(start),
        connection.ops.adapt_datetimefield_value(start + HOUR),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_roll_up_sql(), params)


def _hour_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _next_raw_hour(*, since: datetime | None) -> datetime | None:
    """The start of the hour of the first event received at or after ``since`` (any: None)."""
    events = AnalyticsEvent.objects.filter(received_at__gte=since) if since else AnalyticsEvent.objects.all()
    first = events.order_by("received_at").values_list("received_at", flat=True).first()
    return None if first is None else _hour_start(first)


@transaction.atomic
def events_roll_up_next(*, now: datetime) -> bool:
    """Add the first hour not rolled up yet to the roll-up if it ended ``ROLL_UP_GRACE`` ago, and
    move the boundary past it (and past the empty hours that follow, up to the last hour that ended
    ``ROLL_UP_GRACE`` ago), in one transaction that holds the roll-up's row: runners take turns,
    and each hour is added once. Answers whether an hour was done."""
    AnalyticsRollup.objects.get_or_create(pk=1)
    state = AnalyticsRollup.objects.select_for_update().get(pk=1)
    start = _next_raw_hour(since=state.raw_from)
    if start is None or start + HOUR + ROLL_UP_GRACE > now:
        return False
    _add_hour(start)
    following = _next_raw_hour(since=start + HOUR)
    closed = _hour_start(now - ROLL_UP_GRACE)  # every hour before it ended ROLL_UP_GRACE ago
    state.raw_from = max(start + HOUR, min(following or closed, closed))
    state.save(update_fields=["raw_from"])
    return True


def events_roll_up(*, now: datetime | None = None, hours: int = ROLL_UP_HOURS_PER_ROUND) -> int:
    """The timer's round: up to ``hours`` due hours, each in its own transaction. Answers how many
    hours were rolled up."""
    now = now or timezone.now()
    done = 0
    while done < hours and events_roll_up_next(now=now):
        done += 1
    return done


def events_forget(
    *, now: datetime | None = None, batch: int = FORGET_BATCH, batches: int = FORGET_BATCHES_PER_ROUND
) -> int:
    """Drop the raw events older than ``ANALYTICS_RAW_DAYS`` once rolled up, oldest first,
    ``batch`` at a time (each a short statement of its own), at most ``batches`` times. Answers how
    many went."""
    now = now or timezone.now()
    raw_from = AnalyticsRollup.objects.filter(pk=1).values_list("raw_from", flat=True).first()
    if raw_from is None:
        return 0
    kept_from = now - timedelta(days=settings.ANALYTICS_RAW_DAYS)
    old = AnalyticsEvent.objects.filter(received_at__lt=min(raw_from, kept_from))
    forgotten = 0
    for _ in range(batches):
        oldest = old.order_by("received_at").values("pk")[:batch]
        deleted = AnalyticsEvent.objects.filter(pk__in=Subquery(oldest)).delete()[0]
        forgotten += deleted
        if deleted < batch:
            break
    return forgotten
