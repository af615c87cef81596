"""What a player sees: audiences, experiments that keep a player in one variation, rollouts, the
defaults for anonymous players, the ETag, and the attributes a client sends."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from conftest import requires_postgres
from liveops import cache, evaluation
from liveops.evaluation import evaluate
from liveops.models import Exposure, PlayerAttributes

pytestmark = pytest.mark.django_db

URL = "/api/liveops/"


def experiment(key: str = "exp", coverage: float = 1, **extra) -> dict:
    return {
        "variations": ["a", "b"],
        "weights": [0.5, 0.5],
        "key": key,
        "hashAttribute": "id",
        "coverage": coverage,
        **extra,
    }


def features_of(**flags) -> dict:
    return cache.compile_flags([(name, default, rules) for name, (default, rules) in flags.items()]).features


@pytest.mark.parametrize(
    ("condition", "attributes", "forced"),
    [
        ({"country": "FR"}, {"country": "FR"}, True),
        ({"country": "FR"}, {"country": "DE"}, False),
        ({"platform": {"$in": ["ios", "android"]}}, {"platform": "ios"}, True),
        ({"platform": {"$in": ["ios", "android"]}}, {"platform": "web"}, False),
        ({"is_premium": True}, {"is_premium": True}, True),
        ({"is_premium": True}, {"is_premium": False}, False),
        ({"level": {"$gte": 10}, "country": "FR"}, {"level": 12, "country": "FR"}, True),
        ({"level": {"$gte": 10}, "country": "FR"}, {"level": 9, "country": "FR"}, False),
    ],
)
def test_a_force_rule_applies_to_its_audience_only(condition, attributes, forced):
    features = features_of(speed=(1, [{"condition": condition, "force": 2}]))
    values, experiments = evaluate(attributes={"id": 7, **attributes}, features=features)
    assert values == {"speed": 2 if forced else 1} and experiments == {}


def test_rules_apply_in_order_then_the_default():
    rules = [{"condition": {"country": "FR"}, "force": "fr"}, {"condition": {"platform": "ios"}, "force": "ios"}]
    features = features_of(skin=("plain", rules))
    assert evaluate(attributes={"id": 1, "country": "FR", "platform": "ios"}, features=features)[0] == {"skin": "fr"}
    assert evaluate(attributes={"id": 1, "country": "DE", "platform": "ios"}, features=features)[0] == {"skin": "ios"}
    assert evaluate(attributes={"id": 1, "country": "DE"}, features=features)[0] == {"skin": "plain"}


def test_a_50_50_experiment_keeps_each_player_in_one_variation_and_splits_about_half():
    features = features_of(skin=("none", [experiment()]))
    seen = {}
    for player_id in range(1, 1001):
        values, experiments = evaluate(attributes={"id": player_id}, features=features)
        assert values["skin"] == ["a", "b"][experiments["exp"]]
        seen[player_id] = values["skin"]
    again = {
        player_id: evaluate(attributes={"id": player_id}, features=features)[0]["skin"] for player_id in range(1, 1001)
    }
    assert again == seen
    in_b = sum(1 for value in seen.values() if value == "b")
    assert 430 <= in_b <= 570  # half of 1,000, give or take 4.4 standard deviations


def test_coverage_0_leaves_everyone_on_the_default():
    features = features_of(skin=("none", [experiment(coverage=0)]))
    for player_id in range(1, 101):
        assert evaluate(attributes={"id": player_id}, features=features) == ({"skin": "none"}, {})


def test_anonymous_players_get_every_default(api_client, make_flag):
    make_flag("speed", 1, [{"force": 9}])
    make_flag("skin", "plain", [experiment()])
    answer = api_client.get(URL).json()
    assert answer == {
        "flags": {"speed": 1, "skin": "plain"},
        "experiments": {},
        "variation_names": {},
        "live_events": [],
        "messages_unread": 0,
    }


def test_a_player_sees_their_values_and_experiments_and_is_exposed_once(client_for, alice, make_flag):
    make_flag("speed", 1, [{"condition": {"username": "alice"}, "force": 2}])
    make_flag("skin", "plain", [experiment()])
    client = client_for(alice)
    answer = client.get(URL).json()
    variation = answer["experiments"]["exp"]
    assert answer["flags"] == {"speed": 2, "skin": ["a", "b"][variation]}
    client.get(URL)
    assert list(Exposure.objects.values_list("user_id", "key", "variation")) == [(alice.pk, "exp", variation)]


def test_an_experiment_of_string_variations_is_named_by_its_variation(client_for, alice, make_flag):
    make_flag("skin", "plain", [experiment()])  # variations "a" and "b"
    make_flag("speed", 1, [experiment(key="speed-test", variations=[10, 20])])
    answer = client_for(alice).get(URL).json()
    assert answer["experiments"].keys() == {"exp", "speed-test"}  # indexes, as before
    assert answer["variation_names"] == {"exp": ["a", "b"][answer["experiments"]["exp"]]}  # numbers: no name
    assert answer["flags"]["skin"] == answer["variation_names"]["exp"]


def test_the_server_attributes_reach_the_rules(client_for, make_user, make_flag):
    premium = make_user("gold", premium=True)
    make_flag(
        "shop",
        "basic",
        [{"condition": {"is_premium": True, "games_played": 0, "spent": 0, "level": 0}, "force": "vip"}],
    )
    assert client_for(premium).get(URL).json()["flags"] == {"shop": "vip"}


def test_the_etag_answers_304_until_what_i_see_changes(client_for, alice, make_flag):
    make_flag("speed", 1, [{"condition": {"country": "FR"}, "force": 2}])
    client = client_for(alice)
    first = client.get(URL)
    etag = first["ETag"]
    assert first.status_code == 200 and etag
    assert client.get(URL, HTTP_IF_NONE_MATCH=etag).status_code == 304
    client.put(URL + "attributes/", {"country": "FR"}, format="json")
    changed = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed.json()["flags"] == {"speed": 2} and changed["ETag"] != etag


def test_a_flag_change_is_seen_at_once_by_the_process_that_made_it(
    client_for, operator, alice, make_flag, django_capture_on_commit_callbacks
):
    make_flag("speed", 1)
    client = client_for(alice)
    assert client.get(URL).json()["flags"] == {"speed": 1}
    body = {"name": "speed", "defaultValue": 3, "rules": []}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(operator).put("/api/liveops/admin/flags/speed/", body, format="json")
    assert response.status_code == 200
    assert client.get(URL).json()["flags"] == {"speed": 3}


def test_flags_are_compiled_once_per_version(api_client, make_flag, monkeypatch):
    make_flag("speed", 1)
    api_client.get(URL)
    monkeypatch.setattr(cache, "compile_flags", lambda *a: pytest.fail("compiled again"))
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            api_client.get(URL)
    assert len(queries) == 0  # the version is looked at once a second at most


def test_attributes_put_keeps_them_and_refuses_custom_over_2_kib(client_for, alice):
    client = client_for(alice)
    sent = {"country": "FR", "platform": "ios", "app_version": "1.2.0", "custom": {"tier": "b"}}
    response = client.put(URL + "attributes/", sent, format="json")
    assert response.status_code == 200 and response.json() == sent
    assert client.get(URL + "attributes/").json() == sent
    big = client.put(URL + "attributes/", {**sent, "custom": {"x": "y" * 2048}}, format="json")
    assert big.status_code == 400 and "custom" in big.json()
    assert client.put(URL + "attributes/", {**sent, "custom": [1]}, format="json").status_code == 400
    assert PlayerAttributes.objects.get(user=alice).custom == {"tier": "b"}


def test_attributes_need_a_player(api_client):
    assert api_client.put(URL + "attributes/", {"country": "FR"}, format="json").status_code == 401


def test_a_players_answer_costs_one_query_however_many_flags_once_their_exposures_are_recorded(
    client_for, alice, make_flag, django_assert_num_queries
):
    for n in range(20):
        make_flag(f"flag-{n}", n, [{"condition": {"country": "FR"}, "force": -n}, experiment(key=f"exp-{n}")])
    client = client_for(alice)
    client.get(URL)  # compiles the flags, records the 20 exposures
    assert Exposure.objects.filter(user=alice).count() == 20
    # one statement: the token's user, the attributes and the unread count (level, games played and
    # spent too when a rule names them)
    with django_assert_num_queries(1):
        answer = client.get(URL).json()
    assert len(answer["flags"]) == 20 and len(answer["experiments"]) == 20


@pytest.mark.parametrize("case", ["deleted", "inactive", "suspended", "banned"])
def test_a_token_refused_on_other_routes_is_refused_here_with_the_same_answer(client_for, make_user, case):
    # the user is read with the player's own read, not by the authentication: the same rules apply
    from accounts.locks import LOCKED_FOREVER, account_lock
    from accounts.models import User

    user = make_user("refused")
    client = client_for(user)
    if case == "deleted":
        User.objects.filter(pk=user.pk).delete()
    elif case == "inactive":
        User.objects.filter(pk=user.pk).update(is_active=False)
    else:
        account_lock(user_id=user.pk, until=LOCKED_FOREVER if case == "banned" else timezone.now() + timedelta(days=1))
    here, there = client.get(URL), client.get("/api/me/")
    assert here.status_code == there.status_code == (401 if case in ("deleted", "inactive") else 403)
    assert here.json() == there.json()
    assert here.headers.get("WWW-Authenticate") == there.headers.get("WWW-Authenticate")


def test_a_token_whose_claim_is_no_user_key_is_refused_here_and_elsewhere(api_client):
    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken()
    token["user_id"] = "not-a-key"
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    for url in (URL, "/api/me/"):  # SimpleJWT's own look-up would raise ValueError: a 500
        answer = api_client.get(url)
        assert answer.status_code == 401 and answer.json()["code"] == "user_not_found"


def test_a_player_whose_attributes_changed_is_evaluated_again(client_for, alice, make_flag):
    make_flag("skin", "plain", [{"condition": {"country": "FR"}, "force": "fr"}])
    client = client_for(alice)
    assert client.get(URL).json()["flags"]["skin"] == "plain"
    client.put(URL + "attributes/", {"country": "FR"}, format="json")
    assert client.get(URL).json()["flags"]["skin"] == "fr"  # the remembered answer was for other attributes


def test_an_exposure_removed_is_recorded_again_by_another_process(client_for, alice, make_flag):
    make_flag("price", 100, [experiment(key="price-test")])
    client = client_for(alice)
    client.get(URL)
    Exposure.objects.filter(user=alice).delete()
    client.get(URL)
    assert not Exposure.objects.filter(user=alice).exists()  # this process recorded it once
    evaluation.forget_recorded()  # as a restart or another process, which insert again
    client.get(URL)
    assert Exposure.objects.filter(user=alice, key="price-test").count() == 1


def test_every_name_a_rule_may_read_an_attribute_by_is_found():
    rules = [
        {"condition": {"$or": [{"level": {"$gte": 5}}, {"$not": {"events.purchase": {"$gte": 1}}}]}, "force": 1},
        {"variations": [0, 1], "weights": [0.5, 0.5], "key": "k", "hashAttribute": "spent", "coverage": 1},
    ]
    names = cache.names_in([rules])
    assert {"level", "events", "spent"} <= names and "games_played" not in names


def test_a_player_reads_only_the_computed_attributes_a_rule_names(client_for, alice, make_flag):
    make_flag("speed", 1, [{"condition": {"country": "FR"}, "force": 2}])
    client = client_for(alice)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).json()["flags"] == {"speed": 1}
    statement = queries.captured_queries[-1]["sql"]
    assert "inboxentry" in statement  # the unread count is in every answer
    for table in ("progression_player", "game_gameplayer", "payments_purchase"):
        assert table not in statement


@requires_postgres
def test_a_players_statement_is_planned_once_per_connection_after_five_runs(client_for, alice, make_flag):
    """The statement of ``GET /api/liveops/`` is prepared on the connection that ran it five times
    (the settings' ``prepare_threshold``): PostgreSQL then runs the plan it kept, where planning it
    again cost about four times its run."""
    make_flag("speed", 1, [{"condition": {"country": "FR"}, "force": 2}])
    client = client_for(alice)
    for _ in range(7):
        assert client.get(URL).json()["flags"] == {"speed": 1}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans + custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%liveops_inboxentry%"],
        )
        [(runs,)] = cursor.fetchall()
    assert runs >= 2  # prepared at the fifth run, run again at the sixth and seventh


def test_a_rule_naming_a_computed_attribute_reads_it_at_once(client_for, alice, make_flag):
    from progression.models import Player

    make_flag("speed", 1, [{"condition": {"country": "FR"}, "force": 2}])
    client = client_for(alice)
    assert client.get(URL).json()["flags"] == {"speed": 1}
    make_flag("veteran", False, [{"condition": {"level": {"$gte": 3}}, "force": True}])
    cache.expire()
    assert client.get(URL).json()["flags"] == {"speed": 1, "veteran": False}
    Player.objects.create(user=alice, level=3, stamina_updated_at=timezone.now())
    assert client.get(URL).json()["flags"] == {"speed": 1, "veteran": True}


def test_a_live_events_condition_naming_a_computed_attribute_reads_it(client_for, alice):
    from liveops.schedule import services as schedule_services
    from progression.models import Player

    now = timezone.now()
    window = {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(hours=1)}
    schedule_services.live_event_create(staff=None, name="Veterans", condition={"level": {"$gte": 3}}, **window)
    client = client_for(alice)
    assert client.get(URL).json()["live_events"] == []
    Player.objects.create(user=alice, level=3, stamina_updated_at=timezone.now())
    assert [event["name"] for event in client.get(URL).json()["live_events"]] == ["Veterans"]


def test_a_remembered_answer_is_sent_as_rest_frameworks_json_and_indented_on_request(client_for, alice, make_flag):
    make_flag("speed", 1, [{"condition": {"country": "FR"}, "force": 2}, experiment()])
    client = client_for(alice)
    first, second = client.get(URL), client.get(URL)  # the second is the answer remembered
    assert first.content == second.content == JSONRenderer().render(first.json())
    assert first["Content-Type"] == "application/json" and first["ETag"] == second["ETag"]
    indented = client.get(URL, HTTP_ACCEPT="application/json; indent=2")
    assert indented.content == JSONRenderer().render(first.json(), "application/json; indent=2")


def test_a_new_message_changes_the_remembered_answer_at_once(client_for, alice, make_flag):
    from liveops.inbox.models import InboxEntry, Message

    make_flag("speed", 1, [{"condition": {"country": "FR"}, "force": 2}])
    client = client_for(alice)
    first = client.get(URL)
    assert first.json()["messages_unread"] == 0
    message = Message.objects.create(title="Hello", send_at=timezone.now(), sent_at=timezone.now())
    InboxEntry.objects.create(user=alice, message=message)
    changed = client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed.json()["messages_unread"] == 1
