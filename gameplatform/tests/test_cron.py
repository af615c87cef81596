from datetime import UTC, datetime, timedelta

import pytest

from gameplatform.core.cron import Cron, CronError


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("* * * * *", "2026-01-01T10:00:30", "2026-01-01T10:01:00"),
        ("0 0 * * *", "2026-01-01T10:00:00", "2026-01-02T00:00:00"),
        ("*/15 * * * *", "2026-01-01T10:14:59", "2026-01-01T10:15:00"),
        ("10-50/20 9 * * *", "2026-01-01T09:31:00", "2026-01-01T09:50:00"),
        ("0 12 1,15 * *", "2026-01-02T00:00:00", "2026-01-15T12:00:00"),
        ("0 0 * * 1", "2026-01-01T00:00:00", "2026-01-05T00:00:00"),  # Monday
        ("0 0 * * 7", "2026-01-01T00:00:00", "2026-01-04T00:00:00"),  # 7 is Sunday too
        ("0 0 13 * 5", "2026-02-01T00:00:00", "2026-02-06T00:00:00"),  # day 13 OR a Friday
        ("0 0 29 2 *", "2026-03-01T00:00:00", "2028-02-29T00:00:00"),
        ("30 23 31 12 *", "2026-12-31T23:30:00", "2027-12-31T23:30:00"),
    ],
)
def test_next_time_follows_standard_cron(expression, after, expected):
    assert Cron.parse(expression).next_after(at(after)) == at(expected)


@pytest.mark.parametrize(
    "expression", ["* * * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "a * * * *", "5-1 * * * *"]
)
def test_malformed_expressions_are_refused(expression):
    with pytest.raises(CronError):
        Cron.parse(expression)


def test_a_date_that_never_comes_is_refused():
    with pytest.raises(CronError):
        Cron.parse("0 0 31 2 *").next_after(at("2026-01-01T00:00:00"))


def test_the_latest_time_at_or_before_is_found_within_its_window():
    every_evening = Cron.parse("0 18 * * 1-5")  # weekdays at 18:00
    friday_night, sunday = at("2026-11-27T23:00:00"), at("2026-11-29T12:00:00")
    assert every_evening.latest_at_or_before(friday_night, not_before=friday_night - timedelta(days=3)) == at(
        "2026-11-27T18:00:00"
    )
    assert every_evening.latest_at_or_before(sunday, not_before=sunday - timedelta(hours=30)) is None
    assert Cron.parse("*/15 9-10 1,15 * *").minutes == (0, 15, 30, 45)


def test_a_refusal_names_the_field():
    with pytest.raises(CronError, match=r"^hour: '24' is outside 0-23$"):
        Cron.parse("0 24 * * *")
