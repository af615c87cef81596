"""Invites over REST: friends only, every transition and its error codes, the deadline, lists and counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.lobbies.factories import make_lobby
from chat.models import LobbyEvent, Membership
from friends.services import block_create, friendship_create
from friends.services import friendship_remove as unfriend
from game import registry
from game.models import Game
from game.modes.builtin.relay import Relay
from matchmaking.invites.selectors import pending_invite_count
from matchmaking.invites.services import INVITE_RATE
from matchmaking.models import Invite

pytestmark = pytest.mark.django_db


@pytest.fixture
def friends(alice, bob):
    friendship_create(user_a=alice, user_b=bob)
    return alice, bob


@pytest.fixture
def alices_lobby(friends):
    """A real private lobby owned by alice (the sender), so she may invite to it; bob is not in it."""
    alice, _ = friends
    alice.is_premium = True  # only premium users create lobbies
    alice.save(update_fields=["is_premium"])
    return make_lobby(owner=alice, name="alice's room", is_public=False, max_participants=4)


def game_players(game_id) -> list[int]:
    """The user ids seated in a real game, in seat order."""
    return list(Game.objects.get(pk=game_id).players.order_by("seat").values_list("user_id", flat=True))


def invite(client, to_user_id, **body):
    return client.post("/api/invites/", {"to_user_id": to_user_id, "kind": "game", **body}, format="json")


def act(client, invite_id, action):
    return client.post(f"/api/invites/{invite_id}/{action}/")


def past_deadline(invite_id):
    Invite.objects.filter(pk=invite_id).update(expires_at=timezone.now() - timedelta(seconds=1))


# --- create ---------------------------------------------------------------------


def test_game_invite_to_a_friend_is_201_and_pending(client_for, friends, settings):
    alice, bob = friends
    before = timezone.now()
    response = invite(client_for(alice), bob.pk, mode="tictactoe")
    assert response.status_code == 201
    body = response.json()
    assert {"id", "from_user", "to_user", "kind", "status", "expires_at"} <= set(body)
    assert (body["from_user"]["id"], body["to_user"]["id"], body["kind"], body["mode"], body["status"]) == (
        alice.pk,
        bob.pk,
        "game",
        "tictactoe",
        "pending",
    )
    expires_at = Invite.objects.get(pk=body["id"]).expires_at
    assert timedelta(seconds=settings.INVITE_TTL_SECONDS - 1) < expires_at - before
    assert expires_at - before < timedelta(seconds=settings.INVITE_TTL_SECONDS + 5)


def test_game_invite_mode_defaults_to_tictactoe(client_for, friends):
    alice, bob = friends
    assert invite(client_for(alice), bob.pk).json()["mode"] == "tictactoe"


def test_lobby_invite_is_201(client_for, friends, alices_lobby):
    alice, bob = friends
    response = client_for(alice).post(
        "/api/invites/", {"to_user_id": bob.pk, "kind": "lobby", "lobby_id": alices_lobby.pk}, format="json"
    )
    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["lobby_id"]) == ("lobby", alices_lobby.pk)
    assert not Membership.objects.filter(lobby=alices_lobby, user=bob).exists()  # not before accepting


def test_lobby_invite_without_lobby_id_is_400(client_for, friends):
    alice, bob = friends
    response = client_for(alice).post("/api/invites/", {"to_user_id": bob.pk, "kind": "lobby"}, format="json")
    assert response.status_code == 400
    assert "lobby_id" in response.json()


def test_unknown_kind_is_400(client_for, friends):
    alice, bob = friends
    response = client_for(alice).post("/api/invites/", {"to_user_id": bob.pk, "kind": "party"}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()


def test_unknown_mode_is_400_invalid_mode_as_the_queue_answers(client_for, friends):
    alice, bob = friends
    response = invite(client_for(alice), bob.pk, mode="chess")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_mode"
    assert response.json()["detail"].startswith("Unknown mode 'chess'; choose one of ")
    assert not Invite.objects.exists()


class Trio(Relay):
    """A test mode that two players cannot play."""

    name = "trio"
    min_players = 3
    max_players = 4


@pytest.fixture
def trio_mode(settings):
    settings.GAME_MODES = [*settings.GAME_MODES, "matchmaking.tests.test_invite_api.Trio"]
    registry.modes.cache_clear()
    yield
    registry.modes.cache_clear()


def test_a_mode_for_three_or_more_is_refused_at_creation_400_invalid_mode(client_for, friends, trio_mode):
    alice, bob = friends
    response = invite(client_for(alice), bob.pk, mode="trio")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_mode"
    assert response.json()["detail"] == "trio needs at least 3 players: start it from a lobby."
    assert not Invite.objects.exists()


def test_a_mode_for_two_or_more_is_invited_and_played_by_the_two(client_for, friends):
    alice, bob = friends
    created = invite(client_for(alice), bob.pk, mode="arena")
    assert created.status_code == 201 and created.json()["mode"] == "arena"
    accepted = act(client_for(bob), created.json()["id"], "accept").json()
    assert Game.objects.get(pk=accepted["game_id"]).mode == "arena"
    assert game_players(accepted["game_id"]) == [alice.pk, bob.pk]


def test_invite_to_a_non_friend_is_403_not_friends(client_for, alice, carol):
    response = invite(client_for(alice), carol.pk)
    assert response.status_code == 403
    assert response.json()["code"] == "not_friends"


@pytest.mark.parametrize("blocker", ["sender", "receiver"])
def test_invite_across_a_block_is_403_blocked(client_for, friends, blocker):
    alice, bob = friends
    block_create(blocker=alice if blocker == "sender" else bob, blocked_id=bob.pk if blocker == "sender" else alice.pk)
    response = invite(client_for(alice), bob.pk)
    assert response.status_code == 403
    assert response.json()["code"] == "blocked"


def test_invite_to_oneself_is_400_and_to_nobody_404(client_for, alice):
    assert invite(client_for(alice), alice.pk).json()["code"] == "self_invite"
    response = invite(client_for(alice), 999999)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_second_pending_invite_to_the_same_friend_is_409(client_for, friends):
    alice, bob = friends
    assert invite(client_for(alice), bob.pk).status_code == 201
    response = invite(client_for(alice), bob.pk)
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_invite"
    assert invite(client_for(bob), alice.pk).status_code == 201  # the other direction is its own invite


def test_an_invite_past_its_deadline_does_not_block_a_new_one(client_for, friends):
    alice, bob = friends
    first = invite(client_for(alice), bob.pk).json()["id"]
    past_deadline(first)
    assert invite(client_for(alice), bob.pk).status_code == 201
    assert Invite.objects.get(pk=first).status == "expired"


def test_too_many_invites_is_429(client_for, friends, make_user):
    alice, _ = friends
    client = client_for(alice)
    for _ in range(INVITE_RATE.limit):
        friend = make_user()
        friendship_create(user_a=alice, user_b=friend)
        assert invite(client, friend.pk).status_code == 201
    friend = make_user()
    friendship_create(user_a=alice, user_b=friend)
    response = invite(client, friend.pk)
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"


def test_unauthenticated_is_401(api_client):
    assert api_client.get("/api/invites/").status_code == 401
    assert api_client.post("/api/invites/1/accept/").status_code == 401


# --- lists and counts ----------------------------------------------------------------


def test_inbox_and_sent_list_live_pending_invites_only(client_for, friends, carol):
    alice, bob = friends
    friendship_create(user_a=carol, user_b=bob)
    from_alice = invite(client_for(alice), bob.pk).json()["id"]
    from_carol = invite(client_for(carol), bob.pk).json()["id"]
    to_alice = invite(client_for(bob), alice.pk).json()["id"]
    past_deadline(from_carol)  # the timer has not run: still hidden
    inbox = client_for(bob).get("/api/invites/?box=inbox").json()["results"]
    assert [i["id"] for i in inbox] == [from_alice]
    assert [i["id"] for i in client_for(bob).get("/api/invites/").json()["results"]] == [from_alice]
    assert [i["id"] for i in client_for(bob).get("/api/invites/?box=sent").json()["results"]] == [to_alice]
    act(client_for(alice), from_alice, "cancel")
    assert client_for(bob).get("/api/invites/?box=inbox").json()["results"] == []
    assert pending_invite_count(user_id=bob.pk) == 0
    assert pending_invite_count(user_id=alice.pk) == 1


def test_unknown_box_is_400(client_for, alice):
    response = client_for(alice).get("/api/invites/?box=trash")
    assert response.status_code == 400
    assert "box" in response.json()


def test_inbox_hides_invites_once_a_block_starts(client_for, friends):
    alice, bob = friends
    invite(client_for(alice), bob.pk)
    assert pending_invite_count(user_id=bob.pk) == 1
    block_create(blocker=bob, blocked_id=alice.pk)
    assert client_for(bob).get("/api/invites/").json()["results"] == []
    assert pending_invite_count(user_id=bob.pk) == 0


def test_inbox_is_a_bounded_number_of_queries(client_for, friends, make_user, django_assert_max_num_queries):
    alice, bob = friends
    for _ in range(5):
        friend = make_user()
        friendship_create(user_a=friend, user_b=bob)
        invite(client_for(friend), bob.pk)
    client = client_for(bob)
    with django_assert_max_num_queries(4):
        assert len(client.get("/api/invites/").json()["results"]) == 5


# --- accept ------------------------------------------------------------------------


def test_accepting_a_game_invite_makes_one_game_for_both(client_for, friends):
    alice, bob = friends
    invite_id = invite(client_for(alice), bob.pk).json()["id"]
    response = act(client_for(bob), invite_id, "accept")
    assert response.status_code == 200
    body = response.json()
    game = Game.objects.get()
    assert (body["status"], body["game_id"], body["lobby_id"]) == ("accepted", game.pk, None)
    assert Invite.objects.get(pk=invite_id).game_id == game.pk
    assert game_players(game.pk) == [alice.pk, bob.pk]  # the sender takes the first seat
    assert (game.mode, game.state, game.lobby_id) == ("tictactoe", Game.State.WAITING_FOR_PLAYERS, None)
    again = act(client_for(bob), invite_id, "accept")
    assert again.status_code == 200
    assert again.json()["game_id"] == body["game_id"]
    assert Game.objects.count() == 1


def test_accepting_a_lobby_invite_joins_the_receiver_by_invite(client_for, friends, alices_lobby):
    alice, bob = friends
    response = client_for(alice).post(
        "/api/invites/", {"to_user_id": bob.pk, "kind": "lobby", "lobby_id": alices_lobby.pk}, format="json"
    )
    body = act(client_for(bob), response.json()["id"], "accept").json()
    assert (body["status"], body["lobby_id"], body["game_id"]) == ("accepted", alices_lobby.pk, None)
    membership = Membership.objects.get(lobby=alices_lobby, user=bob)
    assert membership.role == Membership.Role.MEMBER
    alices_lobby.refresh_from_db()
    assert alices_lobby.participant_count == 2
    # The join is logged as by invite (which is what let bob into a private lobby).
    join = LobbyEvent.objects.get(lobby=alices_lobby, kind=LobbyEvent.Kind.JOIN, target=bob)
    assert join.data == {"via_invite": True}
    assert not Game.objects.exists()


def test_only_the_receiver_accepts(client_for, friends, carol):
    alice, bob = friends
    invite_id = invite(client_for(alice), bob.pk).json()["id"]
    response = act(client_for(alice), invite_id, "accept")
    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"
    stranger = act(client_for(carol), invite_id, "accept")
    assert stranger.status_code == 404
    assert stranger.json()["code"] == "invite_not_found"
    assert not Game.objects.exists()


def test_accept_after_the_deadline_is_410_even_before_the_timer_ran(client_for, friends):
    alice, bob = friends
    invite_id = invite(client_for(alice), bob.pk).json()["id"]
    past_deadline(invite_id)
    response = act(client_for(bob), invite_id, "accept")
    assert response.status_code == 410
    assert response.json()["code"] == "invite_expired"
    assert Invite.objects.get(pk=invite_id).status == "expired"
    assert act(client_for(bob), invite_id, "accept").status_code == 410
    assert not Game.objects.exists()


def test_a_failed_game_start_leaves_the_invite_pending(client_for, friends):
    """``game_create`` refuses inside the accepting transaction: the accept is undone with it.

    The real ``game_create`` refuses an unknown mode (it has no "already in a game" rule), so
    the invite names a mode the game no longer offers (e.g. retired since the invite was sent).
    """
    alice, bob = friends
    invite_id = invite(client_for(alice), bob.pk).json()["id"]
    Invite.objects.filter(pk=invite_id).update(mode="retired")
    response = act(client_for(bob), invite_id, "accept")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_mode"
    invite_row = Invite.objects.get(pk=invite_id)
    assert (invite_row.status, invite_row.game_id, invite_row.responded_at) == ("pending", None, None)
    assert not Game.objects.exists()


def test_accept_after_unfriending_is_403_and_the_invite_stays_pending(client_for, friends):
    alice, bob = friends
    invite_id = invite(client_for(alice), bob.pk).json()["id"]
    unfriend(user=bob, friend_id=alice.pk)
    response = act(client_for(bob), invite_id, "accept")
    assert response.status_code == 403
    assert response.json()["code"] == "not_friends"
    assert Invite.objects.get(pk=invite_id).status == "pending"
    assert not Game.objects.exists()


def test_a_block_cancels_the_invite_so_accepting_is_409(client_for, friends):
    alice, bob = friends
    invite_id = invite(client_for(alice), bob.pk).json()["id"]
    block_create(blocker=alice, blocked_id=bob.pk)
    response = act(client_for(bob), invite_id, "accept")
    assert response.status_code == 409
    assert response.json()["code"] == "invite_not_pending"


def test_accepting_an_unknown_invite_is_404(client_for, alice):
    assert act(client_for(alice), 999999, "accept").status_code == 404


# --- decline and cancel ----------------------------------------------------------------


def test_receiver_declines_once_and_again_is_the_same_answer(client_for, friends):
    alice, bob = friends
    invite_id = invite(client_for(alice), bob.pk).json()["id"]
    response = act(client_for(bob), invite_id, "decline")
    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    assert act(client_for(bob), invite_id, "decline").json()["status"] == "declined"


def test_sender_cannot_decline_and_receiver_cannot_cancel(client_for, friends):
    alice, bob = friends
    invite_id = invite(client_for(alice), bob.pk).json()["id"]
    assert act(client_for(alice), invite_id, "decline").json()["code"] == "not_allowed"
    assert act(client_for(bob), invite_id, "cancel").status_code == 403
    assert Invite.objects.get(pk=invite_id).status == "pending"


def test_sender_cancels_then_accept_is_409(client_for, friends):
    alice, bob = friends
    invite_id = invite(client_for(alice), bob.pk).json()["id"]
    assert act(client_for(alice), invite_id, "cancel").json()["status"] == "cancelled"
    assert act(client_for(alice), invite_id, "cancel").status_code == 200
    response = act(client_for(bob), invite_id, "accept")
    assert response.status_code == 409
    assert response.json()["code"] == "invite_not_pending"
    assert not Game.objects.exists()


def test_cancel_after_accept_is_409(client_for, friends):
    alice, bob = friends
    invite_id = invite(client_for(alice), bob.pk).json()["id"]
    act(client_for(bob), invite_id, "accept")
    response = act(client_for(alice), invite_id, "cancel")
    assert response.status_code == 409
    assert response.json()["code"] == "invite_not_pending"


def test_decline_or_cancel_after_the_deadline_is_410(client_for, friends):
    alice, bob = friends
    invite_id = invite(client_for(alice), bob.pk).json()["id"]
    past_deadline(invite_id)
    assert act(client_for(bob), invite_id, "decline").status_code == 410
    assert act(client_for(alice), invite_id, "cancel").json()["code"] == "invite_expired"


# --- seen through the game and lobby APIs ------------------------------------------------------


def test_accepted_game_invite_starts_a_real_game(client_for, friends):
    alice, bob = friends
    invite_id = invite(client_for(alice), bob.pk).json()["id"]
    body = act(client_for(bob), invite_id, "accept").json()
    assert isinstance(body["game_id"], int)
    game = client_for(alice).get(f"/api/games/{body['game_id']}/")
    assert game.status_code == 200
    assert sorted(p["id"] for p in game.json()["players"]) == sorted([alice.pk, bob.pk])


def test_lobby_invite_needs_an_existing_lobby_the_sender_is_in(client_for, friends, make_user):
    alice, bob = friends
    refused = client_for(alice).post(
        "/api/invites/", {"to_user_id": bob.pk, "kind": "lobby", "lobby_id": 999999}, format="json"
    )
    assert (refused.status_code, refused.json()["code"]) == (404, "lobby_not_found")
    owner = make_user(premium=True)
    lobby_id = (
        client_for(owner)
        .post("/api/lobbies/", {"name": "not alice's", "is_public": True, "max_participants": 4}, format="json")
        .json()["id"]
    )
    outsider = client_for(alice).post(
        "/api/invites/", {"to_user_id": bob.pk, "kind": "lobby", "lobby_id": lobby_id}, format="json"
    )
    assert (outsider.status_code, outsider.json()["code"]) == (403, "not_a_member")


def test_accepted_lobby_invite_joins_a_private_lobby(client_for, make_user):
    owner, friend = make_user(premium=True), make_user()
    friendship_create(user_a=owner, user_b=friend)
    lobby = client_for(owner).post(
        "/api/lobbies/", {"name": "private room", "is_public": False, "max_participants": 4}, format="json"
    )
    assert lobby.status_code == 201
    lobby_id = lobby.json()["id"]
    assert client_for(friend).post(f"/api/lobbies/{lobby_id}/join/").json()["code"] == "private_lobby"
    invite_id = (
        client_for(owner)
        .post("/api/invites/", {"to_user_id": friend.pk, "kind": "lobby", "lobby_id": lobby_id}, format="json")
        .json()["id"]
    )
    body = act(client_for(friend), invite_id, "accept").json()
    assert (body["status"], body["lobby_id"]) == ("accepted", lobby_id)
    members = client_for(owner).get(f"/api/lobbies/{lobby_id}/").json()["members"]
    assert friend.pk in [m["user"]["id"] for m in members]
