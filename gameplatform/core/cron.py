"""Five-field cron: a leaderboard's reset (``next_after``, read in its moment's time zone) and a
recurring live event's occurrences (``latest_at_or_before``, read in UTC or the zone it is given).

``minute hour day-of-month month day-of-week`` (0-59, 0-23, 1-31, 1-12, 0-7 with 0 and 7 Sunday);
each field ``*``, a number, a range ``a-b``, a step ``*/n`` or ``a-b/n`` (``a/n``: from a to the
end), or a list of those separated by commas. As in cron, when both day fields are restricted, a
day matching either one matches. Names (``MON``, ``JAN``) and macros (``@daily``) are not supported.

Our own rather than a cron library: a live event's occurrence is computed from the clock at every
read of a player's live state, from an expression parsed once per process; docs/liveops.md
("Recurrence") measures the walk below against cronsim's, which parses at every walk.
"""

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import NamedTuple

FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
YEARS_SEARCHED = 5  # every expression that ever matches does so within 5 years (Feb 29 included)


class CronError(ValueError):
    """An expression outside the subset, or one that never matches; the message names the field."""


def _field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if span == "*":
                first, last = low, high
            elif "-" in span:
                first, last = (int(n) for n in span.split("-", 1))
            else:
                first = int(span)
                last = high if step_text else first
        except ValueError:
            raise CronError(f"{name}: {part!r} is not a number, range or step") from None
        if step < 1 or not low <= first <= last <= high:
            raise CronError(f"{name}: {part!r} is outside {low}-{high}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


class Cron(NamedTuple):
    minutes: tuple[int, ...]  # ascending
    hours: tuple[int, ...]  # ascending
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool  # day of month is *
    any_weekday: bool  # day of week is *

    @classmethod
    def parse(cls, expression: str) -> "Cron":
        """The expression, or ``CronError`` naming the field that is outside the subset."""
        parts = expression.split()
        if len(parts) != len(FIELDS):
            raise CronError("A cron expression has 5 fields: minute hour day-of-month month day-of-week.")
        minutes, hours, days, months, weekdays = (_field(text, *spec) for text, spec in zip(parts, FIELDS, strict=True))
        return cls(
            tuple(sorted(minutes)),
            tuple(sorted(hours)),
            days,
            months,
            frozenset(d % 7 for d in weekdays),
            parts[2] == "*",
            parts[4] == "*",
        )

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        in_month, in_week = day.day in self.days, (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def next_after(self, moment: datetime) -> datetime:
        """The first matching minute strictly after ``moment``, in its tzinfo; ``CronError``
        when the expression never matches (``0 0 31 2 *``)."""
        start = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.replace(hour=0, minute=0)
        for _ in range(366 * YEARS_SEARCHED):
            if self.matches_day(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        candidate = day.replace(hour=hour, minute=minute)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        raise CronError("This cron expression never matches.")

    def latest_at_or_before(self, at: datetime, *, not_before: datetime, tz: tzinfo = UTC) -> datetime | None:
        """The latest matching minute in ``[not_before, at]``, the expression read as wall-clock
        time in ``tz`` (UTC unless given), as a UTC datetime; or None. Walks back a day at a time:
        its cost is the number of days in the window, not of minutes. A wall-clock time a daylight
        saving change skips is read with the offset before the change (02:30 on a spring-forward
        night in Paris is 01:30 UTC, 03:30 there); one it repeats, at its first occurrence."""
        at, not_before = at.astimezone(UTC), not_before.astimezone(UTC)
        day = at.astimezone(tz).date()
        while day >= not_before.astimezone(tz).date():
            if self.matches_day(day):
                for hour in reversed(self.hours):
                    for minute in reversed(self.minutes):
                        moment = datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)
                        if moment <= at:
                            return moment if moment >= not_before else None
            day -= timedelta(days=1)
        return None
