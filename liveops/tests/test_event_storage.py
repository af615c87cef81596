"""How analytics events are stored: each finished hour is added to its day's roll-up (per name
and player) once, and the raw events go after ``ANALYTICS_RAW_DAYS``; experiment results and the
event counts audiences read are the same before and after."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Count, Max, Sum

from accounts.models import User, username_key
from conftest import requires_postgres
from liveops import cache
from liveops.analytics.services import events_forget, events_roll_up
from liveops.models import AnalyticsDay, AnalyticsEvent, AnalyticsRollup, Exposure
from liveops.selectors import player_attributes

pytestmark = pytest.mark.django_db

DAY_1 = datetime(2026, 10, 1, tzinfo=UTC)
EXPERIMENT = {"variations": ["a", "b"], "weights": [0.5, 0.5], "key": "shop-2026", "hashAttribute": "id", "coverage": 1}


def received(user: User, at: datetime, name: str = "purchase", value: float | None = None) -> AnalyticsEvent:
    """An event of ``user`` received at ``at`` (its client id is unique)."""
    received.serial += 1
    return AnalyticsEvent.objects.create(
        user=user, client_id=str(received.serial), name=name, timestamp=at, value=value, received_at=at
    )


received.serial = 0


def players(count: int) -> list[User]:
    names = [f"p{n}" for n in range(count)]
    return User.objects.bulk_create([User(username=name, username_key=username_key(name)) for name in names])


def raw_counts(day: date) -> dict:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    rows = (
        AnalyticsEvent.objects.filter(received_at__gte=start, received_at__lt=start + timedelta(days=1))
        .values("user_id", "name")
        .annotate(count=Count("pk"), value_sum=Sum("value"), last_at=Max("received_at"))
    )
    return {(row["user_id"], row["name"]): (row["count"], row["value_sum"], row["last_at"]) for row in rows}


def rolled_counts(day: date) -> dict:
    rows = AnalyticsDay.objects.filter(day=day).values_list("user_id", "name", "count", "value_sum", "last_at")
    return {(user, name): (count, value_sum, last_at) for user, name, count, value_sum, last_at in rows}


def test_a_days_roll_up_hour_by_hour_equals_its_raw_counts_and_running_again_adds_nothing():
    alice, bob = players(2)
    for hour in range(3):
        received(alice, DAY_1 + timedelta(hours=hour), value=2.5)
    received(alice, DAY_1 + timedelta(hours=2, minutes=30), value=None)
    received(alice, DAY_1 + timedelta(hours=5), name="level_up")
    received(bob, DAY_1 + timedelta(hours=23, minutes=59), value=1.0)
    received(bob, DAY_1 + timedelta(days=1))  # the next day: not in this one
    now = DAY_1 + timedelta(days=2)
    assert events_roll_up(now=now, hours=100) == 6  # the hours with events
    expected = raw_counts(DAY_1.date())
    assert rolled_counts(DAY_1.date()) == expected
    assert expected[(alice.pk, "purchase")] == (4, 7.5, DAY_1 + timedelta(hours=2, minutes=30))
    assert expected[(alice.pk, "level_up")][:2] == (1, None)
    assert events_roll_up(now=now, hours=100) == 0
    assert rolled_counts(DAY_1.date()) == expected
    assert AnalyticsDay.objects.count() == 4


def test_an_hour_is_rolled_up_once_an_hour_after_it_ended_and_never_again():
    (alice,) = players(1)
    received(alice, DAY_1 + timedelta(hours=12))
    received(alice, DAY_1 + timedelta(days=1, hours=12))
    assert events_roll_up(now=DAY_1 + timedelta(hours=13, minutes=59)) == 0
    assert events_roll_up(now=DAY_1 + timedelta(hours=14)) == 1
    assert AnalyticsRollup.objects.get().raw_from == DAY_1 + timedelta(hours=13)
    assert events_roll_up(now=DAY_1 + timedelta(hours=20)) == 0
    assert list(AnalyticsDay.objects.values_list("day", "count")) == [(DAY_1.date(), 1)]


def test_a_round_rolls_up_the_next_hour_with_events_and_skips_the_empty_ones():
    (alice,) = players(1)
    for day in [*range(10), 20]:
        received(alice, DAY_1 + timedelta(days=day, hours=1))
    now = DAY_1 + timedelta(days=30)
    assert events_roll_up(now=now) == 1
    assert events_roll_up(now=now, hours=7) == 7
    assert events_roll_up(now=now, hours=7) == 3
    assert AnalyticsRollup.objects.get().raw_from == now - timedelta(hours=1)  # the last hour that ended
    assert events_roll_up(now=now) == 0
    assert AnalyticsDay.objects.count() == 11
    assert set(AnalyticsDay.objects.values_list("count", flat=True)) == {1}


def test_retention_drops_only_rolled_up_raw_events_older_than_the_setting_in_batches(settings):
    settings.ANALYTICS_RAW_DAYS = 30
    (alice,) = players(1)
    now = DAY_1 + timedelta(days=60)
    old = [received(alice, DAY_1 + timedelta(days=day, hours=hour)) for day in range(4) for hour in range(3)]
    kept = [received(alice, now - timedelta(days=29)), received(alice, now - timedelta(hours=2))]
    assert events_forget(now=now) == 0  # nothing rolled up yet: nothing goes
    events_roll_up(now=DAY_1 + timedelta(days=2, hours=1), hours=100)  # days 1 and 2 only
    assert events_forget(now=now, batch=4, batches=1) == 4
    assert events_forget(now=now, batch=4, batches=5) == 2  # the rest of days 1 and 2
    remaining = set(AnalyticsEvent.objects.values_list("pk", flat=True))
    assert remaining == {event.pk for event in old[6:] + kept}
    events_roll_up(now=now, hours=100)
    assert events_forget(now=now, batch=4, batches=5) == 6
    assert set(AnalyticsEvent.objects.values_list("pk", flat=True)) == {event.pk for event in kept}
    assert AnalyticsDay.objects.aggregate(total=Sum("count"))["total"] == 12 + 2  # the kept ones are rolled up too


def exposed(user: User, variation: int, at: datetime) -> None:
    Exposure.objects.create(user=user, key="shop-2026", variation=variation)
    Exposure.objects.filter(user=user).update(first_at=at)


def results(client) -> list[dict]:
    answer = client.get("/api/liveops/admin/experiments/shop-2026/results/", {"goal": "purchase"})
    assert answer.status_code == 200, answer.content
    keys = ("variation", "players", "converted", "rate")
    return [{name: row[name] for name in keys} for row in answer.json()["variations"]]


def test_results_are_the_same_from_raw_events_rolled_up_ones_and_both(client_for, operator, make_flag, settings):
    settings.ANALYTICS_RAW_DAYS = 1
    make_flag("shop", "a", [EXPERIMENT])
    people = players(6)
    noon = DAY_1 + timedelta(hours=12)
    for n, person in enumerate(people):
        exposed(person, n % 2, noon)
    received(people[0], noon + timedelta(hours=1))  # after the exposure, the same day
    received(people[1], noon - timedelta(hours=1))  # before it, the same day: not converted
    received(people[2], noon - timedelta(hours=1))
    received(people[2], noon + timedelta(days=3))  # days later
    received(people[3], noon + timedelta(hours=2), name="other")
    received(people[5], noon + timedelta(days=1, hours=1))  # the next day
    client = client_for(operator)
    expected = [
        {"variation": 0, "players": 3, "converted": 2, "rate": 2 / 3},
        {"variation": 1, "players": 3, "converted": 1, "rate": 1 / 3},
    ]
    assert results(client) == expected
    now = DAY_1 + timedelta(days=2, hours=1)
    assert events_roll_up(now=now, hours=100) == 4  # the first two days' hours rolled up, still kept raw
    assert results(client) == expected
    assert events_forget(now=now) == 4  # the first day's raw events gone: read from the roll-up only
    assert results(client) == expected
    assert events_roll_up(now=DAY_1 + timedelta(days=10)) == 1  # the fourth day's
    assert events_forget(now=DAY_1 + timedelta(days=10)) == 2
    assert not AnalyticsEvent.objects.exists()
    assert results(client) == expected


def test_event_counts_are_the_same_before_and_after_the_roll_up_and_retention(settings):
    settings.ANALYTICS_AUDIENCE_EVENTS = ["purchase", "level_up", "never_sent"]
    settings.ANALYTICS_RAW_DAYS = 1
    alice, bob = players(2)
    for day in range(3):
        received(alice, DAY_1 + timedelta(days=day, hours=3))
    received(alice, DAY_1 + timedelta(days=2, hours=10))
    received(alice, DAY_1 + timedelta(hours=4), name="level_up")
    received(bob, DAY_1 + timedelta(days=2, hours=9), name="other")
    expected = {"purchase": 4, "level_up": 1, "never_sent": 0}
    assert player_attributes(user=alice)["events"] == expected
    now = DAY_1 + timedelta(days=2, hours=5)
    assert events_roll_up(now=now, hours=100) == 4  # all but the last purchase rolled up, all still raw
    assert player_attributes(user=alice)["events"] == expected
    assert events_forget(now=now) == 3  # those of the first two days
    assert AnalyticsEvent.objects.filter(user=alice).count() == 2  # one rolled up, one raw only
    assert player_attributes(user=alice)["events"] == expected
    assert player_attributes(user=bob)["events"] == {"purchase": 0, "level_up": 0, "never_sent": 0}


def test_without_audience_events_the_attributes_count_none(settings):
    settings.ANALYTICS_AUDIENCE_EVENTS = []
    (alice,) = players(1)
    received(alice, DAY_1)
    assert player_attributes(user=alice)["events"] == {}


def test_an_audience_condition_on_an_event_count_matches(client_for, make_flag, settings):
    settings.ANALYTICS_AUDIENCE_EVENTS = ["purchase"]
    make_flag("vip-offer", "none", [{"condition": {"events.purchase": {"$gte": 2}}, "force": "gold"}])
    alice, bob = players(2)
    received(alice, DAY_1 + timedelta(hours=1))
    events_roll_up(now=DAY_1 + timedelta(days=1, hours=1))
    client = client_for(alice)
    client.put("/api/liveops/attributes/", {"country": "FR"}, format="json")
    assert client.get("/api/liveops/").json()["flags"]["vip-offer"] == "none"  # one purchase, rolled up
    sent = client.post(
        "/api/liveops/events/",
        {"events": [{"id": "e1", "name": "purchase", "timestamp": "2026-11-26T12:00:00Z"}]},
        format="json",
    )
    assert sent.status_code == 202
    assert client.get("/api/liveops/").json()["flags"]["vip-offer"] == "gold"  # and one raw
    assert client_for(bob).get("/api/liveops/").json()["flags"]["vip-offer"] == "none"
    assert player_attributes(user=alice)["country"] == "FR"


def test_a_players_answer_with_audience_events_costs_no_more_queries(
    client_for, alice, make_flag, settings, monkeypatch, django_assert_max_num_queries
):
    settings.ANALYTICS_AUDIENCE_EVENTS = [f"event-{n}" for n in range(20)]
    for n in range(20):
        make_flag(f"flag-{n}", n, [{"condition": {f"events.event-{n}": {"$gte": 1}}, "force": -n}])
    client = client_for(alice)
    client.put("/api/liveops/attributes/", {"custom": {"tier": "b"}}, format="json")
    client.post(
        "/api/liveops/events/",
        {"events": [{"id": "e1", "name": "event-3", "timestamp": "2026-11-26T12:00:00Z"}]},
        format="json",
    )
    monkeypatch.setattr(cache, "clock", lambda: 1000.0)  # no look at the version in between
    client.get("/api/liveops/")  # compiles the flags
    # the user, then one statement: their attributes and event counts, level, games played, spent,
    # the unread count
    with django_assert_max_num_queries(2):
        answer = client.get("/api/liveops/").json()
    assert answer["flags"]["flag-3"] == -3 and answer["flags"]["flag-4"] == 4
    assert player_attributes(user=alice)["custom"] == {"tier": "b"}


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_runners_rolling_up_at_once_roll_each_day_up_once():
    alice, bob = players(2)
    for day in range(5):
        received(alice, DAY_1 + timedelta(days=day, hours=1), value=1.0)
        received(bob, DAY_1 + timedelta(days=day, hours=2))
    barrier = threading.Barrier(4)
    done: list[int] = []

    def run() -> None:
        try:
            barrier.wait()
            done.append(events_roll_up(now=DAY_1 + timedelta(days=10), hours=7))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(done) == 10
    for day in range(5):
        assert rolled_counts((DAY_1 + timedelta(days=day)).date()) == raw_counts((DAY_1 + timedelta(days=day)).date())


def test_revenue_per_player_is_the_same_from_raw_events_and_rolled_up_ones(client_for, operator, make_flag, settings):
    settings.ANALYTICS_RAW_DAYS = 1
    make_flag("shop", "a", [EXPERIMENT])
    people = players(4)
    noon = DAY_1 + timedelta(hours=12)
    for n, person in enumerate(people):
        exposed(person, n % 2, noon)
    received(people[0], noon - timedelta(hours=1), value=7.0)  # before the exposure: never counted
    received(people[0], noon + timedelta(hours=1), value=1.0)  # the exposure's day, after it
    received(people[0], noon + timedelta(days=1), value=2.0)  # the next day
    received(people[2], noon + timedelta(days=3), value=5.0)
    received(people[1], noon + timedelta(days=1, hours=1), value=4.0)
    client = client_for(operator)

    def sums() -> list:
        answer = client.get("/api/liveops/admin/experiments/shop-2026/results/", {"goal": "purchase"}).json()
        return [row["value_sum"] for row in answer["variations"]]

    assert sums() == [8.0, 4.0]
    now = DAY_1 + timedelta(days=2, hours=14)
    assert events_roll_up(now=now, hours=100) == 4  # the first two days' four hours rolled up, all still raw
    assert sums() == [8.0, 4.0]
    events_forget(now=now)  # the first day's raw events gone: the later days read from the roll-up
    # The exposure's own day, rolled up, mixes what came before the exposure with what came after:
    # once its raw events are gone, it is left out rather than counting what came before.
    assert sums() == [7.0, 4.0]
