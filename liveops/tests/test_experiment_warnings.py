"""A live event that overrides a flag an experiment runs on spoils the experiment while it runs:
the staff answers of the event and of the flag say so in ``warnings`` (the admin too:
test_admin)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from liveops.schedule import services

pytestmark = pytest.mark.django_db

EXPERIMENT = {
    "variations": [399, 499],
    "weights": [0.5, 0.5],
    "key": "price-2026",
    "hashAttribute": "id",
    "coverage": 1,
}
EVENTS = "/api/liveops/admin/live-events/"
FLAGS = "/api/liveops/admin/flags/"


def event_body(**extra) -> dict:
    now = timezone.now()
    return {
        "name": "Black Friday",
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
        "overrides": {"gem-price": 299},
        **extra,
    }


def test_an_event_overriding_an_experiments_flag_is_answered_with_a_warning(client_for, operator, make_flag):
    make_flag("gem-price", 399, [EXPERIMENT])
    client = client_for(operator)
    created = client.post(EVENTS, event_body(), format="json")
    assert created.status_code == 201, created.content
    (warning,) = created.json()["warnings"]
    assert "'gem-price'" in warning and "'price-2026'" in warning and "spoiled" in warning
    event_id = created.json()["id"]
    assert client.get(f"{EVENTS}{event_id}/").json()["warnings"] == [warning]
    assert client.get(EVENTS).json()["results"][0]["warnings"] == [warning]
    assert client.get(f"{FLAGS}gem-price/").json()["warnings"] == [warning]
    assert client.get(FLAGS).json()["results"][0]["warnings"] == [warning]


def test_no_warning_without_an_experiment_or_once_the_event_is_over(client_for, operator, make_flag):
    make_flag("gem-price", 399, [EXPERIMENT])
    make_flag("xp-multiplier", 1, [{"condition": {"country": "FR"}, "force": 2}])
    client = client_for(operator)
    plain = client.post(EVENTS, event_body(overrides={"xp-multiplier": 2}), format="json")
    assert plain.json()["warnings"] == []
    now = timezone.now()
    services.live_event_create(
        staff=None,
        name="Last week's sale",
        starts_at=now - timedelta(days=8),
        ends_at=now - timedelta(days=7),
        overrides={"gem-price": 299},
    )
    assert client.get(f"{FLAGS}gem-price/").json()["warnings"] == []
    assert client.get(f"{FLAGS}xp-multiplier/").json()["warnings"] == []
    assert all(row["warnings"] == [] for row in client.get(EVENTS).json()["results"])


def test_adding_the_experiment_to_an_overridden_flag_warns_on_the_flags_answer(client_for, operator, make_flag):
    make_flag("gem-price", 399)
    client = client_for(operator)
    client.post(EVENTS, event_body(), format="json")
    changed = client.put(f"{FLAGS}gem-price/", {"defaultValue": 399, "rules": [EXPERIMENT]}, format="json")
    assert changed.status_code == 200, changed.content
    assert ["Black Friday" in warning for warning in changed.json()["warnings"]] == [True]


def test_the_flag_list_reads_its_warnings_in_one_query(client_for, operator, make_flag, django_assert_max_num_queries):
    for n in range(5):
        make_flag(f"price-{n}", 1, [{**EXPERIMENT, "key": f"exp-{n}"}])
    client = client_for(operator)
    client.get(FLAGS)
    # the staff user and their role, the count, the page, the live events over them
    with django_assert_max_num_queries(5):
        assert client.get(FLAGS).status_code == 200
