"""A player deletes their own account (POST /api/me/delete/): it is deleted after the grace
(``ACCOUNT_DELETE_GRACE_DAYS``) by the ``accounts.delete_due`` timer, unless they cancel first;
once deleted, nothing of theirs lets anyone in or finds them."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from conftest import closed_with, receive_type
from gameplatform.operations import timers

PASSWORD = "pass-w0rd-long"


def _delete_due() -> int:
    return timers.discover()["accounts.delete_due"].func()


def _grace_passes(user) -> None:
    """The grace is over: the deletion time is now behind (a test cannot wait a week)."""
    User.objects.filter(pk=user.pk).update(delete_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.django_db
def test_a_wrong_password_is_refused_invalid_password_and_nothing_is_scheduled(client_for, alice):
    response = client_for(alice).post("/api/me/delete/", {"password": "not-it"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_password"
    missing = client_for(alice).post("/api/me/delete/", {}, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "invalid_password"
    alice.refresh_from_db()
    assert alice.delete_at is None


@pytest.mark.django_db
def test_the_right_password_schedules_the_deletion_a_week_ahead_and_me_shows_it(client_for, alice):
    before = timezone.now()
    response = client_for(alice).post("/api/me/delete/", {"password": PASSWORD}, format="json")
    assert response.status_code == 202, response.content
    delete_at = parse_datetime(response.json()["delete_at"])
    assert before + timedelta(days=7) <= delete_at <= timezone.now() + timedelta(days=7)
    me = client_for(alice).get("/api/me/").json()
    assert parse_datetime(me["delete_at"]) == delete_at
    assert {"email_verified", "age_band", "age_source"} <= me.keys()
    again = client_for(alice).post("/api/me/delete/", {"password": PASSWORD}, format="json")
    assert parse_datetime(again.json()["delete_at"]) == delete_at  # asking again moves nothing


@pytest.mark.django_db
def test_a_pending_account_still_signs_in_and_cancels_then_cancel_again_is_409(api_client, client_for, alice):
    client_for(alice).post("/api/me/delete/", {"password": PASSWORD}, format="json")
    login = api_client.post("/api/auth/login/", {"username": "alice", "password": PASSWORD}, format="json")
    assert login.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")
    cancel = api_client.post("/api/me/delete/cancel/")
    assert cancel.status_code == 200 and cancel.json()["delete_at"] is None
    again = api_client.post("/api/me/delete/cancel/")
    assert again.status_code == 409 and again.json()["code"] == "not_pending"
    assert _delete_due() == 0
    assert User.objects.filter(pk=alice.pk).exists()


@pytest.mark.django_db
def test_the_timer_deletes_after_the_grace_then_tokens_login_and_profile_answer_401_and_404(
    api_client, client_for, alice, bob
):
    login = api_client.post("/api/auth/login/", {"username": "alice", "password": PASSWORD}, format="json").json()
    client_for(alice).post("/api/me/delete/", {"password": PASSWORD}, format="json")
    assert _delete_due() == 0  # the grace still runs
    _grace_passes(alice)
    assert _delete_due() == 1

    assert not User.objects.filter(pk=alice.pk).exists()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login['access']}")
    assert api_client.get("/api/me/").status_code == 401
    api_client.credentials()
    refresh = api_client.post("/api/auth/refresh/", {"refresh": login["refresh"]}, format="json")
    assert refresh.status_code == 401
    again = api_client.post("/api/auth/login/", {"username": "alice", "password": PASSWORD}, format="json")
    assert again.status_code == 401
    assert client_for(bob).get(f"/api/users/{alice.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_cancel_after_the_grace_is_409_and_the_timer_still_deletes(client_for, alice):
    client_for(alice).post("/api/me/delete/", {"password": PASSWORD}, format="json")
    _grace_passes(alice)
    cancel = client_for(alice).post("/api/me/delete/cancel/")
    assert cancel.status_code == 409 and cancel.json()["code"] == "not_pending"
    assert _delete_due() == 1


@pytest.mark.django_db
def test_a_grace_of_zero_deletes_at_once(client_for, alice, settings):
    settings.ACCOUNT_DELETE_GRACE_DAYS = 0
    response = client_for(alice).post("/api/me/delete/", {"password": PASSWORD}, format="json")
    assert response.status_code == 202
    assert not User.objects.filter(pk=alice.pk).exists()


@pytest.mark.django_db
def test_a_guest_without_a_password_deletes_with_nothing(api_client):
    guest = api_client.post("/api/auth/device/", {"device_id": "d" * 32}, format="json")
    assert guest.status_code in (200, 201), guest.content
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {guest.json()['access']}")
    response = api_client.post("/api/me/delete/", {}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["delete_at"] is not None


@pytest.mark.django_db(transaction=True)
async def test_the_deletion_closes_the_player_s_open_sockets_4401(ws_connect, alice):
    notifications, connected, _ = await ws_connect("/ws/notifications/", alice)
    assert connected
    await sync_to_async(User.objects.filter(pk=alice.pk).update)(delete_at=timezone.now())
    assert await sync_to_async(_delete_due)() == 1
    error = await receive_type(notifications, "error")
    assert error["code"] == "account_deleted"
    assert await closed_with(notifications) == 4401


@pytest.mark.django_db
def test_what_the_player_wrote_goes_and_the_moderation_log_keeps_no_text_of_theirs(
    client_for, premium_owner, alice, bob
):
    """Chosen: a deleted player's messages are removed (lobby, DM, group), and the lobby log's copy
    of a message a moderator deleted loses its text and sender; the log entry itself stays."""
    from chat.lobbies.factories import make_lobby
    from chat.lobbies.services import message_delete
    from chat.models import LobbyEvent, LobbyMessage

    lobby = make_lobby(owner=premium_owner, members=[alice, bob], name="room")
    kept = LobbyMessage.objects.create(lobby=lobby, sender=alice, content="still here")
    removed = LobbyMessage.objects.create(lobby=lobby, sender=alice, content="my secret")
    message_delete(message_id=removed.pk, actor=premium_owner)
    assert LobbyEvent.objects.filter(data__content="my secret").exists()

    client_for(alice).post("/api/me/delete/", {"password": PASSWORD}, format="json")
    _grace_passes(alice)
    assert _delete_due() == 1

    assert not LobbyMessage.objects.filter(pk=kept.pk).exists()
    event = LobbyEvent.objects.get(kind=LobbyEvent.Kind.MESSAGE_DELETED, data__message_id=removed.pk)
    assert event.data["content"] == "" and event.data["sender_id"] is None
    assert event.actor_id == premium_owner.pk
