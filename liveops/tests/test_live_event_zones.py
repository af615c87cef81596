"""A live event's recurrence is read in the time zone it names, or in each player's own: a weekend
in Tokyo starts hours before one in Paris."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from gameplatform.core.cron import Cron
from liveops.schedule import running, services

pytestmark = pytest.mark.django_db

URL = "/api/liveops/admin/live-events/"
WEEKEND = "0 0 * * 6"  # Saturday 00:00, for two days
TWO_DAYS = 2 * 86400
FRIDAY = datetime(2026, 11, 27, tzinfo=UTC)  # a Friday; Paris is UTC+1 then, Tokyo UTC+9


def weekend(zone: str, **extra):
    return services.live_event_create(
        staff=None,
        name=f"Weekend in {zone}",
        starts_at=FRIDAY - timedelta(days=7),
        ends_at=FRIDAY + timedelta(days=7),
        recurrence=WEEKEND,
        duration_seconds=TWO_DAYS,
        timezone=zone,
        **extra,
    )


def starts(at: datetime, zone=None) -> dict[str, datetime]:
    events = running.current()
    found = running.running(at, events) if zone is None else running.for_player([], {"custom": {"timezone": zone}}, at)
    return {o.event.name: o.starts_at for o in found}


def test_a_weekend_in_tokyo_starts_eight_hours_before_one_in_paris():
    weekend("Asia/Tokyo")
    weekend("Europe/Paris")
    weekend("UTC")
    tokyo_start = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # Saturday 00:00 in Tokyo
    paris_start = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)  # Saturday 00:00 in Paris
    assert starts(tokyo_start - timedelta(minutes=1)) == {}
    assert starts(tokyo_start) == {"Weekend in Asia/Tokyo": tokyo_start}
    assert starts(paris_start) == {"Weekend in Asia/Tokyo": tokyo_start, "Weekend in Europe/Paris": paris_start}
    saturday_utc = datetime(2026, 11, 28, tzinfo=UTC)
    assert starts(saturday_utc)["Weekend in UTC"] == saturday_utc
    # Monday 00:00 in Tokyo (Sunday 15:00 UTC) ends Tokyo's weekend; Paris's runs until 23:00
    assert set(starts(datetime(2026, 11, 29, 15, 0, tzinfo=UTC))) == {"Weekend in Europe/Paris", "Weekend in UTC"}


def test_a_recurrence_in_each_players_own_zone_starts_at_their_midnight():
    weekend("player")
    tokyo_start = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert starts(tokyo_start) == {}  # nobody's own: not in what runs for everyone
    assert starts(tokyo_start, zone="Asia/Tokyo") == {"Weekend in player": tokyo_start}
    assert starts(tokyo_start, zone="Europe/Paris") == {}
    assert starts(tokyo_start, zone="America/Nowhere") == {}  # no such zone: UTC's Saturday
    assert starts(datetime(2026, 11, 28, tzinfo=UTC), zone="Nowhere") == {"Weekend in player": FRIDAY + timedelta(1)}
    # the push timer sees it start in Tokyo, as any start
    keys = running.running_keys(tokyo_start)
    assert any(start == tokyo_start for _, start in keys)


def test_across_a_daylight_saving_change_the_wall_clock_time_is_kept():
    daily = Cron.parse("0 18 * * *")
    paris = ZoneInfo("Europe/Paris")
    before = daily.latest_at_or_before(
        datetime(2026, 10, 24, 20, tzinfo=UTC), not_before=datetime(2026, 10, 23, tzinfo=UTC), tz=paris
    )
    after = daily.latest_at_or_before(
        datetime(2026, 10, 25, 20, tzinfo=UTC), not_before=datetime(2026, 10, 24, tzinfo=UTC), tz=paris
    )
    assert before == datetime(2026, 10, 24, 16, tzinfo=UTC)  # 18:00 summer time (UTC+2)
    assert after == datetime(2026, 10, 25, 17, tzinfo=UTC)  # 18:00 winter time (UTC+1)


def test_a_player_sees_the_event_of_their_own_zone_through_the_api(client_for, make_flag, alice, bob):
    make_flag("xp-multiplier", 1)
    now = timezone.now()
    tokyo_hour = now.astimezone(ZoneInfo("Asia/Tokyo")).hour
    event = services.live_event_create(
        staff=None,
        name="Tokyo's evening hour",
        starts_at=now - timedelta(days=2),
        ends_at=now + timedelta(days=2),
        recurrence=f"0 {tokyo_hour} * * *",
        duration_seconds=3600,
        timezone="player",
        overrides={"xp-multiplier": 2},
    )
    tokyo, paris = client_for(alice), client_for(bob)
    tokyo.put("/api/liveops/attributes/", {"custom": {"timezone": "Asia/Tokyo"}}, format="json")
    paris.put("/api/liveops/attributes/", {"custom": {"timezone": "Europe/Paris"}}, format="json")
    mine = tokyo.get("/api/liveops/").json()
    assert [e["id"] for e in mine["live_events"]] == [event.pk]
    assert mine["flags"]["xp-multiplier"] == 2
    theirs = paris.get("/api/liveops/").json()
    assert theirs["live_events"] == [] and theirs["flags"]["xp-multiplier"] == 1


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"timezone": "Mars/Olympus"}, "IANA"),
        ({"timezone": "../../etc/passwd"}, "IANA"),
        ({"timezone": "player", "join": "explicit"}, "explicit"),
    ],
)
def test_a_time_zone_that_is_none_is_refused_naming_the_field(client_for, operator, extra, problem):
    now = timezone.now()
    body = {
        "name": "Weekend",
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=3)).isoformat(),
        "recurrence": WEEKEND,
        "duration_seconds": TWO_DAYS,
        **extra,
    }
    response = client_for(operator).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert problem in str(response.json()["timezone"])


def test_an_event_keeps_its_zone_and_defaults_to_utc(client_for, operator):
    now = timezone.now()
    body = {"name": "Once", "starts_at": now.isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat()}
    created = client_for(operator).post(URL, body, format="json")
    assert created.status_code == 201 and created.json()["timezone"] == "UTC"
    named = client_for(operator).post(URL, {**body, "timezone": "Asia/Tokyo"}, format="json")
    assert named.json()["timezone"] == "Asia/Tokyo"
