"""The cron subset a live event's ``recurrence`` may use, read in UTC (no cron library is installed).

Five fields, ``minute hour day-of-month month day-of-week`` (0-59, 0-23, 1-31, 1-12, 0-6 with 0
Sunday); each ``*``, a number, a range ``a-b``, a step ``*/n`` or ``a-b/n``, or a list of those
separated by commas. As in cron, when both days are restricted a day matching either one matches.
Names (``MON``, ``JAN``) and macros (``@daily``) are not supported.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 6))


class Cron(NamedTuple):
    minutes: tuple[int, ...]  # descending: the latest first
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool  # day of month is *
    any_weekday: bool  # day of week is *


def _part(part: str, low: int, high: int) -> set[int]:
    span, _, step = part.partition("/")
    step_n = int(step) if step else 1
    if span == "*":
        first, last = low, high
    elif "-" in span:
        first, last = (int(n) for n in span.split("-", 1))
    else:
        first = last = int(span)
    if step_n < 1 or not low <= first <= last <= high:
        raise ValueError(f"out of range {low}-{high}")
    return set(range(first, last + 1, step_n))


def parse(text: str) -> Cron:
    """A ``Cron``; ``ValueError`` naming the field when ``text`` is outside the subset."""
    parts = text.split()
    if len(parts) != len(FIELDS):
        raise ValueError("a recurrence has five fields: minute hour day-of-month month day-of-week.")
    values = []
    for field, (label, low, high) in zip(parts, FIELDS, strict=True):
        try:
            values.append(set().union(*(_part(p, low, high) for p in field.split(","))))
        except ValueError as exc:
            raise ValueError(f"{label} {field!r}: {exc}") from None
    minutes, hours, days, months, weekdays = values
    return Cron(
        tuple(sorted(minutes, reverse=True)),
        tuple(sorted(hours, reverse=True)),
        frozenset(days),
        frozenset(months),
        frozenset(weekdays),
        parts[2] == "*",
        parts[4] == "*",
    )


def _day_matches(cron: Cron, day: date) -> bool:
    if day.month not in cron.months:
        return False
    in_month, in_week = day.day in cron.days, (day.isoweekday() % 7) in cron.weekdays
    if cron.any_day or cron.any_weekday:
        return in_month and in_week
    return in_month or in_week


def latest_at_or_before(cron: Cron, at: datetime, *, not_before: datetime) -> datetime | None:
    """The latest time of ``cron`` in ``[not_before, at]`` (UTC), or None. Walks back a day at a
    time, so its cost is the number of days in the window, not of minutes."""
    at, not_before = at.astimezone(UTC), not_before.astimezone(UTC)
    day = at.date()
    while day >= not_before.date():
        if _day_matches(cron, day):
            for hour in cron.hours:
                for minute in cron.minutes:
                    moment = datetime.combine(day, time(hour, minute), tzinfo=UTC)
                    if moment <= at:
                        return moment if moment >= not_before else None
        day -= timedelta(days=1)
    return None
