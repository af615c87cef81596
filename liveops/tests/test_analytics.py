"""A client's analytics events are kept once per id; an experiment's results count its exposed
players, their conversions to a goal event after exposure, and the split's SRM p-value."""

import math
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User, username_key
from conftest import requires_postgres
from liveops.analytics.stats import chi2_sf
from liveops.models import AnalyticsEvent, Exposure
from staff.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = "/api/liveops/events/"
EXPERIMENT = {"variations": ["a", "b"], "weights": [0.5, 0.5], "key": "shop-2026", "hashAttribute": "id", "coverage": 1}


def event(client_id: str, name: str = "purchase", **changes) -> dict:
    return {"id": client_id, "name": name, "timestamp": "2026-11-26T12:00:00Z", "value": 1.5, "metadata": {}, **changes}


def test_an_event_id_sent_again_counts_once(client_for, alice, bob):
    client = client_for(alice)
    first = client.post(URL, {"events": [event("e1"), event("e2")]}, format="json")
    assert first.status_code == 202 and first.json() == {"accepted": 2, "duplicates": 0}
    again = client.post(URL, {"events": [event("e2"), event("e3"), event("e3")]}, format="json")
    assert again.json() == {"accepted": 1, "duplicates": 2}
    assert client_for(bob).post(URL, {"events": [event("e1")]}, format="json").json() == {
        "accepted": 1,
        "duplicates": 0,
    }
    assert sorted(AnalyticsEvent.objects.filter(user=alice).values_list("client_id", flat=True)) == ["e1", "e2", "e3"]


def test_an_event_keeps_what_the_client_sent(client_for, alice):
    client_for(alice).post(URL, {"events": [event("e1", value=None, metadata={"sku": "gems"})]}, format="json")
    stored = AnalyticsEvent.objects.get()
    assert (stored.name, stored.value, stored.metadata) == ("purchase", None, {"sku": "gems"})


@pytest.mark.parametrize(
    ("events", "field"),
    [
        ([event(f"e{n}") for n in range(101)], "events"),
        ([event("x" * 65)], "events"),
        ([event("e1", metadata=[1])], "events"),
        ([event("e1", timestamp="yesterday")], "events"),
        ([{"id": "e1"}], "events"),
        ("nope", "events"),
    ],
)
def test_a_batch_the_api_does_not_allow_is_400_naming_the_field(client_for, alice, events, field):
    response = client_for(alice).post(URL, {"events": events}, format="json")
    assert response.status_code == 400, response.content
    answer = response.json()
    assert field in answer or field in answer.get("fields", {})
    assert not AnalyticsEvent.objects.exists()


def test_a_batch_of_100_is_accepted(client_for, alice):
    response = client_for(alice).post(URL, {"events": [event(f"e{n}") for n in range(100)]}, format="json")
    assert response.json() == {"accepted": 100, "duplicates": 0}


def test_anonymous_clients_send_no_events(api_client):
    assert api_client.post(URL, {"events": []}, format="json").status_code == 401


# --- experiment results -------------------------------------------------------------------


def players(count: int) -> list[User]:
    names = [f"exp{n}" for n in range(count)]
    return User.objects.bulk_create([User(username=name, username_key=username_key(name)) for name in names])


def expose(users: list[User], variation: int, key: str = "shop-2026") -> None:
    Exposure.objects.bulk_create([Exposure(user=user, key=key, variation=variation) for user in users])


def picked(row: dict) -> dict:
    """A variation's counts, without its statistics (tested in test_experiment_stats)."""
    return {name: row[name] for name in ("variation", "value", "players", "converted", "rate")}


def results(client, key: str = "shop-2026", goal: str = "purchase"):
    return client.get(f"/api/liveops/admin/experiments/{key}/results/", {"goal": goal})


def test_results_count_the_goal_only_after_exposure(client_for, operator, make_flag):
    make_flag("shop", "a", [EXPERIMENT])
    people = players(8)
    expose(people[:4], 0)
    expose(people[4:], 1)
    now = timezone.now()
    AnalyticsEvent.objects.bulk_create(
        [
            AnalyticsEvent(user=people[0], client_id="1", name="purchase", timestamp=now, received_at=now),
            AnalyticsEvent(user=people[0], client_id="2", name="purchase", timestamp=now, received_at=now),
            AnalyticsEvent(user=people[1], client_id="1", name="other", timestamp=now, received_at=now),
            AnalyticsEvent(user=people[4], client_id="1", name="purchase", timestamp=now, received_at=now),
            AnalyticsEvent(user=people[5], client_id="1", name="purchase", timestamp=now, received_at=now),
            # before their exposure: no conversion
            AnalyticsEvent(
                user=people[6], client_id="1", name="purchase", timestamp=now, received_at=now - timedelta(days=1)
            ),
        ]
    )
    answer = results(client_for(operator))
    assert answer.status_code == 200, answer.content
    assert [picked(row) for row in answer.json()["variations"]] == [
        {"variation": 0, "value": "a", "players": 4, "converted": 1, "rate": 0.25},
        {"variation": 1, "value": "b", "players": 4, "converted": 2, "rate": 0.5},
    ]
    assert answer.json()["srm_p"] == pytest.approx(1.0)


def test_results_cost_two_queries_however_many_players(client_for, operator, make_flag, django_assert_max_num_queries):
    make_flag("shop", "a", [EXPERIMENT])
    people = players(50)
    expose(people[:25], 0)
    expose(people[25:], 1)
    client = client_for(operator)
    results(client)
    # the staff user and their role (the permission), the flags, the counts
    with django_assert_max_num_queries(5):
        assert results(client).status_code == 200


def test_a_balanced_split_has_an_srm_p_near_1_and_a_70_30_one_a_tiny_one(client_for, operator, make_flag):
    make_flag("shop", "a", [EXPERIMENT, {**EXPERIMENT, "key": "skewed"}])
    people = players(400)
    expose(people[:100], 0)
    expose(people[100:200], 1)
    expose(people[200:340], 0, key="skewed")
    expose(people[340:], 1, key="skewed")
    client = client_for(operator)
    assert results(client).json()["srm_p"] == pytest.approx(1.0)
    skewed = results(client, key="skewed").json()
    assert [row["players"] for row in skewed["variations"]] == [140, 60]
    assert skewed["srm_p"] < 1e-7


def test_an_experiment_no_flag_has_takes_equal_weights(client_for, operator):
    people = players(3)
    expose(people[:2], 0, key="gone")
    expose(people[2:], 2, key="gone")
    answer = results(client_for(operator), key="gone").json()
    assert [row["players"] for row in answer["variations"]] == [2, 0, 1]
    assert answer["variations"][1]["rate"] is None
    assert answer["srm_p"] == pytest.approx(math.exp(-2 / 2))  # chi-square 2 with 2 degrees


def test_an_unknown_experiment_is_404_and_goal_is_required(client_for, operator, make_flag):
    client = client_for(operator)
    answer = results(client, key="nothing")
    assert answer.status_code == 404 and answer.json()["code"] == "experiment_not_found"
    make_flag("shop", "a", [EXPERIMENT])
    no_goal = client.get("/api/liveops/admin/experiments/shop-2026/results/")
    assert no_goal.status_code == 400
    assert "goal" in no_goal.json() or "goal" in no_goal.json().get("fields", {})


def test_only_liveops_staff_read_results(client_for, moderator, alice, make_flag):
    make_flag("shop", "a", [EXPERIMENT])
    for user in (moderator, alice):
        assert results(client_for(user)).status_code == 403
    assert not AuditEntry.objects.filter(action__startswith="message").exists()


@pytest.mark.parametrize(("x", "dof", "expected"), [(3.84, 1, 0.05004), (5.99, 2, 0.05004), (9.49, 4, 0.04999)])
def test_the_chi_square_tail_matches_the_tables(x, dof, expected):
    assert chi2_sf(x, dof) == pytest.approx(expected, abs=1e-4)
    if dof == 1:
        assert chi2_sf(x, dof) == pytest.approx(math.erfc(math.sqrt(x / 2)))


def test_batches_past_the_budget_are_429_rate_limited(client_for, alice, monkeypatch):
    import uuid

    from gameplatform.data.ratelimit import Budget
    from liveops.analytics.apis import EventsThrottle

    monkeypatch.setattr(EventsThrottle, "budget", Budget(f"liveops_events_{uuid.uuid4().hex}", limit=2, window=60))
    client = client_for(alice)
    for n in range(2):
        assert client.post(URL, {"events": [event(f"e{n}")]}, format="json").status_code == 202
    refused = client.post(URL, {"events": [event("e9")]}, format="json")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert not AnalyticsEvent.objects.filter(client_id="e9").exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_the_same_ids_store_and_count_each_event_once(make_user):
    from django.db import connection

    from liveops.analytics.services import events_record

    alice = make_user("racer")
    batch = [{**event(f"e{n}"), "timestamp": timezone.now()} for n in range(50)]
    barrier = threading.Barrier(4)
    answers: list[tuple[int, int]] = []

    def send() -> None:
        try:
            barrier.wait()
            answers.append(events_record(user=alice, events=batch))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(accepted for accepted, _ in answers) == 50  # each counted new by one request only
    assert sum(duplicates for _, duplicates in answers) == 150
    assert AnalyticsEvent.objects.filter(user=alice).count() == 50


def test_an_events_metadata_over_2_kib_is_400_metadata_too_large_and_nothing_is_stored(client_for, alice):
    client = client_for(alice)
    big = {"blob": "é" * 1100}  # 2,200 bytes of UTF-8 in JSON: over the bound, as custom attributes are
    response = client.post(URL, {"events": [event("e1"), event("e2", metadata=big)]}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "metadata_too_large" and "e2" in response.json()["detail"]
    assert not AnalyticsEvent.objects.exists()
    at_the_bound = {"blob": "x" * (2048 - len('{"blob":""}'))}
    assert client.post(URL, {"events": [event("e3", metadata=at_the_bound)]}, format="json").status_code == 202
