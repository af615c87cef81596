"""The leaderboard admin writes through the services: the reset cron is checked as the API checks
it, and a board made or rescheduled there gets its next reset time, so the timer resets it; tournament
entries and payouts, which only the services make (the fee, the count, the ledger), are read only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leaderboards import services
from leaderboards.models import Entry, Leaderboard, Payout, Tournament

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def form(**fields) -> dict:
    return {"sort": "desc", "operator": "best", "reset": "", "metadata": "{}", **fields}


def test_a_board_added_in_the_admin_is_scheduled_and_resets(admin_client):
    added = admin_client.post("/admin/leaderboards/leaderboard/add/", form(id="daily", reset=" 0 0 * * * "))
    assert added.status_code == 302
    board = Leaderboard.objects.get(pk="daily")
    assert board.reset == "0 0 * * *" and board.next_reset_at > timezone.now()
    assert services.leaderboards_reset_due(now=board.next_reset_at) == 1
    board.refresh_from_db()
    assert board.period == 1


@pytest.mark.parametrize("reset", ["61 * * * *", "0 0 * *", "0 0 31 2 *", "every day"])
def test_a_bad_cron_is_a_form_error_when_adding(admin_client, reset):
    answer = admin_client.post("/admin/leaderboards/leaderboard/add/", form(id="daily", reset=reset))
    assert answer.status_code == 200  # the form again, with its error
    assert "reset: " in answer.content.decode()
    assert not Leaderboard.objects.exists()


def test_changing_the_cron_reschedules_the_next_reset(admin_client, make_board):
    make_board("weekly")
    url = "/admin/leaderboards/leaderboard/weekly/change/"
    assert admin_client.post(url, form(reset="*/15 * * * *")).status_code == 302
    board = Leaderboard.objects.get()
    assert board.next_reset_at is not None and board.next_reset_at.minute % 15 == 0
    assert timezone.now() < board.next_reset_at <= timezone.now() + timedelta(minutes=15)
    assert admin_client.post(url, form(reset="")).status_code == 302
    assert Leaderboard.objects.get().next_reset_at is None


def test_a_bad_cron_is_a_form_error_when_changing(admin_client, make_board):
    make_board("weekly", reset="0 0 * * 1", next_reset_at=timezone.now() + timedelta(days=1))
    answer = admin_client.post("/admin/leaderboards/leaderboard/weekly/change/", form(reset="0 25 * * *"))
    assert answer.status_code == 200 and "reset: " in answer.content.decode()
    assert Leaderboard.objects.get().reset == "0 0 * * 1"


def test_entries_and_payouts_are_read_only_in_the_admin(admin_client, admin, alice):
    now = timezone.now()
    rewards = [{"rank_from": 1, "rank_to": 1, "gold": 9}]
    services.tournament_create(actor=admin, id="cup", start=now, end=now + timedelta(hours=1), rewards=rewards)
    entry, _ = services.tournament_join(tournament_id="cup", user=alice)
    services.record_write(board_id="cup", user_id=alice.pk, score=3)
    Tournament.objects.update(end=timezone.now())
    assert services.tournament_pay(tournament_id="cup") == 1
    payout = Payout.objects.get()
    for model, row in (("entry", entry), ("payout", payout)):
        base = f"/admin/leaderboards/{model}/"
        assert admin_client.get(base).status_code == 200
        view = admin_client.get(f"{base}{row.pk}/change/")
        assert view.status_code == 200 and 'name="_save"' not in view.content.decode()
        assert admin_client.get(f"{base}add/").status_code == 403
        assert admin_client.post(f"{base}add/", {"tournament": "cup", "user": alice.pk}).status_code == 403
        assert admin_client.post(f"{base}{row.pk}/change/", {"user": alice.pk}).status_code == 403
        assert admin_client.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Entry.objects.count() == 1 and Tournament.objects.get().entry_count == 1
    assert (Payout.objects.get().gold, Payout.objects.count()) == (9, 1)
