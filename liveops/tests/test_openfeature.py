"""OpenFeature's API with our provider: what a studio's server code reads for a player is what
``GET /api/liveops/`` gives them, with the reason, the variant, and OpenFeature's errors."""

from datetime import timedelta

import pytest
from django.utils import timezone
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason
from openfeature.track import TrackingEventDetails

from liveops.analytics.models import AnalyticsEvent
from liveops.analytics.selectors import experiment_results
from liveops.models import Exposure, PlayerAttributes
from liveops.openfeature import LiveopsProvider
from liveops.schedule import services as schedule_services
from liveops.services import flag_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    api.set_provider(LiveopsProvider())
    yield api.get_client()
    api.clear_providers()
    api.set_evaluation_context(EvaluationContext())


def of(user, **attributes) -> EvaluationContext:
    return EvaluationContext(targeting_key=str(user.pk), attributes=attributes)


def experiment(key: str = "price-test", coverage: float = 1) -> dict:
    return {"variations": [99, 149], "weights": [0.5, 0.5], "key": key, "hashAttribute": "id", "coverage": coverage}


def test_a_flag_without_rules_is_static(client, make_flag, alice):
    make_flag("new-shop", True)
    details = client.get_boolean_details("new-shop", False, of(alice))
    assert (details.value, details.reason, details.variant, details.error_code) == (
        True,
        Reason.STATIC,
        "default",
        None,
    )


def test_an_audience_gets_its_forced_value_naming_the_rule_and_others_the_default(client, make_flag, alice, bob):
    rules = [{"condition": {"country": "DE"}, "force": "blau"}, {"condition": {"country": "FR"}, "force": "bleu"}]
    make_flag("button", "blue", rules)
    PlayerAttributes.objects.create(user=alice, country="FR")
    PlayerAttributes.objects.create(user=bob, country="IT")

    french = client.get_string_details("button", "grey", of(alice))
    other = client.get_string_details("button", "grey", of(bob))
    assert (french.value, french.reason, french.variant) == ("bleu", Reason.TARGETING_MATCH, "rule-1")
    assert (other.value, other.reason, other.variant) == ("blue", Reason.DEFAULT, "default")


def test_the_context_says_what_the_client_would_over_what_it_last_sent(client, make_flag, alice):
    make_flag("ios-only", False, [{"condition": {"platform": "ios", "build": "beta"}, "force": True}])
    PlayerAttributes.objects.create(user=alice, platform="web")
    assert client.get_boolean_value("ios-only", False, of(alice)) is False
    assert client.get_boolean_value("ios-only", False, of(alice, platform="ios", build="beta")) is True


def test_the_global_context_merges_with_the_invocation_one_as_openfeature_merges_them(client, make_flag, alice):
    make_flag("ios-only", False, [{"condition": {"platform": "ios"}, "force": True}])
    api.set_evaluation_context(EvaluationContext(attributes={"platform": "ios"}))
    assert client.get_boolean_value("ios-only", False, of(alice)) is True
    assert client.get_boolean_value("ios-only", False, of(alice, platform="android")) is False


def test_the_servers_own_attributes_are_read_from_the_database(client, make_flag, alice):
    make_flag("veteran", False, [{"condition": {"level": {"$gte": 10}}, "force": True}])
    details = client.get_boolean_details("veteran", False, of(alice, level=50))
    assert (details.value, details.reason, details.error_code) == (False, Reason.ERROR, ErrorCode.INVALID_CONTEXT)
    assert "level" in details.error_message
    assert client.get_boolean_details("veteran", False, of(alice)).reason == Reason.DEFAULT
    buyer = client.get_boolean_details("veteran", False, of(alice, events={"purchase": 99}))
    assert (buyer.value, buyer.error_code) == (False, ErrorCode.INVALID_CONTEXT), "event counts are the server's"


def test_an_experiment_is_a_split_agreeing_with_the_api_and_records_the_exposure(
    client, make_flag, make_user, client_for
):
    make_flag("gem-price", 99, [experiment()])
    for player in [make_user() for _ in range(6)]:
        details = client.get_integer_details("gem-price", 0, of(player))
        answer = client_for(player).get("/api/liveops/").json()
        assert details.reason == Reason.SPLIT
        assert details.value == answer["flags"]["gem-price"]
        assert details.variant == str(answer["experiments"]["price-test"])
        assert details.flag_metadata == {"rule": "rule-0", "experiment": "price-test"}
        exposure = Exposure.objects.get(user=player, key="price-test")
        assert exposure.variation == int(details.variant)


def test_a_player_outside_a_rollouts_coverage_gets_the_default_and_no_exposure(client, make_flag, alice):
    make_flag("gem-price", 99, [experiment(coverage=0)])
    details = client.get_integer_details("gem-price", 0, of(alice))
    assert (details.value, details.reason) == (99, Reason.DEFAULT)
    assert not Exposure.objects.exists()


def test_a_running_live_events_override_comes_before_the_rules(client, make_flag, alice):
    make_flag("xp-multiplier", 1, [{"force": 3}])
    now = timezone.now()
    event = schedule_services.live_event_create(
        staff=None,
        name="Double XP",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        overrides={"xp-multiplier": 2},
    )
    details = client.get_integer_details("xp-multiplier", 0, of(alice))
    assert (details.value, details.reason, details.variant) == (2, Reason.TARGETING_MATCH, f"live-event-{event.pk}")
    assert details.flag_metadata == {"live_event": event.pk}


def test_an_explicit_live_events_override_comes_only_once_the_player_joined_it(client, make_flag, alice):
    make_flag("xp-multiplier", 1)
    now = timezone.now()
    event = schedule_services.live_event_create(
        staff=None,
        name="Boss rush",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        overrides={"xp-multiplier": 3},
        join="explicit",
    )
    assert client.get_integer_details("xp-multiplier", 0, of(alice)).value == 1
    schedule_services.live_event_join(user=alice, event_id=event.pk)
    details = client.get_integer_details("xp-multiplier", 0, of(alice))
    assert (details.value, details.variant) == (3, f"live-event-{event.pk}")


def test_without_a_targeting_key_the_answer_is_an_anonymous_clients(client, make_flag):
    make_flag("skin", "plain", [{"force": "gold"}])
    details = client.get_string_details("skin", "none")
    assert (details.value, details.reason) == ("plain", Reason.DEFAULT)


@pytest.mark.parametrize("key", ["alice", "999999", "²", "9" * 30])
def test_a_targeting_key_that_is_no_player_is_an_invalid_context(client, make_flag, key):
    make_flag("skin", "plain")
    details = client.get_string_details("skin", "none", EvaluationContext(targeting_key=key))
    assert (details.value, details.error_code) == ("none", ErrorCode.INVALID_CONTEXT)


def test_an_unknown_flag_is_flag_not_found_with_the_default(client, alice):
    details = client.get_float_details("no-such-flag", 1.5, of(alice))
    assert (details.value, details.reason, details.error_code) == (1.5, Reason.ERROR, ErrorCode.FLAG_NOT_FOUND)


@pytest.mark.parametrize(
    ("value", "read", "default"),
    [
        ("yes", "get_boolean_details", False),
        (1, "get_boolean_details", False),
        (True, "get_integer_details", 0),
        (2.5, "get_integer_details", 0),
        (3, "get_string_details", "three"),
        ({"a": 1}, "get_float_details", 0.0),
        ("text", "get_object_details", {}),
        (None, "get_object_details", {}),
    ],
)
def test_a_value_of_another_type_is_a_type_mismatch_with_the_default(client, make_flag, alice, value, read, default):
    make_flag("typed", value)
    details = getattr(client, read)("typed", default, of(alice))
    assert (details.value, details.reason, details.error_code) == (default, Reason.ERROR, ErrorCode.TYPE_MISMATCH)


def test_numbers_read_as_json_has_them_and_objects_as_they_are(client, make_flag, alice):
    make_flag("count", 3)
    make_flag("ratio", 2.0)
    make_flag("shop", {"layout": "grid", "tabs": ["gems", "skins"]})
    make_flag("order", ["a", "b"])
    assert client.get_integer_value("count", 0, of(alice)) == 3
    assert client.get_float_value("count", 0.0, of(alice)) == 3.0
    assert client.get_integer_value("ratio", 0, of(alice)) == 2
    assert client.get_object_value("shop", {}, of(alice)) == {"layout": "grid", "tabs": ["gems", "skins"]}
    assert client.get_object_value("order", [], of(alice)) == ["a", "b"]


def test_a_flag_changed_through_the_services_is_read_at_once_by_this_process(
    client, make_flag, operator, alice, django_capture_on_commit_callbacks
):
    make_flag("skin", "plain")
    assert client.get_string_value("skin", "none", of(alice)) == "plain"
    with django_capture_on_commit_callbacks(execute=True):
        flag_update(staff=operator, name="skin", new_name="skin", description="", default_value="gold", rules=[])
    assert client.get_string_value("skin", "none", of(alice)) == "gold"


def test_track_records_a_goal_event_that_the_experiments_results_count(client, make_flag, alice):
    make_flag("gem-price", 99, [experiment()])
    client.get_integer_value("gem-price", 0, of(alice))
    client.track("purchase", of(alice), TrackingEventDetails(value=4.99, attributes={"sku": "gems_100"}))

    event = AnalyticsEvent.objects.get(user=alice)
    assert (event.name, event.value, event.metadata) == ("purchase", 4.99, {"sku": "gems_100"})
    results = experiment_results(key="price-test", goal="purchase")
    assert sum(row["converted"] for row in results["variations"]) == 1


@pytest.mark.parametrize("context", [None, EvaluationContext(targeting_key="999999")])
def test_track_without_a_player_records_nothing(client, context):
    client.track("purchase", context)
    assert not AnalyticsEvent.objects.exists()


def test_an_experiments_value_read_as_another_type_is_no_exposure(client, make_flag, alice):
    make_flag("gem-price", 99, [experiment()])
    details = client.get_string_details("gem-price", "none", of(alice))
    assert (details.value, details.error_code) == ("none", ErrorCode.TYPE_MISMATCH)
    assert not Exposure.objects.exists()
