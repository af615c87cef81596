"""Tournaments: who creates them, joining (fee once, 402 when poor), records only from entrants in the window,
rewards by rank at the end, and the entrants told on their notification socket."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from conftest import receive_type
from leaderboards import services
from leaderboards.models import Payout, Tournament
from notifications.models import Notification
from progression.models import LedgerEntry, Player
from progression.services import player_ensure

pytestmark = pytest.mark.django_db

REWARDS = [{"rank_from": 1, "rank_to": 1, "gold": 100}, {"rank_from": 2, "rank_to": 3, "gold": 30}]


@pytest.fixture
def make_tournament(admin):
    def make(id: str = "cup", *, start=None, end=None, **fields) -> Tournament:
        now = timezone.now()
        return services.tournament_create(
            actor=admin,
            id=id,
            start=start or now - timedelta(minutes=1),
            end=end or now + timedelta(hours=1),
            **{"rewards": REWARDS, **fields},
        )

    return make


def gold(user) -> int:
    player_ensure(user_id=user.pk)
    return Player.objects.get(pk=user.pk).gold


def test_an_admin_creates_a_tournament_that_players_list(client_for, admin, alice):
    now = timezone.now()
    body = {
        "id": "spring-cup",
        "title": "Spring cup",
        "start": now.isoformat(),
        "end": (now + timedelta(days=1)).isoformat(),
        "max_entries": 8,
        "entry_fee": 10,
        "rewards": REWARDS,
    }
    created = client_for(admin).post("/api/tournaments/", body, format="json")
    assert created.status_code == 201, created.json()
    assert client_for(alice).post("/api/tournaments/", body, format="json").json()["code"] == "admin_only"
    listed = client_for(alice).get("/api/tournaments/").json()["results"]
    assert [(t["id"], t["status"], t["joined"], t["entry_count"]) for t in listed] == [("spring-cup", "open", False, 0)]
    assert client_for(alice).get("/api/leaderboards/").json()["results"] == []  # a tournament, not a board


def test_tournaments_come_in_pages_the_latest_to_start_first_with_my_entry(client_for, alice, make_tournament):
    now = timezone.now()
    for days, id in ((3, "third"), (1, "first"), (2, "second")):
        make_tournament(id, start=now - timedelta(days=days))
    client_for(alice).post("/api/tournaments/third/join/")
    first = client_for(alice).get("/api/tournaments/", {"page_size": 2}).json()
    assert [t["id"] for t in first["results"]] == ["first", "second"]
    assert first["previous"] is None and first["count"] == 3
    second = client_for(alice).get(first["next"]).json()
    assert [(t["id"], t["joined"]) for t in second["results"]] == [("third", True)]
    assert second["next"] is None


def test_rewards_with_a_reversed_range_are_refused(client_for, admin):
    now = timezone.now()
    body = {"id": "x", "start": now.isoformat(), "end": (now + timedelta(days=1)).isoformat()}
    bad = client_for(admin).post("/api/tournaments/", {**body, "rewards": [{"rank_from": 3, "rank_to": 1, "gold": 5}]})
    assert bad.status_code == 400


def test_joining_pays_the_fee_once(client_for, alice, make_tournament):
    make_tournament(entry_fee=40)
    before = gold(alice)
    client = client_for(alice)
    first = client.post("/api/tournaments/cup/join/")
    again = client.post("/api/tournaments/cup/join/")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["joined"] is True and again.json()["entry_count"] == 1
    assert gold(alice) == before - 40
    assert LedgerEntry.objects.filter(player_id=alice.pk, reason="tournament_entry").count() == 1


def test_a_player_who_cannot_pay_gets_402_and_no_seat(client_for, alice, make_tournament):
    make_tournament(entry_fee=10**6)
    answer = client_for(alice).post("/api/tournaments/cup/join/")
    assert answer.status_code == 402 and answer.json()["code"] == "insufficient_funds"
    assert Tournament.objects.get().entry_count == 0


def test_a_full_or_finished_tournament_takes_nobody(client_for, alice, bob, make_tournament):
    make_tournament(max_entries=1)
    client_for(alice).post("/api/tournaments/cup/join/")
    full = client_for(bob).post("/api/tournaments/cup/join/")
    assert full.status_code == 409 and full.json()["code"] == "tournament_full"
    now = timezone.now()
    make_tournament("old", start=now - timedelta(hours=2), end=now - timedelta(hours=1))
    over = client_for(bob).post("/api/tournaments/old/join/")
    assert over.status_code == 409 and over.json()["code"] == "tournament_over"


def test_records_come_only_from_entrants_within_the_window(client_for, alice, bob, make_tournament):
    make_tournament()
    later = make_tournament("later", start=timezone.now() + timedelta(hours=1), end=timezone.now() + timedelta(hours=2))
    client_for(alice).post("/api/tournaments/cup/join/")
    client_for(alice).post("/api/tournaments/later/join/")
    ok = client_for(alice).post("/api/leaderboards/cup/records/", {"score": 5}, format="json")
    assert ok.status_code == 200
    stranger = client_for(bob).post("/api/leaderboards/cup/records/", {"score": 5}, format="json")
    assert stranger.status_code == 403 and stranger.json()["code"] == "not_entered"
    early = client_for(alice).post(f"/api/leaderboards/{later.pk}/records/", {"score": 5}, format="json")
    assert early.status_code == 409 and early.json()["code"] == "tournament_closed"


def test_at_the_end_rewards_are_paid_by_rank_and_entrants_told(client_for, make_user, make_tournament):
    tournament = make_tournament()
    players = [make_user() for _ in range(5)]
    for score, user in zip([50, 40, 30, 20, 10], players, strict=True):
        client = client_for(user)
        client.post("/api/tournaments/cup/join/")
        client.post("/api/leaderboards/cup/records/", {"score": score}, format="json")
    start = {u.pk: gold(u) for u in players}
    Tournament.objects.filter(pk=tournament.pk).update(end=timezone.now())
    assert services.tournaments_end_due() == 3
    assert services.tournaments_end_due() == 0
    assert [gold(u) - start[u.pk] for u in players] == [100, 30, 30, 0, 0]
    assert client_for(players[0]).get("/api/tournaments/cup/").json()["status"] == "ended"
    told = {n.user_id: n.payload for n in Notification.objects.filter(kind="tournament_ended")}
    assert told[players[0].pk] == {"tournament": "cup", "title": "", "rank": 1, "gold": 100}
    assert told[players[4].pk]["rank"] == 5 and told[players[4].pk]["gold"] == 0
    late = client_for(players[4]).post("/api/leaderboards/cup/records/", {"score": 99}, format="json")
    assert late.status_code == 409
    assert Payout.objects.count() == 3


@pytest.mark.django_db(transaction=True)
async def test_an_entrant_hears_the_end_on_the_notification_socket(ws_connect, alice, bob, make_tournament):
    tournament = await sync_to_async(make_tournament)(title="Spring cup")
    await sync_to_async(services.tournament_join)(tournament_id=tournament.pk, user=alice)
    await sync_to_async(services.record_write)(board_id=tournament.pk, user_id=alice.pk, score=12)
    alice_ws, alice_open, _ = await ws_connect("/ws/notifications/", alice)
    bob_ws, bob_open, _ = await ws_connect("/ws/notifications/", bob)
    assert alice_open and bob_open
    await receive_type(alice_ws, "badge")
    await receive_type(bob_ws, "badge")

    await sync_to_async(Tournament.objects.filter(pk=tournament.pk).update)(end=timezone.now())
    assert await sync_to_async(services.tournaments_end_due)() == 1

    frame = await receive_type(alice_ws, "notification")
    assert frame["kind"] == "tournament_ended"
    assert frame["payload"] == {"tournament": "cup", "title": "Spring cup", "rank": 1, "gold": 100}
    assert await bob_ws.receive_nothing(timeout=0.3)  # not an entrant
    await alice_ws.disconnect()
    await bob_ws.disconnect()
