"""Live operations in the admin, as a staff member with the role ``liveops`` uses it: flags, live
events and messages edited through the services (validated, audited, the version raised), the
preview of what a player gets and why, an experiment's results, and history with rollback."""

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from conftest import receive_type
from liveops import evaluation, services
from liveops.analytics.models import AnalyticsEvent
from liveops.inbox.models import Message
from liveops.models import Exposure, Flag, PlayerAttributes
from liveops.schedule import services as schedule_services
from liveops.schedule.models import LiveEvent
from liveops.selectors import liveops_version
from liveops.tests.test_push import flag_made, notification_socket
from staff.models import AuditEntry

pytestmark = pytest.mark.django_db

FLAGS = "/admin/liveops/flag/"
EVENTS = "/admin/liveops/liveevent/"
EXPERIMENT = {
    "key": "price-test",
    "variations": [100, 80],
    "weights": [0.5, 0.5],
    "hashAttribute": "id",
    "coverage": 1,
}


@pytest.fixture
def admin_as():
    def login(user) -> Client:
        browser = Client()
        browser.force_login(user)
        return browser

    return login


@pytest.fixture
def ops_admin(admin_as, operator):
    return admin_as(operator)


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


def at(minutes: int) -> dict:
    moment = timezone.now() + timedelta(minutes=minutes)
    return {"0": moment.strftime("%Y-%m-%d"), "1": moment.strftime("%H:%M:%S")}


def event_form(name: str, starts: int, ends: int, **extra) -> dict:
    start, end = at(starts), at(ends)
    form = {
        "name": name,
        "description": "",
        "value": "null",
        "starts_at_0": start["0"],
        "starts_at_1": start["1"],
        "ends_at_0": end["0"],
        "ends_at_1": end["1"],
        "recurrence": "",
        "duration_seconds": "",
        "condition": "{}",
        "join": "auto",
        "overrides": "{}",
    }
    return {**form, **extra}


# --- editing through the services ----------------------------------------------------------


def test_a_flag_added_in_the_admin_is_audited_and_raises_the_version(ops_admin, operator):
    version = liveops_version()
    answer = ops_admin.post(
        f"{FLAGS}add/", {"name": "round-seconds", "description": "", "default_value": "90", "rules": "[]"}
    )
    assert answer.status_code == 302, answer.content[:2000]
    flag = Flag.objects.get(name="round-seconds")
    assert flag.default_value == 90 and flag.rules == []
    entry = AuditEntry.objects.get(action="flag.create")
    assert (entry.staff_id, entry.target_id, entry.detail) == (
        operator.pk,
        str(flag.pk),
        {"defaultValue": 90, "rules": []},
    )
    assert liveops_version() == version + 1


def test_a_flag_change_in_the_admin_keeps_before_and_after_and_is_pushed(ops_admin, make_flag):
    flag = make_flag("price", 100)
    version = liveops_version()
    rules = '[{"condition": {"platform": "ios"}, "force": 80}]'
    with_push = ops_admin.post(
        f"{FLAGS}{flag.pk}/change/", {"name": "price", "description": "gems", "default_value": "120", "rules": rules}
    )
    assert with_push.status_code == 302, with_push.content[:2000]
    flag.refresh_from_db()
    assert (flag.default_value, flag.description) == (120, "gems")
    detail = AuditEntry.objects.get(action="flag.update").detail
    assert detail["before"] == {"defaultValue": 100, "rules": []}
    assert detail["after"] == {"defaultValue": 120, "rules": [{"condition": {"platform": "ios"}, "force": 80}]}
    assert liveops_version() == version + 1
    assert evaluation.flags_for_no_player()["price"] == 120  # this process sees it at once


def test_saving_a_flag_unchanged_in_the_admin_audits_nothing_and_pushes_nothing(ops_admin, make_flag):
    flag = make_flag("price", 100)
    version, audited = liveops_version(), AuditEntry.objects.count()
    saved = ops_admin.post(
        f"{FLAGS}{flag.pk}/change/", {"name": "price", "description": "", "default_value": "100", "rules": "[]"}
    )
    assert saved.status_code == 302, saved.content[:2000]
    assert (liveops_version(), AuditEntry.objects.count()) == (version, audited)


def test_a_flag_the_service_refuses_shows_the_field_error_and_writes_nothing(ops_admin, make_flag):
    flag = make_flag("price", 100)
    version, entries = liveops_version(), AuditEntry.objects.count()
    bad = dict(EXPERIMENT, weights=[0.5, 0.4])
    answer = ops_admin.post(
        f"{FLAGS}{flag.pk}/change/",
        {"name": "price", "description": "", "default_value": "100", "rules": json.dumps([bad])},
    )
    assert answer.status_code == 200
    assert form_errors(answer)["rules"] == ["rule 0: weights must sum to 1."]
    assert b"weights must sum to 1." in answer.content
    flag.refresh_from_db()
    assert flag.rules == []
    assert (liveops_version(), AuditEntry.objects.count()) == (version, entries)


def test_a_taken_flag_name_is_an_error_on_the_name(ops_admin, make_flag):
    make_flag("price", 100)
    answer = ops_admin.post(f"{FLAGS}add/", {"name": "price", "description": "", "default_value": "1", "rules": ""})
    assert answer.status_code == 200
    assert "name" in form_errors(answer)
    assert Flag.objects.count() == 1


def test_a_flag_deleted_in_the_admin_is_audited(ops_admin, make_flag):
    flag = make_flag("price", 100)
    version = liveops_version()
    assert ops_admin.post(f"{FLAGS}{flag.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Flag.objects.exists()
    assert AuditEntry.objects.get(action="flag.delete").detail == {"defaultValue": 100, "rules": []}
    assert liveops_version() == version + 1


def test_a_live_event_added_in_the_admin_goes_through_the_service(ops_admin, operator):
    answer = ops_admin.post(f"{EVENTS}add/", event_form("Double XP", -1, 60, overrides='{"xp-multiplier": 2}'))
    assert answer.status_code == 302, answer.content[:3000]
    event = LiveEvent.objects.get()
    assert event.overrides == {"xp-multiplier": 2}
    assert AuditEntry.objects.get(action="live_event.create").staff_id == operator.pk


def test_a_live_event_ending_before_it_starts_is_an_error_on_ends_at(ops_admin):
    answer = ops_admin.post(f"{EVENTS}add/", event_form("Backwards", 60, 1))
    assert answer.status_code == 200
    assert form_errors(answer)["ends_at"] == ["Must be after starts_at."]
    assert not LiveEvent.objects.exists() and not AuditEntry.objects.exists()


def test_a_recurring_live_event_without_a_duration_is_an_error_on_the_duration(ops_admin):
    answer = ops_admin.post(f"{EVENTS}add/", event_form("Weekend", -1, 600, recurrence="0 18 * * 5"))
    assert answer.status_code == 200
    assert form_errors(answer)["duration_seconds"] == ["A recurring event needs its duration."]


def test_a_message_added_in_the_admin_is_audited_and_delivered_by_the_timer(ops_admin, operator):
    form = {"title": "Welcome", "body": "Hi", "data": "{}", "condition": '{"platform": "ios"}'}
    answer = ops_admin.post("/admin/liveops/message/add/", {**form, "send_at_0": "", "send_at_1": ""})
    assert answer.status_code == 302, answer.content[:3000]
    message = Message.objects.get()
    assert message.condition == {"platform": "ios"} and message.created_by == operator
    assert AuditEntry.objects.get(action="message.create").target == "Welcome"


def test_a_message_with_gifts_and_an_expiry_is_added_in_the_admin(ops_admin):
    form = {"title": "Sorry", "body": "", "data": "{}", "condition": "{}", "grants": '{"gems": 50}'}
    expiry = {"expires_at_0": at(60 * 24)["0"], "expires_at_1": at(60 * 24)["1"]}
    answer = ops_admin.post("/admin/liveops/message/add/", {**form, **expiry, "send_at_0": "", "send_at_1": ""})
    assert answer.status_code == 302, answer.content[:3000]
    message = Message.objects.get()
    assert message.grants == {"gold": 0, "gems": 50, "items": []} and message.expires_at is not None


def test_gifts_of_a_wrong_shape_are_an_error_on_the_grants(ops_admin):
    form = {"title": "Sorry", "body": "", "data": "{}", "condition": "{}", "grants": '{"gems": -5}'}
    answer = ops_admin.post("/admin/liveops/message/add/", {**form, "send_at_0": "", "send_at_1": ""})
    assert answer.status_code == 200
    assert form_errors(answer)["grants"] == ["gems must be a whole number from 0 to 1000000."]
    assert not Message.objects.exists()


def test_a_message_condition_that_is_no_object_is_an_error_on_the_condition(ops_admin):
    form = {"title": "Welcome", "body": "", "data": "{}", "condition": "[1]", "send_at_0": "", "send_at_1": ""}
    answer = ops_admin.post("/admin/liveops/message/add/", form)
    assert answer.status_code == 200
    assert form_errors(answer)["condition"] == ["Must be a JSON object (a GrowthBook condition)."]
    assert not Message.objects.exists()


# --- who may --------------------------------------------------------------------------------


def test_staff_without_the_liveops_role_get_none_of_its_pages(admin_as, support, make_flag):
    flag = make_flag("price", 100)
    entry = AuditEntry.objects.get(action="flag.create")
    browser = admin_as(support)
    for page in (
        FLAGS,
        f"{FLAGS}add/",
        f"{FLAGS}{flag.pk}/change/",
        f"{FLAGS}{flag.pk}/history/",
        f"{FLAGS}preview/?player=ops",
        f"{FLAGS}experiments/",
        f"{FLAGS}experiments/price-test/?goal=buy",
        EVENTS,
        "/admin/liveops/message/add/",
    ):
        assert browser.get(page).status_code == 403, page
    assert browser.post(f"{FLAGS}{flag.pk}/rollback/{entry.pk}/").status_code == 403
    assert b"Flags" not in browser.get("/admin/").content


def test_the_liveops_role_sees_its_pages_on_the_admin_index(ops_admin):
    index = ops_admin.get("/admin/")
    assert b"Flags" in index.content and b"Live events" in index.content
    page = ops_admin.get(FLAGS)
    assert b"Preview a player" in page.content and b"Experiment results" in page.content


# --- preview --------------------------------------------------------------------------------


def test_the_preview_shows_each_value_and_why_and_records_no_exposure(ops_admin, alice, make_flag):
    PlayerAttributes.objects.create(user=alice, platform="ios")
    make_flag("banner", "none", [{"condition": {"platform": "ios"}, "force": "ios-sale"}])
    make_flag("gem-price", 100, [{"condition": {"platform": "android"}, "force": 90}, EXPERIMENT])
    make_flag("round-seconds", 90)
    expected_variation = evaluation.evaluate(attributes={"id": alice.pk}, features=evaluation.cache.flags().features)[
        1
    ]["price-test"]

    page = ops_admin.get(f"{FLAGS}preview/", {"player": "ALICE"})
    assert page.status_code == 200
    rows = {row.flag: row for row in page.context["explained"]}
    assert (rows["banner"].value, rows["banner"].reason) == ("ios-sale", "rule 0: forced for its audience")
    assert rows["gem-price"].reason == f"rule 1: experiment 'price-test', variation {expected_variation}"
    assert rows["gem-price"].value == EXPERIMENT["variations"][expected_variation]
    assert (rows["round-seconds"].value, rows["round-seconds"].reason) == (90, "default value (no rule applies)")
    assert b"rule 0: forced for its audience" in page.content
    assert not Exposure.objects.exists()


def test_the_preview_finds_a_player_by_id_and_names_the_overriding_live_event(ops_admin, alice, make_flag):
    make_flag("xp-multiplier", 1)
    now = timezone.now()
    event = schedule_services.live_event_create(
        staff=None,
        name="Double XP",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
        overrides={"xp-multiplier": 2},
    )
    page = ops_admin.get(f"{FLAGS}preview/", {"player": str(alice.pk)})
    (row,) = page.context["explained"]
    assert row.value == 2
    assert row.reason == f"live event #{event.pk} 'Double XP' overrides it (its rules give 1)"


def test_the_preview_applies_an_explicit_events_override_only_once_the_player_joined_it(ops_admin, alice, make_flag):
    make_flag("xp-multiplier", 1)
    now = timezone.now()
    event = schedule_services.live_event_create(
        staff=None,
        name="Boss rush",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
        overrides={"xp-multiplier": 3},
        join=LiveEvent.EXPLICIT,
    )
    (row,) = ops_admin.get(f"{FLAGS}preview/", {"player": "alice"}).context["explained"]
    assert (row.value, row.source) == (1, "defaultValue")
    assert row.reason == (
        f"default value (no rule applies); live event #{event.pk} 'Boss rush' would override it with 3 "
        "once the player joins it"
    )
    schedule_services.live_event_join(user=alice, event_id=event.pk)
    (row,) = ops_admin.get(f"{FLAGS}preview/", {"player": "alice"}).context["explained"]
    assert (row.value, row.reason) == (3, f"live event #{event.pk} 'Boss rush' overrides it (its rules give 1)")


def test_the_preview_of_nobody_says_so(ops_admin):
    page = ops_admin.get(f"{FLAGS}preview/", {"player": "nobody-here"})
    assert page.status_code == 200
    assert page.context["form"].errors["player"] == ["No player has this username or id."]


# --- experiment results ------------------------------------------------------------------------


def test_the_results_page_shows_players_converted_rate_and_srm(ops_admin, make_flag, make_user):
    make_flag("gem-price", 100, [EXPERIMENT])
    people = [make_user(f"buyer{n}") for n in range(4)]
    for person in people:
        Exposure.objects.create(user=person, key="price-test", variation=people.index(person) % 2)
    now = timezone.now()
    AnalyticsEvent.objects.create(user=people[0], client_id="1", name="purchase", timestamp=now, received_at=now)

    listed = ops_admin.get(f"{FLAGS}experiments/")
    assert b"price-test" in listed.content
    page = ops_admin.get(f"{FLAGS}experiments/price-test/", {"goal": "purchase"})
    assert page.status_code == 200
    keys = ("variation", "players", "converted", "rate")
    assert [{key: row[key] for key in keys} for row in page.context["results"]["variations"]] == [
        {"variation": 0, "players": 2, "converted": 1, "rate": 0.5},
        {"variation": 1, "players": 2, "converted": 0, "rate": 0.0},
    ]
    assert b"<td>0 (control)</td><td>" in page.content and b"<td>2</td><td>1</td><td>0.5000</td>" in page.content
    assert b"p-value" in page.content
    assert b"Sample-ratio-mismatch p-value: 1.0000" in page.content


def test_the_results_page_asks_for_a_goal_first(ops_admin):
    page = ops_admin.get(f"{FLAGS}experiments/price-test/")
    assert page.status_code == 200 and page.context["results"] is None
    assert b"Show the results" in page.content


# --- history and rollback -------------------------------------------------------------------


def test_a_flags_history_shows_who_when_before_and_after(ops_admin, operator, make_flag):
    flag = make_flag("price", 100)
    services.flag_update(staff=operator, name="price", new_name="price", description="", default_value=120, rules=[])
    page = ops_admin.get(f"{FLAGS}{flag.pk}/history/")
    assert page.status_code == 200
    changes = page.context["changes"]
    assert [(c.action, c.staff) for c in changes] == [("flag.update", "ops"), ("flag.create", "system")]
    assert (changes[0].before, changes[0].after) == (
        {"defaultValue": 100, "rules": []},
        {"defaultValue": 120, "rules": []},
    )
    assert b"Roll back to this version" in page.content


def test_rolling_back_a_flag_restores_the_earlier_value_audited_and_pushed(ops_admin, operator, make_flag):
    flag = make_flag("price", 100, [{"condition": {"platform": "ios"}, "force": 80}])
    first = AuditEntry.objects.get(action="flag.create")
    services.flag_update(staff=operator, name="price", new_name="price", description="", default_value=120, rules=[])
    version = liveops_version()

    answer = ops_admin.post(f"{FLAGS}{flag.pk}/rollback/{first.pk}/")
    assert answer.status_code == 302
    flag.refresh_from_db()
    assert (flag.default_value, flag.rules) == (100, [{"condition": {"platform": "ios"}, "force": 80}])
    entry = AuditEntry.objects.get(action="flag.rollback")
    assert entry.staff_id == operator.pk and entry.detail["audit_id"] == first.pk
    assert entry.detail["before"] == {"defaultValue": 120, "rules": []}
    assert liveops_version() == version + 1
    assert ops_admin.get(answer["Location"]).context["changes"][0].action == "flag.rollback"


def test_a_rollback_to_another_flags_version_is_refused(ops_admin, make_flag):
    flag = make_flag("price", 100)
    make_flag("other", 5)
    other = AuditEntry.objects.get(action="flag.create", target="other")
    answer = ops_admin.post(f"{FLAGS}{flag.pk}/rollback/{other.pk}/", follow=True)
    assert b"version_not_found" in answer.content
    flag.refresh_from_db()
    assert flag.default_value == 100 and not AuditEntry.objects.filter(action="flag.rollback").exists()


def test_a_rollback_is_a_post(ops_admin, make_flag):
    flag = make_flag("price", 100)
    entry = AuditEntry.objects.get(action="flag.create")
    assert ops_admin.get(f"{FLAGS}{flag.pk}/rollback/{entry.pk}/").status_code == 405


def test_rolling_back_a_live_event_restores_its_fields(ops_admin, operator):
    now = timezone.now()
    times = {"starts_at": now - timedelta(minutes=1), "ends_at": now + timedelta(hours=1)}
    event = schedule_services.live_event_create(staff=operator, name="Double XP", overrides={"xp": 2}, **times)
    first = AuditEntry.objects.get(action="live_event.create")
    schedule_services.live_event_update(
        staff=operator, event_id=event.pk, name="Triple XP", overrides={"xp": 3}, **times
    )

    history = ops_admin.get(f"{EVENTS}{event.pk}/history/")
    assert [c.action for c in history.context["changes"]] == ["live_event.update", "live_event.create"]
    assert ops_admin.post(f"{EVENTS}{event.pk}/rollback/{first.pk}/").status_code == 302
    event.refresh_from_db()
    assert (event.name, event.overrides, event.ends_at) == ("Double XP", {"xp": 2}, times["ends_at"])
    assert AuditEntry.objects.get(action="live_event.rollback").detail["audit_id"] == first.pk


def test_a_flag_rolls_back_over_the_staff_api_to_a_version_its_history_names(client_for, operator, support, make_flag):
    make_flag("price", 100)
    services.flag_update(staff=operator, name="price", new_name="price", description="", default_value=120, rules=[])
    history = client_for(operator).get("/api/liveops/admin/flags/price/history/")
    assert history.status_code == 200, history.content
    assert [(c["action"], c["staff"], c["after"]) for c in history.json()] == [
        ("flag.update", "ops", {"defaultValue": 120, "rules": []}),
        ("flag.create", "system", {"defaultValue": 100, "rules": []}),
    ]
    assert client_for(support).get("/api/liveops/admin/flags/price/history/").status_code == 403
    first = AuditEntry.objects.get(pk=history.json()[1]["audit_id"])
    url = "/api/liveops/admin/flags/price/rollback/"
    assert client_for(support).post(url, {"audit_id": first.pk}, format="json").status_code == 403
    answer = client_for(operator).post(url, {"audit_id": first.pk}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["defaultValue"] == 100
    assert AuditEntry.objects.filter(action="flag.rollback").count() == 1
    missing = client_for(operator).post(url, {"audit_id": 10**9}, format="json")
    assert (missing.status_code, missing.json()["code"]) == (404, "version_not_found")
    assert client_for(operator).post(url, {"audit_id": "x"}, format="json").status_code == 400


def test_a_live_event_rolls_back_over_the_staff_api(client_for, operator):
    now = timezone.now()
    times = {"starts_at": now - timedelta(minutes=1), "ends_at": now + timedelta(hours=1)}
    event = schedule_services.live_event_create(staff=operator, name="Double XP", **times)
    first = AuditEntry.objects.get(action="live_event.create")
    schedule_services.live_event_update(staff=operator, event_id=event.pk, name="Renamed", **times)
    history = client_for(operator).get(f"/api/liveops/admin/live-events/{event.pk}/history/")
    assert [c["action"] for c in history.json()] == ["live_event.update", "live_event.create"]
    url = f"/api/liveops/admin/live-events/{event.pk}/rollback/"
    answer = client_for(operator).post(url, {"audit_id": first.pk}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["name"] == "Double XP"


@pytest.mark.django_db(transaction=True)
async def test_an_edit_and_a_rollback_in_the_admin_reach_a_connected_players_socket(
    ws_connect, alice, operator, make_flag
):
    ws = await notification_socket(ws_connect, alice)
    await flag_made(make_flag, ws, "speed", 1)
    browser = Client()
    await sync_to_async(browser.force_login)(operator)
    flag = await Flag.objects.aget(name="speed")
    form = {"name": "speed", "description": "", "default_value": "2", "rules": "[]"}
    edited = await sync_to_async(browser.post)(f"{FLAGS}{flag.pk}/change/", form)
    assert edited.status_code == 302
    assert await receive_type(ws, "liveops_changed", timeout=2) == {"type": "liveops_changed"}

    first = await AuditEntry.objects.aget(action="flag.create", target_id=str(flag.pk))
    rolled = await sync_to_async(browser.post)(f"{FLAGS}{flag.pk}/rollback/{first.pk}/")
    assert rolled.status_code == 302
    assert await receive_type(ws, "liveops_changed", timeout=2) == {"type": "liveops_changed"}
    assert (await Flag.objects.aget(pk=flag.pk)).default_value == 1
    await ws.disconnect()


# --- a live event over an experiment -------------------------------------------------------------


def test_saving_a_live_event_over_an_experiments_flag_warns_that_it_spoils_the_experiment(ops_admin, make_flag):
    make_flag("gem-price", 100, [EXPERIMENT])
    answer = ops_admin.post(f"{EVENTS}add/", event_form("Sale", -1, 60, overrides='{"gem-price": 50}'), follow=True)
    shown = [(m.level_tag, str(m)) for m in answer.context["messages"]]
    assert any(level == "warning" and "'price-test'" in text and "spoiled" in text for level, text in shown), shown
    event = LiveEvent.objects.get()
    opened = ops_admin.get(f"{EVENTS}{event.pk}/change/")
    assert any("spoiled" in str(m) for m in opened.context["messages"])
    flag_page = ops_admin.get(f"{FLAGS}{Flag.objects.get().pk}/change/")
    assert any("'Sale'" in str(m) for m in flag_page.context["messages"])


def test_a_live_event_over_a_flag_without_an_experiment_saves_without_a_warning(ops_admin, make_flag):
    make_flag("xp-multiplier", 1)
    answer = ops_admin.post(
        f"{EVENTS}add/", event_form("Double XP", -1, 60, overrides='{"xp-multiplier": 2}'), follow=True
    )
    assert not [m for m in answer.context["messages"] if m.level_tag == "warning"]
