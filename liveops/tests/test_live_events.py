"""Live events: validation, overrides before the rules for the players they match, explicit joins,
recurring occurrences, the push at a start, and the staff's routes."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from conftest import receive_type
from liveops import timers
from liveops.models import PlayerAttributes
from liveops.schedule import running, services
from liveops.schedule.models import LiveEventJoin
from liveops.tests.test_push import notification_socket
from staff.models import AuditEntry

URL = "/api/liveops/admin/live-events/"


def body(**extra) -> dict:
    now = timezone.now()
    return {
        "name": "Double XP",
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
        **extra,
    }


def make_event(**extra):
    now = timezone.now()
    fields = {"name": "Double XP", "starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(hours=1), **extra}
    return services.live_event_create(staff=None, **fields)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"ends_at": (timezone.now() - timedelta(days=1)).isoformat()}, "ends_at"),
        ({"recurrence": "0 18 * * *"}, "duration_seconds"),
        ({"recurrence": "0 25 * * *", "duration_seconds": 60}, "recurrence"),
        ({"recurrence": "0 18 *", "duration_seconds": 60}, "recurrence"),
        ({"overrides": ["speed"]}, "overrides"),
        ({"overrides": {"not a name": 1}}, "overrides"),
        ({"condition": "FR"}, "condition"),
        ({"join": "maybe"}, "join"),
    ],
)
def test_a_malformed_event_is_refused_naming_its_field(client_for, operator, extra, field):
    response = client_for(operator).post(URL, body(**extra), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()


@pytest.mark.django_db
def test_a_running_events_override_wins_over_the_rules_for_a_matching_player_only(client_for, make_flag, alice, bob):
    make_flag("xp", 1, [{"condition": {"country": "FR"}, "force": 3}])
    PlayerAttributes.objects.create(user=alice, country="FR")
    PlayerAttributes.objects.create(user=bob, country="DE")
    event = make_event(condition={"country": "FR"}, overrides={"xp": 2}, value={"banner": "x2"})
    mine = client_for(alice).get("/api/liveops/").json()
    assert mine["flags"]["xp"] == 2
    assert [e["id"] for e in mine["live_events"]] == [event.pk]
    assert mine["live_events"][0]["value"] == {"banner": "x2"} and mine["live_events"][0]["joined"] is True
    theirs = client_for(bob).get("/api/liveops/").json()
    assert theirs["flags"]["xp"] == 1 and theirs["live_events"] == []


@pytest.mark.django_db
def test_of_several_running_events_the_one_started_last_wins(client_for, make_flag, alice):
    make_flag("xp", 1)
    now = timezone.now()
    make_event(overrides={"xp": 5}, starts_at=now - timedelta(minutes=5))
    make_event(overrides={"xp": 7}, starts_at=now - timedelta(minutes=10))
    assert client_for(alice).get("/api/liveops/").json()["flags"]["xp"] == 5


@pytest.mark.django_db
def test_anonymous_players_see_only_events_without_a_condition(api_client, make_flag):
    make_flag("xp", 1)
    make_event(name="everyone", overrides={"xp": 2})
    make_event(name="french", condition={"country": "FR"}, overrides={"xp": 3})
    answer = api_client.get("/api/liveops/").json()
    assert [e["name"] for e in answer["live_events"]] == ["everyone"] and answer["flags"]["xp"] == 2


@pytest.mark.django_db
def test_an_event_runs_from_its_start_by_the_clock_alone(client_for, alice):
    now = timezone.now()
    make_event(starts_at=now + timedelta(seconds=30), ends_at=now + timedelta(hours=1))
    before = client_for(alice).get("/api/liveops/")
    later = running.running(now + timedelta(seconds=31))
    assert [o.event.name for o in later] == ["Double XP"] and before.json()["live_events"] == []


@pytest.mark.django_db
def test_an_explicit_event_is_joined_once_while_it_runs(client_for, alice):
    event = make_event(join="explicit")
    client = client_for(alice)
    assert client.get("/api/liveops/").json()["live_events"][0]["joined"] is False
    for _ in range(2):
        response = client.post(f"/api/liveops/live-events/{event.pk}/join/")
        assert response.status_code == 200 and response.json()["joined"] is True
    assert LiveEventJoin.objects.filter(event=event, user=alice).count() == 1
    assert client.get("/api/liveops/").json()["live_events"][0]["joined"] is True


@pytest.mark.django_db
def test_an_explicit_events_overrides_apply_only_once_the_player_joined_it(
    api_client, client_for, make_flag, alice, bob
):
    make_flag("xp", 1)
    event = make_event(join="explicit", overrides={"xp": 2})
    alice_client, bob_client = client_for(alice), client_for(bob)
    assert alice_client.get("/api/liveops/").json()["flags"]["xp"] == 1
    assert alice_client.post(f"/api/liveops/live-events/{event.pk}/join/").status_code == 200
    assert alice_client.get("/api/liveops/").json()["flags"]["xp"] == 2
    assert bob_client.get("/api/liveops/").json()["flags"]["xp"] == 1  # bob has not joined
    assert api_client.get("/api/liveops/").json()["flags"]["xp"] == 1  # nor anyone anonymous


@pytest.mark.django_db
def test_joining_outside_its_time_is_409_and_an_unknown_event_404(client_for, alice):
    now = timezone.now()
    later = make_event(join="explicit", starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=2))
    hidden = make_event(join="explicit", condition={"country": "FR"})
    client = client_for(alice)
    assert client.post(f"/api/liveops/live-events/{later.pk}/join/").json()["code"] == "not_active"
    assert client.post(f"/api/liveops/live-events/{later.pk}/join/").status_code == 409
    assert client.post(f"/api/liveops/live-events/{hidden.pk}/join/").status_code == 404
    assert client.post("/api/liveops/live-events/999999/join/").json()["code"] == "live_event_not_found"


@pytest.mark.django_db
def test_a_recurring_event_shows_its_current_occurrence(client_for, alice):
    now = timezone.now().replace(second=0, microsecond=0)
    start = now - timedelta(minutes=10)
    event = make_event(
        starts_at=now - timedelta(days=2),
        ends_at=now + timedelta(days=2),
        recurrence=f"{start.minute} {start.hour} * * *",
        duration_seconds=3600,
    )
    shown = client_for(alice).get("/api/liveops/").json()["live_events"]
    assert [(e["id"], e["starts_at"], e["ends_at"]) for e in shown] == [
        (
            event.pk,
            start.isoformat().replace("+00:00", "Z"),
            (start + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
        )
    ]
    assert running.running(start + timedelta(hours=1)) == []  # between occurrences
    assert [o.starts_at for o in running.running(start + timedelta(days=1, minutes=1))] == [start + timedelta(days=1)]


@pytest.mark.django_db
def test_what_runs_is_remembered_only_until_the_next_start_or_end():
    now = timezone.now().replace(second=0, microsecond=0)
    make_event(name="one-off", starts_at=now + timedelta(minutes=5), ends_at=now + timedelta(minutes=50))
    make_event(
        name="hourly",
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(hours=3),
        recurrence=f"{(now + timedelta(minutes=20)).minute} * * * *",
        duration_seconds=600,
    )
    events = running.current()
    boundaries = [now + timedelta(minutes=m) for m in (5, 20, 30, 50, 80, 90, 140, 180)]
    moments = sorted({b + timedelta(microseconds=d) for b in boundaries for d in (-1, 0, 1)})
    # each computed from a copy of its own, then each asked of the process's one copy in turn
    fresh = {at: running.running(at, running._compile([e.event for e in events.events])) for at in moments}  # noqa: SLF001
    for at in [*moments, *reversed(moments)]:  # the clock forward, then back
        assert running.running(at, events) == fresh[at], at
    assert [o.event.name for o in running.running(now + timedelta(minutes=21))] == ["one-off", "hourly"]


@pytest.mark.django_db
def test_staff_changes_are_audited(client_for, operator):
    client = client_for(operator)
    created = client.post(URL, body(overrides={"xp": 2}), format="json")
    assert created.status_code == 201, created.content
    event_id = created.json()["id"]
    assert client.get(f"{URL}{event_id}/").json()["overrides"] == {"xp": 2}
    assert client.put(f"{URL}{event_id}/", body(name="Triple XP"), format="json").json()["name"] == "Triple XP"
    assert client.delete(f"{URL}{event_id}/").status_code == 204
    assert client.get(f"{URL}{event_id}/").json()["code"] == "live_event_not_found"
    actions = list(AuditEntry.objects.filter(target_id=str(event_id)).order_by("id").values_list("action", "staff"))
    assert actions == [(a, operator.pk) for a in ("live_event.create", "live_event.update", "live_event.delete")]


@pytest.mark.django_db
def test_other_staff_and_players_get_403(client_for, moderator, alice):
    for user in (moderator, alice):
        assert client_for(user).get(URL).status_code == 403
        assert client_for(user).post(URL, body(), format="json").status_code == 403


@pytest.mark.django_db(transaction=True)
async def test_the_timer_pushes_liveops_changed_when_an_event_starts(ws_connect, alice):
    now = timezone.now()
    timers.Seen.running = None
    ws = await notification_socket(ws_connect, alice)
    await sync_to_async(make_event)(starts_at=now + timedelta(seconds=5), ends_at=now + timedelta(hours=1))
    await receive_type(ws, "liveops_changed", timeout=2)  # the creation's own push
    await sync_to_async(running.expire)()
    assert await sync_to_async(timers.push_live_event_boundaries)(now) is False  # a first look only looks
    assert await sync_to_async(timers.push_live_event_boundaries)(now + timedelta(seconds=1)) is False
    assert await ws.receive_nothing(timeout=0.3)
    assert await sync_to_async(timers.push_live_event_boundaries)(now + timedelta(seconds=6)) is True
    assert await receive_type(ws, "liveops_changed", timeout=2) == {"type": "liveops_changed"}
    await ws.disconnect()


def test_a_duration_past_the_bound_is_refused_naming_the_field_not_a_server_error(client_for, operator):
    """``duration_seconds`` of 10**15 overflowed ``timedelta`` (a 500); it is refused 400."""
    answer = client_for(operator).post(
        "/api/liveops/admin/live-events/",
        {
            "name": "huge",
            "starts_at": "2026-01-01T00:00:00Z",
            "ends_at": "2027-01-01T00:00:00Z",
            "recurrence": "0 * * * *",
            "duration_seconds": 10**15,
        },
        format="json",
    )
    assert answer.status_code == 400
    assert "duration_seconds" in answer.json()
