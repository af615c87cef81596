"""Django admin for lobbies and the demo lobbies of ``seed_demo``."""

import io

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command

from chat.lobbies import services
from chat.lobbies.factories import make_lobby
from chat.models import Lobby, LobbyEvent, LobbyMessage, Membership
from conftest import receive_type


@pytest.fixture
def admin_client(client, make_user):
    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


@pytest.mark.django_db
def test_admin_lists_lobbies_with_member_counts_and_filters(admin_client, premium_owner, alice):
    make_lobby(owner=premium_owner, members=[alice], name="Counted room")
    page = admin_client.get("/admin/chat/lobby/?status__exact=open")
    assert page.status_code == 200 and "Counted room" in page.content.decode()
    assert admin_client.get("/admin/chat/lobby/?status__exact=closed").content.decode().count("Counted room") == 0
    assert admin_client.get("/admin/chat/lobbymessage/?q=hello").status_code == 200
    assert admin_client.get("/admin/chat/lobbyban/").status_code == 200


@pytest.mark.django_db
def test_event_log_is_read_only_in_admin(admin_client, premium_owner):
    lobby = make_lobby(owner=premium_owner)
    event = LobbyEvent.objects.get(lobby=lobby)
    assert admin_client.get("/admin/chat/lobbyevent/").status_code == 200
    assert admin_client.get("/admin/chat/lobbyevent/add/").status_code == 403
    assert admin_client.post(f"/admin/chat/lobbyevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403


@pytest.mark.django_db(transaction=True)
async def test_admin_delete_action_broadcasts_message_deleted(ws_connect, client, make_user, premium_owner, alice):
    lobby = await sync_to_async(make_lobby)(owner=premium_owner, members=[alice])
    message = await sync_to_async(services.message_post)(lobby_id=lobby.pk, user=alice, content="spam link")
    admin = await sync_to_async(make_user)("root", is_staff=True, is_superuser=True)
    await sync_to_async(client.force_login)(admin)
    ws, connected, _ = await ws_connect(f"/ws/lobbies/{lobby.pk}/", premium_owner)
    await receive_type(ws, "lobby_state")

    response = await sync_to_async(client.post)(
        "/admin/chat/lobbymessage/", {"action": "delete_and_announce", "_selected_action": [message.pk]}
    )
    assert response.status_code == 302
    assert await receive_type(ws, "message_deleted") == {"type": "message_deleted", "id": message.pk}
    assert not await sync_to_async(LobbyMessage.objects.filter(pk=message.pk).exists)()
    event = await sync_to_async(LobbyEvent.objects.get)(kind="message_deleted")
    assert event.data["message_id"] == message.pk and event.actor_id == admin.pk
    await ws.disconnect()


@pytest.mark.django_db
def test_seed_demo_adds_three_lobbies_with_members_and_messages_once():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)
    lobbies = Lobby.objects.order_by("id")
    assert lobbies.count() == 3
    for lobby in lobbies:
        members = Membership.objects.filter(lobby=lobby)
        assert members.count() == lobby.participant_count >= 2
        assert members.filter(role="owner").get().user == lobby.owner and lobby.owner.is_premium
        assert LobbyMessage.objects.filter(lobby=lobby).exists()
    assert {lobby.is_public for lobby in lobbies} == {True, False}
    call_command("seed_demo", "--clear", stdout=out)
    assert Lobby.objects.count() == 3
