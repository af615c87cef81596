"""Parties: REST flows with the contract's codes, invites of kind "party", party chat, party_update."""

import time

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client

from conftest import receive_type, requires_postgres
from friends.services import block_create
from gameplatform.testhelpers import run_at_once
from matchmaking.invites.services import invite_accept, invite_decline
from matchmaking.models import Invite
from world.models import PARTY_MAX, Party, PartyMember
from world.parties import services as parties
from world.tests.test_world_socket import enter, make_character

pytestmark = pytest.mark.django_db(transaction=True)

User = get_user_model()


def create(client) -> dict:
    response = client.post("/api/party/create/")
    assert response.status_code == 201, response.json()
    return response.json()


def invite(client, character_id: int):
    return client.post("/api/party/invite/", {"character_id": character_id}, format="json")


def invite_and_accept(leader_client, member_client, character_id: int):
    sent = invite(leader_client, character_id)
    assert sent.status_code == 201, sent.json()
    return member_client.post(f"/api/invites/{sent.json()['id']}/accept/")


@pytest.fixture
def party_of(world, client_for, make_user):
    """``party_of(n)``: a party of n characters; (party id, [(user, character, client)], leader first)."""

    def make(size: int, *, prefix: str = "Hero"):
        people = []
        for n in range(size):
            user = make_user()
            people.append((user, make_character(user, f"{prefix}{n}"), client_for(user)))
        party = create(people[0][2])
        for _, character, client in people[1:]:
            assert invite_and_accept(people[0][2], client, character.pk).status_code == 200
        return party["id"], people

    return make


def test_create_answers_the_party_and_refuses_a_second_and_no_character(world, client_for, alice, bob):
    aria = make_character(alice, "Aria")
    party = create(client_for(alice))
    assert party == {
        "id": party["id"],
        "leader": aria.pk,
        "members": [{"character_id": aria.pk, "name": "Aria"}],
        "max_size": 5,
    }
    again = client_for(alice).post("/api/party/create/")
    assert again.status_code == 409 and again.json()["code"] == "already_in_party"
    nobody = client_for(bob).post("/api/party/create/")
    assert nobody.status_code == 409 and nobody.json()["code"] == "no_character"
    assert client_for(alice).get(f"/api/party/{party['id']}/").json() == party


def test_a_party_invite_is_an_invite_of_kind_party_and_accepting_joins(world, client_for, alice, bob, carol):
    aria, borin = make_character(alice, "Aria"), make_character(bob, "Borin")
    cato = make_character(carol, "Cato")
    party = create(client_for(alice))
    # Not friends: party invites need no friendship.
    sent = invite(client_for(alice), borin.pk)
    assert sent.status_code == 201
    assert sent.json()["kind"] == "party" and sent.json()["party_id"] == party["id"]
    assert sent.json()["to_user"]["id"] == bob.pk
    # Only members read the party; only the leader invites.
    assert client_for(bob).get(f"/api/party/{party['id']}/").json()["code"] == "not_member"
    accepted = client_for(bob).post(f"/api/invites/{sent.json()['id']}/accept/")
    assert accepted.status_code == 200 and accepted.json()["party_id"] == party["id"]
    now = client_for(bob).get(f"/api/party/{party['id']}/").json()
    assert [m["name"] for m in now["members"]] == ["Aria", "Borin"] and now["leader"] == aria.pk
    refused = invite(client_for(bob), cato.pk)
    assert refused.status_code == 403 and refused.json()["code"] == "not_leader"
    # Someone already in a party cannot be invited; a decline leaves the party as it was.
    assert invite(client_for(alice), borin.pk).json()["code"] == "already_in_party"
    pending = invite(client_for(alice), cato.pk).json()
    invite_decline(invite_id=pending["id"], user=carol)
    assert Party.objects.get(pk=party["id"]).member_count == 2


def test_a_block_refuses_the_invite_and_no_character_refuses_the_accept(world, client_for, alice, bob, carol):
    make_character(alice, "Aria")
    borin = make_character(bob, "Borin")
    cato = make_character(carol, "Cato")
    create(client_for(alice))
    block_create(blocker=bob, blocked_id=alice.pk)
    blocked = invite(client_for(alice), borin.pk)
    assert blocked.status_code == 403 and blocked.json()["code"] == "blocked"
    sent = invite(client_for(alice), cato.pk).json()
    cato.delete()  # carol now has no character to join with
    refused = client_for(carol).post(f"/api/invites/{sent['id']}/accept/")
    assert refused.status_code == 409 and refused.json()["code"] == "no_character"
    assert Invite.objects.get(pk=sent["id"]).status == Invite.Status.PENDING


def test_the_leader_leaving_hands_over_to_the_longest_member_and_the_last_one_disbands(party_of):
    party_id, people = party_of(3)
    (_, lead, lead_client), (_, second, second_client), (_, third, third_client) = people
    assert lead_client.post("/api/party/leave/").status_code == 200
    now = second_client.get(f"/api/party/{party_id}/").json()
    assert now["leader"] == second.pk and [m["character_id"] for m in now["members"]] == [second.pk, third.pk]
    assert lead_client.get(f"/api/party/{party_id}/").json()["code"] == "not_member"
    assert lead_client.post("/api/party/leave/").json()["code"] == "not_member"
    assert second_client.post("/api/party/leave/").status_code == 200
    assert Party.objects.get(pk=party_id).leader_id == third.pk
    assert third_client.post("/api/party/leave/").status_code == 200
    assert not Party.objects.filter(pk=party_id).exists() and not PartyMember.objects.exists()


def test_kick_and_disband_are_the_leaders(party_of):
    party_id, people = party_of(3)
    (_, lead, lead_client), (_, second, second_client), (_, third, _) = people
    refused = second_client.post("/api/party/kick/", {"character_id": third.pk}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "not_leader"
    assert second_client.post("/api/party/disband/").json()["code"] == "not_leader"
    kicked = lead_client.post("/api/party/kick/", {"character_id": third.pk}, format="json")
    assert kicked.status_code == 200
    assert [m["character_id"] for m in kicked.json()["party"]["members"]] == [lead.pk, second.pk]
    assert Party.objects.get(pk=party_id).member_count == 2
    assert lead_client.post("/api/party/disband/").status_code == 200
    assert not Party.objects.filter(pk=party_id).exists() and not PartyMember.objects.exists()


def test_disbanding_cancels_the_pending_invites_into_the_party(party_of, make_user, client_for):
    party_id, people = party_of(1)
    late = make_user()
    character = make_character(late, "Late")
    sent = invite(people[0][2], character.pk).json()
    people[0][2].post("/api/party/disband/")
    assert Invite.objects.get(pk=sent["id"]).status == Invite.Status.CANCELLED


def test_a_sixth_accepted_invite_is_party_full_and_the_database_refuses_a_sixth_too(party_of, make_user, client_for):
    party_id, people = party_of(PARTY_MAX - 1)
    fifth, sixth = make_user(), make_user()
    fifth_char, sixth_char = make_character(fifth, "Fifth"), make_character(sixth, "Sixth")
    leader_client = people[0][2]
    pending = invite(leader_client, sixth_char.pk).json()  # sent while there is room
    assert invite_and_accept(leader_client, client_for(fifth), fifth_char.pk).status_code == 200
    full = invite(leader_client, sixth_char.pk)
    assert full.status_code == 409 and full.json()["code"] in {"party_full", "duplicate_invite"}
    refused = client_for(sixth).post(f"/api/invites/{pending['id']}/accept/")
    assert refused.status_code == 409 and refused.json()["code"] == "party_full"
    party = Party.objects.get(pk=party_id)
    assert party.member_count == PARTY_MAX == party.members.count()
    from django.db import IntegrityError, transaction
    from django.db.models import F

    with pytest.raises(IntegrityError), transaction.atomic():
        Party.objects.filter(pk=party_id).update(member_count=F("member_count") + 1)


def test_deleting_a_member_character_leaves_the_party(party_of, client_for):
    party_id, people = party_of(2)
    (_, lead, _), (user, member, member_client) = people
    assert member_client.delete(f"/api/characters/{member.pk}/").status_code == 204
    party = Party.objects.get(pk=party_id)
    assert party.member_count == 1 and list(party.members.values_list("character_id", flat=True)) == [lead.pk]


@pytest.fixture
def staff_client(make_user):
    client = Client()
    client.force_login(make_user("boss", is_staff=True, is_superuser=True))
    return client


def admin_delete(staff_client, model: str, pk: int, *, bulk: bool) -> None:
    """The admin's two ways to delete: the object's delete page, or the list's "delete selected" action."""
    if bulk:
        data = {"action": "delete_selected", "_selected_action": [pk], "post": "yes"}
        page = staff_client.post(f"/admin/{model}/", data)
    else:
        page = staff_client.post(f"/admin/{model}/{pk}/delete/", {"post": "yes"})
    assert page.status_code == 302


@pytest.mark.parametrize("bulk", [False, True], ids=["delete_page", "delete_selected"])
def test_the_admin_deleting_a_members_user_takes_its_character_out_of_the_party(party_of, staff_client, bulk):
    party_id, people = party_of(3)
    (_, lead, _), (user, _, _), (_, third, _) = people
    admin_delete(staff_client, "accounts/user", user.pk, bulk=bulk)
    party = Party.objects.get(pk=party_id)
    assert not User.objects.filter(pk=user.pk).exists()
    assert party.member_count == 2
    assert sorted(party.members.values_list("character_id", flat=True)) == [lead.pk, third.pk]


@pytest.mark.parametrize("bulk", [False, True], ids=["delete_page", "delete_selected"])
def test_the_admin_deleting_a_member_character_takes_it_out_of_the_party(party_of, staff_client, bulk):
    party_id, people = party_of(3)
    (_, lead, _), (_, member, _), (_, third, _) = people
    admin_delete(staff_client, "world/character", member.pk, bulk=bulk)
    party = Party.objects.get(pk=party_id)
    assert party.member_count == 2
    assert sorted(party.members.values_list("character_id", flat=True)) == [lead.pk, third.pk]


# --- sockets -----------------------------------------------------------------------------------------


async def test_party_updates_reach_members_and_party_chat_reaches_members_only(
    ws_connect, world, client_for, alice, bob, carol
):
    aria = await sync_to_async(make_character)(alice, "Aria")
    borin = await sync_to_async(make_character)(bob, "Borin")
    await sync_to_async(make_character)(carol, "Cato")
    sockets = {user.username: (await enter(ws_connect, user))[0] for user in (alice, bob, carol)}
    alice_ws, bob_ws, carol_ws = sockets["alice"], sockets["bob"], sockets["carol"]

    await alice_ws.send_json_to({"type": "chat", "channel": "party", "message": "anyone?"})
    assert (await receive_type(alice_ws, "error"))["code"] == "not_in_party"

    party = await sync_to_async(create)(client_for(alice))
    update = await receive_type(alice_ws, "party_update")
    assert update["party"]["id"] == party["id"] and update["party"]["leader"] == aria.pk

    # Bob's socket was open before he joined: he gets the update and, from then on, party chat.
    accepted = await sync_to_async(invite_and_accept)(client_for(alice), client_for(bob), borin.pk)
    assert accepted.status_code == 200
    for ws in (alice_ws, bob_ws):
        update = await receive_type(ws, "party_update")
        assert [m["name"] for m in update["party"]["members"]] == ["Aria", "Borin"]
    await bob_ws.send_json_to({"type": "chat", "channel": "party", "message": "party only"})
    for ws in (alice_ws, bob_ws):
        frame = await receive_type(ws, "chat")
        assert frame["channel"] == "party" and frame["message"] == "party only" and frame["sender"]["name"] == "Borin"
    assert await carol_ws.receive_nothing(timeout=0.3)

    # Kicked: Bob hears he is out (party null) and no longer hears party chat.
    kicked = await sync_to_async(client_for(alice).post)("/api/party/kick/", {"character_id": borin.pk}, format="json")
    assert kicked.status_code == 200
    out = await receive_type(bob_ws, "party_update")
    assert out["party"] is None and out["party_id"] == party["id"]
    assert [m["name"] for m in (await receive_type(alice_ws, "party_update"))["party"]["members"]] == ["Aria"]
    await alice_ws.send_json_to({"type": "chat", "channel": "party", "message": "alone"})
    assert (await receive_type(alice_ws, "chat"))["message"] == "alone"
    assert await bob_ws.receive_nothing(timeout=0.3)
    await bob_ws.send_json_to({"type": "chat", "channel": "party", "message": "hello?"})
    assert (await receive_type(bob_ws, "error"))["code"] == "not_in_party"
    for ws in sockets.values():
        await ws.disconnect()


async def test_a_socket_opened_later_joins_its_party_chat(ws_connect, world, client_for, alice, bob):
    await sync_to_async(make_character)(alice, "Aria")
    borin = await sync_to_async(make_character)(bob, "Borin")
    await sync_to_async(create)(client_for(alice))
    await sync_to_async(invite_and_accept)(client_for(alice), client_for(bob), borin.pk)
    alice_ws, _ = await enter(ws_connect, alice)
    bob_ws, _ = await enter(ws_connect, bob)
    # After welcome, a member's socket tells its party (and hears party chat from then on).
    for ws in (alice_ws, bob_ws):
        assert [m["name"] for m in (await receive_type(ws, "party_update"))["party"]["members"]] == ["Aria", "Borin"]
    await alice_ws.send_json_to({"type": "chat", "channel": "party", "message": "welcome back"})
    assert (await receive_type(bob_ws, "chat"))["message"] == "welcome back"
    await alice_ws.disconnect()
    await bob_ws.disconnect()


async def test_a_leave_committed_while_the_socket_reads_its_party_leaves_it_out_of_party_chat(
    ws_connect, world, client_for, alice, bob, monkeypatch
):
    await sync_to_async(make_character)(alice, "Aria")
    borin = await sync_to_async(make_character)(bob, "Borin")
    await sync_to_async(create)(client_for(alice))
    await sync_to_async(invite_and_accept)(client_for(alice), client_for(bob), borin.pk)
    alice_ws, _ = await enter(ws_connect, alice)
    await receive_type(alice_ws, "party_update")
    read_party = parties.party_frame_of_character

    def read_then_leave(*, character_id: int):
        frame = read_party(character_id=character_id)
        if character_id == borin.pk:
            # Bob leaves right after his new socket read the party; the leave's signal reaches
            # the socket before the read returns.
            parties.party_leave(user=bob)
            time.sleep(0.3)
        return frame

    monkeypatch.setattr(parties, "party_frame_of_character", read_then_leave)
    bob_ws, _ = await enter(ws_connect, bob)
    assert (await receive_type(bob_ws, "party_update"))["party"] is not None  # what was read
    assert (await receive_type(bob_ws, "party_update"))["party"] is None  # then the leave
    await alice_ws.send_json_to({"type": "chat", "channel": "party", "message": "still there?"})
    assert (await receive_type(alice_ws, "chat"))["message"] == "still there?"
    assert await bob_ws.receive_nothing(timeout=0.3)
    await alice_ws.disconnect()
    await bob_ws.disconnect()


# --- races (PostgreSQL) ------------------------------------------------------------------------------


@requires_postgres
def test_six_accepting_at_once_fill_the_party_to_five_exactly(party_of, make_user, client_for):
    party_id, people = party_of(1)
    leader, _, leader_client = people[0]
    guests = []
    for n in range(6):
        user = make_user()
        character = make_character(user, f"Guest{n}")
        guests.append((user, invite(leader_client, character.pk).json()["id"]))
    results = run_at_once(*[lambda u=u, i=i: invite_accept(invite_id=i, user=u) for u, i in guests])
    joined = [r for r in results if isinstance(r, Invite)]
    refused = [r for r in results if not isinstance(r, Invite)]
    assert len(joined) == PARTY_MAX - 1
    assert refused == ["party_full", "party_full"], refused
    party = Party.objects.get(pk=party_id)
    assert party.member_count == PARTY_MAX == party.members.count()
    assert Invite.objects.filter(kind="party", status="accepted").count() == PARTY_MAX - 1
