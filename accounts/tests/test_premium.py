"""Premium status, which lobby creation needs, granted and revoked by an operator: the
``grant_premium`` command and the user admin's "Grant premium" / "Revoke premium" actions;
premium for a period (``premium_until``) ends by itself (the ``accounts.expire_premium`` timer)."""

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts import services
from accounts.models import User
from gameplatform.operations import timers

pytestmark = pytest.mark.django_db


def _creates_a_lobby(client_for, user) -> bool:
    response = client_for(user).post("/api/lobbies/", {"name": f"{user.username}'s", "max_participants": 4})
    assert response.status_code in (201, 403), response.content
    return response.status_code == 201


def test_grant_premium_command_lets_the_user_create_lobbies(client_for, alice):
    assert not _creates_a_lobby(client_for, alice)
    out = StringIO()
    call_command("grant_premium", "ALICE", stdout=out)  # as typed at login: any case
    assert out.getvalue() == "alice is premium\n"
    alice.refresh_from_db()
    assert alice.is_premium
    assert _creates_a_lobby(client_for, alice)


def test_grant_premium_revoke_takes_it_back(make_user):
    carol = make_user("carol", premium=True)
    out = StringIO()
    call_command("grant_premium", "carol", "--revoke", stdout=out)
    assert out.getvalue() == "carol is no longer premium\n"
    carol.refresh_from_db()
    assert not carol.is_premium


def test_grant_premium_with_an_unknown_name_changes_nobody(alice):
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("grant_premium", "alice", "nobody", stdout=StringIO())
    alice.refresh_from_db()
    assert not alice.is_premium


@pytest.fixture
def admin_client_(client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def test_admin_offers_grant_and_revoke_premium_on_the_user_list(admin_client_):
    page = admin_client_.get("/admin/accounts/user/").content.decode()
    assert '<option value="grant_premium">Grant premium</option>' in page
    assert '<option value="revoke_premium">Revoke premium</option>' in page


def test_admin_grant_premium_action_lets_the_selected_users_create_lobbies(admin_client_, client_for, alice, bob):
    page = admin_client_.post(
        "/admin/accounts/user/", {"action": "grant_premium", "_selected_action": [alice.pk, bob.pk]}, follow=True
    )
    assert "Granted premium to 2 users." in page.content.decode()
    assert _creates_a_lobby(client_for, alice) and _creates_a_lobby(client_for, bob)


def test_admin_revoke_premium_action_stops_lobby_creation(admin_client_, client_for, make_user):
    owner = make_user("owner", premium=True)
    page = admin_client_.post(
        "/admin/accounts/user/", {"action": "revoke_premium", "_selected_action": [owner.pk]}, follow=True
    )
    assert "Revoked premium from 1 user." in page.content.decode()
    owner.refresh_from_db()
    assert not owner.is_premium
    assert not _creates_a_lobby(client_for, owner)


def test_a_grant_for_days_shows_premium_until_on_me(client_for, alice):
    out = StringIO()
    call_command("grant_premium", "alice", "--days", "30", stdout=out)
    alice.refresh_from_db()
    assert out.getvalue() == f"alice is premium until {alice.premium_until.isoformat(timespec='seconds')}\n"
    me = client_for(alice).get("/api/me/").json()
    assert me["is_premium"] is True
    until = datetime.fromisoformat(me["premium_until"].replace("Z", "+00:00"))
    assert timedelta(days=29, hours=23) < until - timezone.now() <= timedelta(days=30)


def test_premium_without_days_has_no_end(client_for, alice):
    call_command("grant_premium", "alice", stdout=StringIO())
    me = client_for(alice).get("/api/me/").json()
    assert me["is_premium"] is True and me["premium_until"] is None


def test_a_renewal_before_the_end_adds_to_the_end(alice):
    first = services.user_premium_extend(user_id=alice.pk, days=30).premium_until
    second = services.user_premium_extend(user_id=alice.pk, days=30).premium_until
    assert second - first == timedelta(days=30)


def test_premium_ends_by_itself_when_its_time_is_up(client_for, alice):
    services.user_premium_extend(user_id=alice.pk, days=1)
    expire = timers.discover()["accounts.expire_premium"].func
    assert expire() == 0  # not yet
    User.objects.filter(pk=alice.pk).update(premium_until=timezone.now() - timedelta(seconds=1))
    assert expire() == 1
    me = client_for(alice).get("/api/me/").json()
    assert me["is_premium"] is False and me["premium_until"] is None
    assert not _creates_a_lobby(client_for, alice)


def test_admin_grant_30_days_sets_premium_until(admin_client_, alice):
    page = admin_client_.post(
        "/admin/accounts/user/", {"action": "grant_premium_30_days", "_selected_action": [alice.pk]}, follow=True
    )
    assert "Granted premium to 1 user." in page.content.decode()
    alice.refresh_from_db()
    assert alice.is_premium and alice.premium_until > timezone.now() + timedelta(days=29)
