"""Premium status, which lobby creation needs, granted and revoked by an operator: the
``grant_premium`` command and the user admin's "Grant premium" / "Revoke premium" actions."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

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
