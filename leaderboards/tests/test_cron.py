from datetime import UTC, datetime

import pytest

from leaderboards.cron import Cron, CronError


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
