"""Values read through a cursor, given as the ORM gives them.

Two reads on hot paths run a hand-written statement through ``connection.cursor()``
(Django's documented "Executing custom SQL directly"): the user behind a token
(``accounts.selectors``) and a user's friends with when each was last seen
(``friends.selectors``). The same reads through the ORM, which builds each query on every
call, cost three and four and a half times the CPU.

A cursor hands back what the database driver returns. PostgreSQL's datetimes are aware;
on a database without time zone support (SQLite) they are naive: Django writes them, and
the ORM reads them back, in the ``TIME_ZONE`` of the ``DATABASES`` entry, or UTC without one
(that setting's documented rule). ``aware`` applies that rule, so a hand-written read gives
the datetimes the ORM would.
"""

from datetime import UTC, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
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
