"""Boards and tournaments are made by staff in the role ``liveops`` (or ``admin``), and each one
made, and each score staff write on a server-only board, is in the audit log."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leaderboards.models import Leaderboard, Record, Tournament
from staff.models import AuditEntry
from staff.roles import ADMIN, MODERATOR, SUPPORT

pytestmark = pytest.mark.django_db

REWARDS = [{"rank_from": 1, "rank_to": 1, "gold": 100}, {"rank_from": 2, "rank_to": 3, "gold": 30}]


def tournament_body(id: str = "spring-cup") -> dict:
    now = timezone.now()
    return {
        "id": id,
        "title": "Spring cup",
        "start": now.isoformat(),
        "end": (now + timedelta(days=1)).isoformat(),
        "entry_fee": 10,
        "rewards": REWARDS,
    }


@pytest.fixture
def other_staff(make_staff):
    """Staff in every role but the ones that make boards, and staff in none."""
    return [make_staff("rolf"), make_staff("mona", MODERATOR), make_staff("sam", SUPPORT)]


def test_staff_without_the_liveops_role_create_no_board_and_no_tournament(client_for, other_staff):
    for user in other_staff:
        client = client_for(user)
        board = client.post("/api/leaderboards/", {"id": "weekly-gems"}, format="json")
        assert board.status_code == 403 and board.json()["code"] == "permission_denied"
        cup = client.post("/api/tournaments/", tournament_body(), format="json")
        assert cup.status_code == 403 and cup.json()["code"] == "permission_denied"
    assert not Leaderboard.objects.exists() and not AuditEntry.objects.exists()


def test_a_board_made_by_liveops_staff_is_in_the_audit_log(client_for, admin):
    body = {"id": "weekly-gems", "operator": "incr", "reset": "0 0 * * 1"}
    assert client_for(admin).post("/api/leaderboards/", body, format="json").status_code == 201
    entry = AuditEntry.objects.get()
    assert (entry.staff_id, entry.action, entry.target_type, entry.target_id) == (
        admin.pk,
        "leaderboard.create",
        "leaderboard",
        "weekly-gems",
    )
    assert entry.detail == {"sort": "desc", "operator": "incr", "reset": "0 0 * * 1", "authoritative": False}


def test_a_tournament_made_by_the_admin_role_is_in_the_audit_log_with_its_rewards(client_for, make_staff):
    ada = make_staff("ada", ADMIN)
    created = client_for(ada).post("/api/tournaments/", tournament_body(), format="json")
    assert created.status_code == 201, created.json()
    entry = AuditEntry.objects.get()  # one entry: the tournament's board is not told apart
    assert (entry.staff_name, entry.action, entry.target_type, entry.target_id) == (
        "ada",
        "tournament.create",
        "tournament",
        "spring-cup",
    )
    assert entry.detail["rewards"] == REWARDS and entry.detail["entry_fee"] == 10
    assert Tournament.objects.get().rewards == REWARDS


def test_staff_without_the_role_cannot_write_a_server_only_board(client_for, other_staff, make_board):
    make_board("arena", authoritative=True)
    for user in other_staff:
        answer = client_for(user).post("/api/leaderboards/arena/records/", {"score": 10}, format="json")
        assert answer.status_code == 403 and answer.json()["code"] == "permission_denied"
    assert not Record.objects.exists()


def test_a_score_liveops_staff_write_on_a_server_only_board_is_audited(client_for, admin, alice, make_board):
    make_board("arena", authoritative=True)
    make_board("open")
    assert client_for(admin).post("/api/leaderboards/arena/records/", {"score": 10}, format="json").status_code == 200
    assert client_for(admin).post("/api/leaderboards/open/records/", {"score": 5}, format="json").status_code == 200
    entry = AuditEntry.objects.get()  # a score on an open board is a player's, not a staff act
    assert (entry.action, entry.target_id, entry.detail) == (
        "leaderboard.record",
        "arena",
        {"user_id": admin.pk, "score": 10},
    )


def test_the_admin_offers_no_board_to_add_to_staff_whose_permission_came_without_the_role(make_staff):
    from django.contrib.auth.models import Permission
    from django.test import Client

    rolf = make_staff("rolf")
    rolf.user_permissions.add(*Permission.objects.filter(codename__in=["add_leaderboard", "view_leaderboard"]))
    browser = Client()
    browser.force_login(rolf)
    assert browser.get("/admin/leaderboards/leaderboard/add/").status_code == 403  # the service would refuse it
    assert not Leaderboard.objects.exists()
