"""Flag conditions that cannot be made slow or silently dead: a condition is checked when it is
saved (flags, live events, inbox messages; the API and the admin), and ``$regex`` runs in time
linear in the text (RE2), wherever a condition is evaluated."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from liveops import cache, conditions, evaluation
from liveops.inbox import services as inbox_services
from liveops.models import Flag, InboxEntry, LiveEvent, Message
from liveops.schedule import running
from liveops.schedule import services as schedule_services
from liveops.services import attributes_set, flag_create

pytestmark = pytest.mark.django_db

FLAGS_URL = "/api/liveops/admin/flags/"
EVENTS_URL = "/api/liveops/admin/live-events/"
MESSAGES_URL = "/api/liveops/admin/messages/"
ADVERSARIAL = {"custom.name": {"$regex": "^(a+)+$"}}
# Python's backtracking ``re`` takes seconds on 26 characters of this, doubling with each one more.
EVIL_NAME = "a" * 40 + "!"
FAST = 0.05  # process seconds: far below a tick


def flag_body(condition) -> dict:
    return {"name": "speed", "defaultValue": 1, "rules": [{"condition": condition, "force": 2}]}


def event_body(condition) -> dict:
    now = timezone.now()
    return {
        "name": "Double XP",
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
        "condition": condition,
    }


REFUSED = [
    pytest.param({"country": {"$regexp": "^F"}}, "$regexp", id="unknown operator"),
    pytest.param({"country": {"$in": "FR"}}, "$in", id="$in not a list"),
    pytest.param({"level": {"$gt": {"level": 3}}}, "$gt", id="$gt with an object"),
    pytest.param({"level": {"$gte": True}}, "$gte", id="$gte with a boolean"),
    pytest.param({"$or": {"country": "FR"}}, "$or", id="$or not a list"),
    pytest.param({"$and": [{"country": "FR"}, "FR"]}, "$and", id="$and of a non-condition"),
    pytest.param({"$not": [{"country": "FR"}]}, "$not", id="$not of a list"),
    pytest.param({"$gt": 3}, "$gt", id="a value operator where an attribute belongs"),
    pytest.param({"level": {"$gt": 3, "max": 5}}, "level", id="operators mixed with literal keys"),
    pytest.param({"tags": {"$elemMatch": 3}}, "$elemMatch", id="$elemMatch of a non-object"),
    pytest.param({"tags": {"$size": "3"}}, "$size", id="$size of a string"),
    pytest.param({"country": {"$exists": "yes"}}, "$exists", id="$exists not a boolean"),
    pytest.param({"country": {"$type": "text"}}, "$type", id="$type of no JSON type"),
    pytest.param({"app_version": {"$vgt": 2}}, "$vgt", id="a version that is not a string"),
    pytest.param({"country": {"$inGroup": "eu"}}, "$inGroup", id="saved groups (there are none)"),
    pytest.param({"custom.name": {"$regex": "(a)\\1"}}, "$regex", id="a backreference RE2 refuses"),
    pytest.param({"custom.name": {"$regexi": "(?=a)"}}, "$regexi", id="a lookahead RE2 refuses"),
    pytest.param({"custom.name": {"$notRegex": "/???***[)"}}, "$notRegex", id="a pattern that does not compile"),
    pytest.param({"custom.name": {"$regex": 3}}, "$regex", id="a pattern that is not a string"),
    pytest.param({"": 1}, "attribute", id="an empty attribute name"),
]


@pytest.mark.parametrize(("condition", "named"), REFUSED)
def test_a_flag_whose_condition_cannot_work_is_400_naming_the_rule_and_the_operator(
    client_for, operator, condition, named
):
    response = client_for(operator).post(FLAGS_URL, flag_body(condition), format="json")
    assert response.status_code == 400, response.content
    (message,) = response.json()["rules"]
    assert message.startswith("rule 0: condition") and named in message
    assert not Flag.objects.exists()


@pytest.mark.parametrize(("condition", "named"), REFUSED[:3] + REFUSED[15:16])
def test_a_live_event_or_message_whose_condition_cannot_work_is_400_naming_condition(
    client_for, operator, condition, named
):
    client = client_for(operator)
    for url, body in [(EVENTS_URL, event_body(condition)), (MESSAGES_URL, {"title": "Hi", "condition": condition})]:
        response = client.post(url, body, format="json")
        assert response.status_code == 400, response.content
        assert named in response.json()["condition"][0]
    assert not LiveEvent.objects.exists() and not Message.objects.exists()


def test_a_condition_nested_too_deep_is_refused_naming_the_rule_not_a_recursion_error(operator):
    """The API's JSON is bounded in depth by the kit; the admin's form goes through the service."""
    condition = {"country": "FR"}
    for _ in range(200):
        condition = {"$not": condition}
    with pytest.raises(ValidationError) as refused:
        flag_create(staff=operator, name="speed", default_value=1, rules=[{"condition": condition, "force": 2}])
    assert "deeper" in refused.value.detail["rules"][0]


@pytest.mark.parametrize(
    "condition",
    [
        {"country": {"$in": ["FR", "BE"]}, "level": {"$gte": 3, "$lt": 10}},
        {"$or": [{"is_premium": True}, {"spent": {"$gt": 500}}], "$nor": [{"country": "US"}]},
        {"app_version": {"$vgte": "1.2.0"}, "custom.tags": {"$elemMatch": {"$eq": "beta"}}},
        {"custom.items": {"$elemMatch": {"kind": "sword", "level": {"$gt": 2}}}, "custom.tags": {"$size": {"$gt": 0}}},
        {"custom.name": {"$regex": "^(a+)+$", "$notRegexi": "admin"}, "country": {"$exists": True, "$type": "string"}},
        {"custom.tags": {"$all": ["a", "b"]}, "platform": {"$not": {"$regex": "^web"}}, "custom.x": {"a": 1}},
        {},
    ],
)
def test_conditions_the_spec_allows_are_kept_as_sent(client_for, operator, condition):
    response = client_for(operator).post(FLAGS_URL, flag_body(condition), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["rules"][0]["condition"] == condition


def _fast(call):
    started = time.process_time()
    result = call()
    assert time.process_time() - started < FAST
    return result


def test_an_adversarial_regex_rule_answers_a_long_attribute_fast_over_the_api(client_for, make_flag, alice):
    make_flag("speed", 1, [{"condition": ADVERSARIAL, "force": 2}])
    attributes_set(user=alice, country="", platform="", app_version="", custom={"name": EVIL_NAME})
    client = client_for(alice)
    client.get("/api/liveops/")  # the flags compiled once per process: not what is measured
    cache.flags().evaluations.clear()
    cache.flags().answers.clear()
    answer = _fast(lambda: client.get("/api/liveops/"))
    assert answer.json()["flags"]["speed"] == 1
    attributes_set(user=alice, country="", platform="", app_version="", custom={"name": "a" * 40})
    assert client.get("/api/liveops/").json()["flags"]["speed"] == 2


@pytest.mark.serial  # CPU time against a bound: alone, not beside other workers
def test_an_adversarial_regex_is_fast_in_live_events_and_inbox_messages(alice):
    attributes_set(user=alice, country="", platform="", app_version="", custom={"name": EVIL_NAME})
    now, hour = timezone.now(), timedelta(hours=1)
    event = schedule_services.live_event_create(
        staff=None, name="x", starts_at=now - hour, ends_at=now + hour, condition=ADVERSARIAL
    )
    (compiled,) = running.current().events
    assert _fast(lambda: running.matches(compiled.event, {"custom": {"name": EVIL_NAME}})) is False
    assert running.matches(event, {"custom": {"name": "aaaa"}}) is True
    message = inbox_services.message_create(staff=None, title="Hi", condition=ADVERSARIAL)
    _fast(lambda: inbox_services.message_deliver_chunk(message_id=message.pk))
    assert not InboxEntry.objects.filter(message=message).exists()


def test_an_adversarial_regex_in_an_elemmatch_or_a_not_is_fast_too():
    features = cache.compile_flags(
        [
            ("a", 0, [{"condition": {"custom.names": {"$elemMatch": {"$regex": "^(a+)+$"}}}, "force": 1}]),
            ("b", 0, [{"condition": {"custom.name": {"$not": {"$regexi": "^(A+)+$"}}}, "force": 1}]),
            ("c", 0, [{"condition": {"custom.name": {"$notRegex": "^(a+)+$"}}, "force": 1}]),
        ]
    ).ruled
    attributes = {"custom": {"name": EVIL_NAME, "names": ["b", EVIL_NAME]}}
    values, _ = _fast(lambda: evaluation.evaluate(attributes=attributes, features=features))
    assert values == {"a": 0, "b": 1, "c": 1}
    values, _ = evaluation.evaluate(attributes={"custom": {"name": "aaa", "names": ["b", "aa"]}}, features=features)
    assert values == {"a": 1, "b": 0, "c": 0}


def test_a_regex_on_a_list_tests_its_strings_as_mongodb_does_and_never_a_number():
    condition = conditions.compiled({"tags": {"$regex": "^a"}, "n": {"$notRegex": "^1"}})
    assert conditions.matches({"tags": ["b", "abc"], "n": 1}, condition) is True
    assert conditions.matches({"tags": ["b"], "n": 1}, condition) is False
    assert conditions.matches({"tags": 12, "n": 1}, condition) is False
    assert conditions.matches({"tags": "abc", "n": "12"}, condition) is False
    assert conditions.matches({"tags": "abc", "n": ["2", "12"]}, condition) is False


def test_a_malformed_condition_stored_before_the_checks_still_evaluates_as_growthbook_says():
    condition = conditions.compiled({"country": {"$regex": "(a)\\1"}, "level": {"$notRegex": "[["}})
    assert conditions.matches({"country": "aa", "level": "x"}, condition) is False
    assert conditions.matches({"country": "aa"}, conditions.compiled({"country": {"$notRegex": "(a)\\1"}})) is True
