"""Values read through a cursor, given as the ORM gives them.

Reads on hot paths run a hand-written statement through ``connection.cursor()`` (Django's
documented "Executing custom SQL directly"): the user behind a token (``accounts.selectors``),
a user's friends with when each was last seen (``friends.selectors``), and a game's seats,
start and result on the database worker that records them (``game.services``, through
``instances``). The same reads through the ORM, which builds each query on every call, cost
three to four and a half times the CPU.

A cursor hands back what the database driver returns. PostgreSQL's datetimes are aware;
on a database without time zone support (SQLite) they are naive: Django writes them, and
the ORM reads them back, in the ``TIME_ZONE`` of the ``DATABASES`` entry, or UTC without one
(that setting's documented rule). ``aware`` applies that rule, so a hand-written read gives
the datetimes the ORM would.
"""

import json
from datetime import UTC, datetime, tzinfo
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, DateTimeField
from django.utils import timezone


@cache
def _zone(using: str) -> tzinfo:
    name = settings.DATABASES[using].get("TIME_ZONE")
    return ZoneInfo(name) if name else UTC


def aware(value: datetime | None, using: str = "default") -> datetime | None:
    """A datetime from a cursor of the ``using`` database, as the ORM reads it."""
    if value is None or not settings.USE_TZ or timezone.is_aware(value):
        return value
    return timezone.make_aware(value, _zone(using))


def column(field) -> str:
    """A field's column, quoted the SQL standard's way (PostgreSQL and SQLite share it): named by
    ``db_column``, else the field's ``attname`` (``_id`` for a foreign key)."""
    return f'"{field.db_column or field.attname}"'


def placeholders(count: int) -> str:
    """``%s, %s, ...``: one parameter per value of an ``IN (...)`` list."""
    return ", ".join(["%s"] * count)


def instances(
    model, names: list[str], where: str, params: list, *, order_by: str = "", lock: bool = False, no_key: bool = False
) -> list:
    """Instances of ``model`` read by one hand-written ``SELECT``, as the ORM would load them.

    ``names``: the fields to load (their ``attname``s), the others deferred (reading one later
    costs a query, as after ``.only()``); ``where`` and ``order_by``: SQL over the columns
    (``column``); ``lock``: ``FOR UPDATE`` where the database has it (PostgreSQL; SQLite locks
    the whole database for a write transaction), or with ``no_key`` ``FOR NO KEY UPDATE`` (as
    ``select_for_update(no_key=True)``: rows that reference it may still be inserted). The rows
    are made instances by ``Model.from_db`` (a documented API: the fields in
    ``_meta.concrete_fields`` order), datetimes as the ORM reads them (``aware``) and booleans as
    booleans (SQLite gives 0 and 1). No other conversion is made: a JSON column comes back as
    the driver gives it, so leave JSON fields out (deferred).

    A server's database worker ends many games a second: the same reads built by the ORM cost
    three to four times the CPU of the statement's own round trip (``game.services``).
    """
    wanted = set(names)
    fields = [field for field in model._meta.concrete_fields if field.attname in wanted]
    sql = f'SELECT {", ".join(column(f) for f in fields)} FROM "{model._meta.db_table}" WHERE {where}'
    if order_by:
        sql += f" ORDER BY {order_by}"
    if lock and connection.features.has_select_for_update:
        sql += " FOR NO KEY UPDATE" if no_key and connection.features.has_select_for_no_key_update else " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    datetimes = [i for i, field in enumerate(fields) if isinstance(field, DateTimeField)]
    booleans = [i for i, field in enumerate(fields) if isinstance(field, BooleanField)]
    attnames = [field.attname for field in fields]
    made = []
    for row in rows:
        if datetimes or booleans:
            row = list(row)
            for i in datetimes:
                row[i] = aware(row[i], connection.alias)
            for i in booleans:
                row[i] = None if row[i] is None else bool(row[i])
        made.append(model.from_db(connection.alias, attnames, row))
    return made


# Where a compiled read's value goes: the ORM writes the statement with this number in its place.
MARKER = -7_340_216_951


class Compiled(NamedTuple):
    """A read the ORM wrote once (``compiled``): its SQL and its parameters, ``MARKER`` at ``places``."""

    sql: str
    params: tuple
    places: tuple[int, ...]
    # Its columns' names, kept at its first run: the driver's ``description`` makes an object per
    # column at every run (a read of 24 columns spent more on it than on its row).
    names: list[str]


def compiled(queryset) -> Compiled:
    """``queryset``'s statement as the ORM writes it, to run again and again (``first_row``) with
    another value where the queryset has ``MARKER`` (a filter on it, ``pk=MARKER``).

    For a read of many subqueries on a hot path: the ORM builds a query anew on every call, and
    for a statement of six subqueries that costs many times the statement's own round trip. Each
    concept's subquery stays where its app writes it (an expression of its selectors); the
    statement is built from them once per process. ``Query.sql_with_params`` is what the ORM
    itself runs; its ``str()`` would inline the parameters. Values come back as the driver gives
    them: see ``first_row``."""
    sql, params = queryset.query.sql_with_params()
    places = tuple(i for i, param in enumerate(params) if param == MARKER)
    if not places:
        raise ValueError("the queryset has no MARKER: a compiled read needs the place of its value")
    return Compiled(sql, tuple(params), places, [])


def first_row(statement: Compiled, value) -> dict | None:
    """The first row of ``statement`` run with ``value`` in ``MARKER``'s places, ``{column: value}``
    (its columns named as the queryset's ``values()`` named them), or None.

    Values are the driver's: JSON as text or decoded (``json_value``), booleans as 0 and 1 on
    SQLite, datetimes as ``aware`` describes."""
    params = list(statement.params)
    for place in statement.places:
        params[place] = value
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        row = cursor.fetchone()
        if not statement.names:
            statement.names[:] = [column[0] for column in cursor.description]
    return None if row is None else dict(zip(statement.names, row, strict=True))


def json_value(value):
    """A JSON column's value from a cursor: decoded, whichever the driver gave."""
    return json.loads(value) if isinstance(value, str | bytes) else value
