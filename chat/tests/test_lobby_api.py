"""Lobby REST routes: every route with its rules and error codes."""

import pytest

from chat.lobbies import services
from chat.lobbies.factories import make_lobby, role_of
from chat.models import Lobby, LobbyBan, LobbyEvent, LobbyMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def lobby(premium_owner, alice):
    return make_lobby(owner=premium_owner, members=[alice], name="Haxball room", max_participants=4)


def events_of(lobby) -> list[str]:
    return list(LobbyEvent.objects.filter(lobby=lobby).order_by("id").values_list("kind", flat=True))


# --- create, list, detail ---------------------------------------------------------------


def test_premium_user_creates_lobby_and_owns_it(client_for, premium_owner):
    response = client_for(premium_owner).post(
        "/api/lobbies/", {"name": "  Pro room ", "is_public": True, "max_participants": 10}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Pro room"
    assert body["status"] == "open" and body["participant_count"] == 1 and body["max_participants"] == 10
    assert body["owner"]["id"] == premium_owner.pk
    assert body["members"] == [
        {
            "user": {"id": premium_owner.pk, "username": "premium_owner", "is_premium": True},
            "role": "owner",
            "joined_at": body["members"][0]["joined_at"],
        }
    ]


def test_normal_user_cannot_create_lobby(client_for, alice):
    response = client_for(alice).post("/api/lobbies/", {"name": "Mine", "max_participants": 4})
    assert response.status_code == 403
    assert response.json()["code"] == "premium_required"
    assert not Lobby.objects.exists()


@pytest.mark.parametrize("size", [1, 65])
def test_lobby_size_outside_2_to_64_is_refused(client_for, premium_owner, size):
    response = client_for(premium_owner).post("/api/lobbies/", {"name": "x", "max_participants": size})
    assert response.status_code == 400
    assert "max_participants" in response.json()


def test_anonymous_user_cannot_list_lobbies(api_client):
    assert api_client.get("/api/lobbies/").status_code == 401


def test_list_filters_public_status_and_search(client_for, premium_owner, alice, make_user):
    make_lobby(owner=premium_owner, name="Classic 3v3")
    started = make_lobby(owner=premium_owner, members=[make_user()], name="Classic futsal")
    services.lobby_start(lobby_id=started.pk, user=premium_owner)
    make_lobby(owner=premium_owner, name="Secret classic", is_public=False)
    client = client_for(alice)

    names = [lobby["name"] for lobby in client.get("/api/lobbies/").json()["results"]]
    assert names == ["Classic futsal", "Classic 3v3"]  # newest first; the private one is hidden
    open_ = client.get("/api/lobbies/", {"status": "open", "search": "classic"}).json()["results"]
    assert [lobby["name"] for lobby in open_] == ["Classic 3v3"]
    assert client.get("/api/lobbies/", {"public": "0"}).json()["results"] == []
    owner_private = client_for(premium_owner).get("/api/lobbies/", {"public": "0"}).json()["results"]
    assert [lobby["name"] for lobby in owner_private] == ["Secret classic"]
    first = client.get("/api/lobbies/").json()["results"][0]
    assert set(first) == {
        "id",
        "name",
        "owner",
        "is_public",
        "max_participants",
        "status",
        "participant_count",
        "game_id",
        "created_at",
    }
    assert client.get("/api/lobbies/", {"status": "nope"}).status_code == 400


def test_lobby_list_query_count_does_not_grow_with_lobbies(client_for, premium_owner, django_assert_max_num_queries):
    for n in range(5):
        make_lobby(owner=premium_owner, name=f"room {n}")
    client = client_for(premium_owner)
    with django_assert_max_num_queries(4):
        assert len(client.get("/api/lobbies/").json()["results"]) == 5


def test_detail_lists_members_with_roles(client_for, lobby, premium_owner, alice):
    body = client_for(alice).get(f"/api/lobbies/{lobby.pk}/").json()
    assert [(m["user"]["username"], m["role"]) for m in body["members"]] == [
        ("premium_owner", "owner"),
        ("alice", "member"),
    ]


def test_private_lobby_detail_is_for_members_only(client_for, premium_owner, alice):
    private = make_lobby(owner=premium_owner, is_public=False)
    response = client_for(alice).get(f"/api/lobbies/{private.pk}/")
    assert response.status_code == 403 and response.json()["code"] == "private_lobby"


def test_unknown_lobby_is_404(client_for, alice):
    response = client_for(alice).get("/api/lobbies/999999/")
    assert response.status_code == 404 and response.json()["code"] == "lobby_not_found"
    assert client_for(alice).post("/api/lobbies/999999/join/").status_code == 404


# --- join and leave ---------------------------------------------------------------


def test_join_adds_member_and_is_idempotent(client_for, lobby, bob):
    client = client_for(bob)
    first = client.post(f"/api/lobbies/{lobby.pk}/join/")
    assert first.status_code == 200
    assert first.json()["participant_count"] == 3
    again = client.post(f"/api/lobbies/{lobby.pk}/join/")
    assert again.status_code == 200 and again.json()["participant_count"] == 3
    assert role_of(lobby, bob) == "member"
    assert events_of(lobby).count("join") == 2  # alice (fixture) and bob, once


def test_join_full_lobby_is_409_lobby_full(client_for, premium_owner, alice, bob):
    full = make_lobby(owner=premium_owner, members=[alice], max_participants=2)
    response = client_for(bob).post(f"/api/lobbies/{full.pk}/join/")
    assert response.status_code == 409 and response.json()["code"] == "lobby_full"


def test_join_lobby_that_is_not_open_is_409_lobby_closed(client_for, lobby, premium_owner, bob):
    services.lobby_start(lobby_id=lobby.pk, user=premium_owner)
    response = client_for(bob).post(f"/api/lobbies/{lobby.pk}/join/")
    assert response.status_code == 409 and response.json()["code"] == "lobby_closed"


def test_banned_user_cannot_join(client_for, lobby, premium_owner, bob):
    services.lobby_ban(lobby_id=lobby.pk, actor=premium_owner, user_id=bob.pk, reason="spam")
    response = client_for(bob).post(f"/api/lobbies/{lobby.pk}/join/")
    assert response.status_code == 403 and response.json()["code"] == "banned"


def test_private_lobby_refuses_join_without_invite(client_for, premium_owner, bob):
    private = make_lobby(owner=premium_owner, is_public=False)
    response = client_for(bob).post(f"/api/lobbies/{private.pk}/join/")
    assert response.status_code == 403 and response.json()["code"] == "private_lobby"
    assert services.lobby_join(lobby_id=private.pk, user=bob, via_invite=True).role == "member"


def test_invite_does_not_lift_ban_or_capacity(premium_owner, alice, bob, carol):
    private = make_lobby(owner=premium_owner, members=[alice], is_public=False, max_participants=2)
    services.lobby_ban(lobby_id=private.pk, actor=premium_owner, user_id=bob.pk)
    with pytest.raises(Exception) as banned:
        services.lobby_join(lobby_id=private.pk, user=bob, via_invite=True)
    assert banned.value.code == "banned"
    with pytest.raises(Exception) as full:
        services.lobby_join(lobby_id=private.pk, user=carol, via_invite=True)
    assert full.value.code == "lobby_full"


def test_member_leaves(client_for, lobby, alice):
    response = client_for(alice).post(f"/api/lobbies/{lobby.pk}/leave/")
    assert response.status_code == 200 and response.json() == {"status": "left"}
    lobby.refresh_from_db()
    assert lobby.participant_count == 1 and role_of(lobby, alice) is None
    again = client_for(alice).post(f"/api/lobbies/{lobby.pk}/leave/")
    assert again.status_code == 404 and again.json()["code"] == "not_member"


def test_owner_leaving_hands_lobby_to_moderator_first(client_for, premium_owner, alice, bob):
    lobby = make_lobby(owner=premium_owner, members=[alice], moderators=[bob])
    client_for(premium_owner).post(f"/api/lobbies/{lobby.pk}/leave/")
    lobby.refresh_from_db()
    assert lobby.owner == bob and role_of(lobby, bob) == "owner" and role_of(lobby, alice) == "member"
    assert events_of(lobby)[-2:] == ["leave", "owner_changed"]


def test_owner_leaving_hands_lobby_to_longest_member(premium_owner, alice, bob):
    lobby = make_lobby(owner=premium_owner, members=[alice, bob])
    services.lobby_leave(lobby_id=lobby.pk, user=premium_owner)
    lobby.refresh_from_db()
    assert lobby.owner == alice and lobby.status == "open"


def test_last_owner_leaving_closes_lobby(premium_owner, alice):
    lobby = make_lobby(owner=premium_owner)
    services.lobby_leave(lobby_id=lobby.pk, user=premium_owner)
    lobby.refresh_from_db()
    assert lobby.status == "closed" and lobby.participant_count == 0
    assert events_of(lobby)[-1] == "close"
    with pytest.raises(Exception) as closed:
        services.lobby_join(lobby_id=lobby.pk, user=alice)
    assert closed.value.code == "lobby_closed"


# --- start -----------------------------------------------------------------------------


def test_owner_starts_lobby(client_for, lobby, premium_owner):
    response = client_for(premium_owner).post(f"/api/lobbies/{lobby.pk}/start/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "in_game"
    assert body["game_id"] is None or isinstance(body["game_id"], int)
    lobby.refresh_from_db()
    assert lobby.status == "in_game" and events_of(lobby)[-1] == "start"
    again = client_for(premium_owner).post(f"/api/lobbies/{lobby.pk}/start/")
    assert again.status_code == 409 and again.json()["code"] == "lobby_closed"


def test_only_owner_starts(client_for, lobby, alice):
    response = client_for(alice).post(f"/api/lobbies/{lobby.pk}/start/")
    assert response.status_code == 403 and response.json()["code"] == "not_owner"


def test_start_needs_two_members(client_for, premium_owner):
    lonely = make_lobby(owner=premium_owner)
    response = client_for(premium_owner).post(f"/api/lobbies/{lonely.pk}/start/")
    assert response.status_code == 409 and response.json()["code"] == "not_enough_players"


def test_owner_starts_the_mode_named_for_the_members(client_for, lobby, premium_owner, alice):
    from game.models import Game

    response = client_for(premium_owner).post(f"/api/lobbies/{lobby.pk}/start/", {"mode": "tictactoe"})
    assert response.status_code == 200
    game = Game.objects.get(lobby_id=lobby.pk)
    assert response.json() == {"status": "in_game", "game_id": game.pk} and game.mode == "tictactoe"
    assert list(game.players.order_by("seat").values_list("user_id", flat=True)) == [premium_owner.pk, alice.pk]
    assert LobbyEvent.objects.get(lobby=lobby, kind="start").data["mode"] == "tictactoe"


def test_start_with_an_unknown_mode_is_400_invalid_mode_and_starts_nothing(client_for, lobby, premium_owner):
    response = client_for(premium_owner).post(f"/api/lobbies/{lobby.pk}/start/", {"mode": "chess"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_mode"
    lobby.refresh_from_db()
    assert lobby.status == "open" and lobby.game_id is None


def test_start_with_more_members_than_the_mode_takes_is_409_invalid_player_count(client_for, premium_owner, make_user):
    crowded = make_lobby(owner=premium_owner, members=[make_user() for _ in range(8)], max_participants=10)
    response = client_for(premium_owner).post(f"/api/lobbies/{crowded.pk}/start/", {"mode": "arena"})
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["min_players"], body["max_players"]) == ("invalid_player_count", 2, 8)
    assert body["detail"] == "arena takes 2 to 8 players; this lobby has 9."
    pair = client_for(premium_owner).post(f"/api/lobbies/{crowded.pk}/start/", {"mode": "tictactoe"})
    assert pair.json()["detail"] == "tictactoe takes 2 players; this lobby has 9."
    crowded.refresh_from_db()
    assert crowded.status == "open" and events_of(crowded)[-1] != "start"
    assert client_for(premium_owner).post(f"/api/lobbies/{crowded.pk}/start/", {"mode": "relay"}).status_code == 200


def test_finished_game_reopens_lobby_once(lobby, premium_owner):
    services.lobby_start(lobby_id=lobby.pk, user=premium_owner)
    assert services.lobby_game_finished(lobby_id=lobby.pk) is True
    assert services.lobby_game_finished(lobby_id=lobby.pk) is False
    lobby.refresh_from_db()
    assert lobby.status == "open"


# --- moderation --------------------------------------------------------------------------


def test_owner_kicks_member_who_may_rejoin(client_for, lobby, premium_owner, alice):
    response = client_for(premium_owner).post(f"/api/lobbies/{lobby.pk}/kick/", {"user_id": alice.pk, "reason": "afk"})
    assert response.status_code == 200 and response.json() == {"status": "kicked", "user_id": alice.pk}
    assert role_of(lobby, alice) is None
    event = LobbyEvent.objects.filter(lobby=lobby, kind="kick").get()
    assert (event.actor, event.target, event.reason) == (premium_owner, alice, "afk")
    assert client_for(alice).post(f"/api/lobbies/{lobby.pk}/join/").status_code == 200


def test_member_cannot_kick(client_for, lobby, premium_owner, alice, bob):
    services.lobby_join(lobby_id=lobby.pk, user=bob)
    response = client_for(alice).post(f"/api/lobbies/{lobby.pk}/kick/", {"user_id": bob.pk})
    assert response.status_code == 403 and response.json()["code"] == "not_moderator"


def test_nobody_kicks_or_bans_the_owner(client_for, premium_owner, alice):
    lobby = make_lobby(owner=premium_owner, moderators=[alice])
    for action in ("kick", "ban"):
        response = client_for(alice).post(f"/api/lobbies/{lobby.pk}/{action}/", {"user_id": premium_owner.pk})
        assert response.status_code == 403 and response.json()["code"] == "cannot_moderate_owner"


def test_moderator_cannot_act_on_moderator_but_owner_can(client_for, premium_owner, alice, bob):
    lobby = make_lobby(owner=premium_owner, moderators=[alice, bob])
    response = client_for(alice).post(f"/api/lobbies/{lobby.pk}/kick/", {"user_id": bob.pk})
    assert response.status_code == 403 and response.json()["code"] == "cannot_moderate_moderator"
    response = client_for(alice).post(f"/api/lobbies/{lobby.pk}/ban/", {"user_id": bob.pk})
    assert response.status_code == 403 and response.json()["code"] == "cannot_moderate_moderator"
    assert client_for(premium_owner).post(f"/api/lobbies/{lobby.pk}/kick/", {"user_id": bob.pk}).status_code == 200


def test_moderator_kicks_member(client_for, premium_owner, alice, bob):
    lobby = make_lobby(owner=premium_owner, members=[bob], moderators=[alice])
    assert client_for(alice).post(f"/api/lobbies/{lobby.pk}/kick/", {"user_id": bob.pk}).status_code == 200


def test_kick_non_member_is_404_not_member(client_for, lobby, premium_owner, bob):
    response = client_for(premium_owner).post(f"/api/lobbies/{lobby.pk}/kick/", {"user_id": bob.pk})
    assert response.status_code == 404 and response.json()["code"] == "not_member"


def test_kick_self_is_refused(client_for, premium_owner, alice):
    lobby = make_lobby(owner=premium_owner, moderators=[alice])
    response = client_for(alice).post(f"/api/lobbies/{lobby.pk}/kick/", {"user_id": alice.pk})
    assert response.status_code == 400 and response.json()["code"] == "cannot_moderate_self"


def test_ban_removes_member_and_unban_lets_them_back(client_for, lobby, premium_owner, alice):
    owner = client_for(premium_owner)
    response = owner.post(f"/api/lobbies/{lobby.pk}/ban/", {"user_id": alice.pk, "reason": "spam"})
    assert response.status_code == 200 and response.json() == {"status": "banned", "user_id": alice.pk}
    lobby.refresh_from_db()
    assert lobby.participant_count == 1 and role_of(lobby, alice) is None
    assert LobbyBan.objects.get(lobby=lobby, user=alice).reason == "spam"
    again = owner.post(f"/api/lobbies/{lobby.pk}/ban/", {"user_id": alice.pk})
    assert again.status_code == 409 and again.json()["code"] == "already_banned"

    response = owner.post(f"/api/lobbies/{lobby.pk}/unban/", {"user_id": alice.pk})
    assert response.status_code == 200 and response.json() == {"status": "unbanned", "user_id": alice.pk}
    assert client_for(alice).post(f"/api/lobbies/{lobby.pk}/join/").status_code == 200
    assert events_of(lobby)[-3:] == ["ban", "unban", "join"]


def test_ban_of_outsider_keeps_them_out(client_for, lobby, premium_owner, bob):
    assert client_for(premium_owner).post(f"/api/lobbies/{lobby.pk}/ban/", {"user_id": bob.pk}).status_code == 200
    assert client_for(bob).post(f"/api/lobbies/{lobby.pk}/join/").json()["code"] == "banned"


def test_ban_unknown_user_is_404(client_for, lobby, premium_owner):
    response = client_for(premium_owner).post(f"/api/lobbies/{lobby.pk}/ban/", {"user_id": 987654})
    assert response.status_code == 404 and response.json()["code"] == "user_not_found"


def test_unban_rules(client_for, lobby, premium_owner, alice, bob):
    response = client_for(premium_owner).post(f"/api/lobbies/{lobby.pk}/unban/", {"user_id": bob.pk})
    assert response.status_code == 404 and response.json()["code"] == "not_banned"
    services.lobby_ban(lobby_id=lobby.pk, actor=premium_owner, user_id=bob.pk)
    response = client_for(alice).post(f"/api/lobbies/{lobby.pk}/unban/", {"user_id": bob.pk})
    assert response.status_code == 403 and response.json()["code"] == "not_moderator"


def test_owner_adds_and_removes_moderators(client_for, lobby, premium_owner, alice):
    owner = client_for(premium_owner)
    response = owner.post(f"/api/lobbies/{lobby.pk}/moderators/", {"user_id": alice.pk})
    assert response.status_code == 200 and response.json()["role"] == "moderator"
    again = owner.post(f"/api/lobbies/{lobby.pk}/moderators/", {"user_id": alice.pk})
    assert again.status_code == 409 and again.json()["code"] == "already_moderator"
    response = owner.delete(f"/api/lobbies/{lobby.pk}/moderators/{alice.pk}/")
    assert response.status_code == 200 and response.json()["role"] == "member"
    again = owner.delete(f"/api/lobbies/{lobby.pk}/moderators/{alice.pk}/")
    assert again.status_code == 404 and again.json()["code"] == "not_moderator"
    assert events_of(lobby)[-2:] == ["moderator_added", "moderator_removed"]


def test_only_owner_manages_moderators(client_for, premium_owner, alice, bob):
    lobby = make_lobby(owner=premium_owner, members=[bob], moderators=[alice])
    response = client_for(alice).post(f"/api/lobbies/{lobby.pk}/moderators/", {"user_id": bob.pk})
    assert response.status_code == 403 and response.json()["code"] == "not_owner"
    response = client_for(alice).delete(f"/api/lobbies/{lobby.pk}/moderators/{alice.pk}/")
    assert response.status_code == 403 and response.json()["code"] == "not_owner"
    response = client_for(premium_owner).post(f"/api/lobbies/{lobby.pk}/moderators/", {"user_id": 424242})
    assert response.status_code == 404 and response.json()["code"] == "not_member"


# --- messages ------------------------------------------------------------------------------


def test_member_posts_and_reads_messages_in_chat_order(client_for, lobby, alice):
    client = client_for(alice)
    response = client.post(f"/api/lobbies/{lobby.pk}/messages/", {"content": "  hello  "})
    assert response.status_code == 201
    body = response.json()
    assert body["content"] == "hello"
    assert body["sender"] == {"id": alice.pk, "username": "alice", "is_premium": False}
    client.post(f"/api/lobbies/{lobby.pk}/messages/", {"content": "second"})
    page = client.get(f"/api/lobbies/{lobby.pk}/messages/").json()
    assert [m["content"] for m in page["results"]] == ["hello", "second"]
    assert page["results"][0] == body
    assert set(page) >= {"next", "previous", "results"}


def test_message_history_pages_back_with_cursor(client_for, lobby, alice):
    LobbyMessage.objects.bulk_create(LobbyMessage(lobby=lobby, sender=alice, content=f"m{n}") for n in range(5))
    client = client_for(alice)
    page = client.get(f"/api/lobbies/{lobby.pk}/messages/", {"page_size": 2}).json()
    assert [m["content"] for m in page["results"]] == ["m3", "m4"]
    older = client.get(page["next"]).json()
    assert [m["content"] for m in older["results"]] == ["m1", "m2"]


@pytest.mark.parametrize("content", ["", "   ", "x" * 1001])
def test_invalid_message_is_400_and_not_stored(client_for, lobby, alice, content):
    response = client_for(alice).post(f"/api/lobbies/{lobby.pk}/messages/", {"content": content})
    assert response.status_code == 400 and "content" in response.json()
    assert not LobbyMessage.objects.exists()


def test_message_of_1000_chars_after_trimming_is_accepted(client_for, lobby, alice):
    response = client_for(alice).post(f"/api/lobbies/{lobby.pk}/messages/", {"content": " " + "y" * 1000 + " "})
    assert response.status_code == 201 and len(response.json()["content"]) == 1000


def test_non_member_cannot_read_or_post_messages(client_for, lobby, bob):
    client = client_for(bob)
    for response in (
        client.get(f"/api/lobbies/{lobby.pk}/messages/"),
        client.post(f"/api/lobbies/{lobby.pk}/messages/", {"content": "hi"}),
    ):
        assert response.status_code == 403 and response.json()["code"] == "not_member"


def test_fourth_message_within_two_seconds_is_429(client_for, lobby, alice):
    client = client_for(alice)
    codes = [client.post(f"/api/lobbies/{lobby.pk}/messages/", {"content": f"m{n}"}).status_code for n in range(4)]
    assert codes == [201, 201, 201, 429]
    refused = client.post(f"/api/lobbies/{lobby.pk}/messages/", {"content": "again"})
    assert refused.json()["code"] == "rate_limited" and 0 < refused.json()["retry_after"] <= 2
    assert refused["Retry-After"] in {"1", "2"}
    assert LobbyMessage.objects.count() == 3


def test_posting_a_message_is_cheap(client_for, lobby, alice, django_assert_max_num_queries):
    client = client_for(alice)
    with django_assert_max_num_queries(6):
        assert client.post(f"/api/lobbies/{lobby.pk}/messages/", {"content": "hi"}).status_code == 201


def test_moderator_deletes_message_and_member_cannot(client_for, premium_owner, alice, bob):
    lobby = make_lobby(owner=premium_owner, members=[bob], moderators=[alice])
    message = services.message_post(lobby_id=lobby.pk, user=bob, content="rude")
    response = client_for(bob).delete(f"/api/lobbies/{lobby.pk}/messages/{message.pk}/")
    assert response.status_code == 403 and response.json()["code"] == "not_moderator"
    assert client_for(alice).delete(f"/api/lobbies/{lobby.pk}/messages/{message.pk}/").status_code == 204
    assert not LobbyMessage.objects.exists()
    event = LobbyEvent.objects.get(kind="message_deleted")
    assert event.data["content"] == "rude" and event.actor == alice
    again = client_for(alice).delete(f"/api/lobbies/{lobby.pk}/messages/{message.pk}/")
    assert again.status_code == 404 and again.json()["code"] == "message_not_found"


def test_moderators_read_event_log_and_bans(client_for, premium_owner, alice, bob, django_assert_max_num_queries):
    lobby = make_lobby(owner=premium_owner, members=[bob], moderators=[alice])
    services.lobby_ban(lobby_id=lobby.pk, actor=alice, user_id=bob.pk, reason="spam")
    client = client_for(alice)
    with django_assert_max_num_queries(6):
        log = client.get(f"/api/lobbies/{lobby.pk}/events/").json()["results"]
    assert [e["kind"] for e in log][:2] == ["ban", "moderator_added"]
    assert log[0]["actor"]["id"] == alice.pk and log[0]["target"]["id"] == bob.pk and log[0]["reason"] == "spam"
    bans = client.get(f"/api/lobbies/{lobby.pk}/bans/").json()["results"]
    assert [(b["user"]["id"], b["banned_by"]["id"], b["reason"]) for b in bans] == [(bob.pk, alice.pk, "spam")]


def test_members_cannot_read_event_log_or_bans(client_for, lobby, alice, bob):
    for route in ("events", "bans"):
        response = client_for(alice).get(f"/api/lobbies/{lobby.pk}/{route}/")
        assert response.status_code == 403 and response.json()["code"] == "not_moderator"
        response = client_for(bob).get(f"/api/lobbies/{lobby.pk}/{route}/")
        assert response.status_code == 403 and response.json()["code"] == "not_member"


def test_start_creates_a_relay_game_for_the_members(client_for, lobby, premium_owner, alice):
    from game.models import Game

    response = client_for(premium_owner).post(f"/api/lobbies/{lobby.pk}/start/")
    game = Game.objects.get(lobby_id=lobby.pk)
    assert response.json() == {"status": "in_game", "game_id": game.pk}
    assert game.mode == "relay"
    assert list(game.players.order_by("id").values_list("user_id", flat=True)) == [premium_owner.pk, alice.pk]
    assert LobbyEvent.objects.get(lobby=lobby, kind="start").data["game_id"] == game.pk


def test_lobby_is_member_interface(lobby, alice, bob):
    from chat.lobbies.selectors import lobby_is_member

    assert lobby_is_member(lobby_id=lobby.pk, user_id=alice.pk) is True
    assert lobby_is_member(lobby_id=lobby.pk, user_id=bob.pk) is False
