"""Staff moderate any lobby over REST in the role ``moderator`` (or ``admin``), audited; other
staff get 403 ``permission_denied``; a lobby's owner and moderators still moderate their own."""

import pytest

from chat.lobbies import services
from chat.lobbies.factories import make_lobby
from chat.models import LobbyEvent, LobbyMessage
from staff.models import AuditEntry
from staff.roles import ADMIN, LIVEOPS, MODERATOR, SUPPORT

pytestmark = pytest.mark.django_db


@pytest.fixture
def lobby(premium_owner, alice, bob):
    return make_lobby(owner=premium_owner, members=[alice, bob], name="Haxball room", max_participants=4)


@pytest.fixture
def mona(make_staff):
    return make_staff("mona", MODERATOR)


@pytest.fixture
def other_staff(make_staff):
    return [make_staff("rolf"), make_staff("sam", SUPPORT), make_staff("lee", LIVEOPS)]


def delete(client, lobby, message):
    return client.delete(f"/api/lobbies/{lobby.pk}/messages/{message.pk}/")


def test_a_staff_moderator_deletes_a_message_in_a_lobby_they_are_not_in_and_it_is_audited(
    client_for, lobby, mona, alice
):
    message = services.message_post(lobby_id=lobby.pk, user=alice, content="buy gold at scam.example")
    assert delete(client_for(mona), lobby, message).status_code == 204
    assert not LobbyMessage.objects.exists()
    entry = AuditEntry.objects.get()
    assert (entry.staff_id, entry.action, entry.target_type, entry.target_id, entry.target) == (
        mona.pk,
        "lobby.message_delete",
        "chat.lobbymessage",
        str(message.pk),
        "",  # by its id: the log keeps no name a player chose
    )
    assert entry.detail == {"lobby_id": lobby.pk, "sender_id": alice.pk, "content": "buy gold at scam.example"}
    assert LobbyEvent.objects.get(kind="message_deleted").actor == mona


def test_staff_without_the_moderator_role_cannot_delete_a_message(client_for, lobby, other_staff, alice):
    message = services.message_post(lobby_id=lobby.pk, user=alice, content="hello")
    for user in other_staff:
        refused = delete(client_for(user), lobby, message)
        assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert LobbyMessage.objects.filter(pk=message.pk).exists() and not AuditEntry.objects.exists()


def test_a_lobby_owner_still_deletes_in_their_own_lobby_without_the_role_and_unaudited(
    client_for, lobby, premium_owner, alice, bob
):
    message = services.message_post(lobby_id=lobby.pk, user=alice, content="rude")
    refused = delete(client_for(bob), lobby, message)
    assert refused.status_code == 403 and refused.json()["code"] == "not_moderator"
    assert delete(client_for(premium_owner), lobby, message).status_code == 204
    assert not AuditEntry.objects.exists()  # the lobby's own log has it, as every owner's act


def test_a_roleless_staff_member_owning_a_lobby_moderates_it_as_its_owner(client_for, make_staff, make_user, alice):
    owner = make_staff("gm")
    owner.is_premium = True
    owner.save(update_fields=["is_premium"])
    own = make_lobby(owner=owner, members=[alice])
    message = services.message_post(lobby_id=own.pk, user=alice, content="rude")
    assert delete(client_for(owner), own, message).status_code == 204
    assert client_for(owner).get(f"/api/lobbies/{own.pk}/events/").status_code == 200


def test_a_staff_moderator_reads_any_lobbys_log_and_bans_and_others_get_403(
    client_for, lobby, mona, make_staff, other_staff, premium_owner, bob
):
    services.lobby_ban(lobby_id=lobby.pk, actor=premium_owner, user_id=bob.pk, reason="spam")
    for user in (mona, make_staff("ada", ADMIN)):
        client = client_for(user)
        assert client.get(f"/api/lobbies/{lobby.pk}/events/").json()["results"][0]["kind"] == "ban"
        assert [b["user"]["id"] for b in client.get(f"/api/lobbies/{lobby.pk}/bans/").json()["results"]] == [bob.pk]
    for user in other_staff:
        for route in ("events", "bans"):
            refused = client_for(user).get(f"/api/lobbies/{lobby.pk}/{route}/")
            assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    missing = client_for(mona).get("/api/lobbies/999999/events/")
    assert missing.status_code == 404 and missing.json()["code"] == "lobby_not_found"


def test_a_private_lobby_shows_itself_to_a_staff_moderator_only(client_for, premium_owner, mona, other_staff, carol):
    private = make_lobby(owner=premium_owner, is_public=False)
    assert client_for(mona).get(f"/api/lobbies/{private.pk}/").json()["id"] == private.pk
    for user in other_staff:
        refused = client_for(user).get(f"/api/lobbies/{private.pk}/")
        assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    player = client_for(carol).get(f"/api/lobbies/{private.pk}/")
    assert player.status_code == 403 and player.json()["code"] == "private_lobby"


def test_the_admin_offers_no_message_delete_to_staff_whose_permission_came_without_the_moderator_role(make_staff):
    from django.contrib.auth.models import Permission
    from django.test import Client

    rolf = make_staff("rolf")
    rolf.user_permissions.add(*Permission.objects.filter(codename__in=["delete_lobbymessage", "view_lobbymessage"]))
    browser = Client()
    browser.force_login(rolf)
    page = browser.get("/admin/chat/lobbymessage/")
    assert page.status_code == 200 and b"delete_and_announce" not in page.content
