"""The admin shows parties, combats and trades but writes none: their rules (a leader who is a
member, ``member_count`` equal to the members, one fight per attacker, offers on both sides)
live in the services, which the admin's forms do not call."""

import pytest

from world.models import Character, Faction, Party, PartyMember
from world.tests.test_world_socket import make_character

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, make_user):
    client.force_login(make_user("boss", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", ["party", "combat", "trade"])
def test_staff_cannot_add_parties_combats_or_trades(staff_client, world, model):
    assert staff_client.get(f"/admin/world/{model}/add/").status_code == 403


def test_staff_cannot_change_a_partys_leader_or_size(staff_client, world, alice, bob):
    aria = make_character(alice, "Aria")
    borin = make_character(bob, "Borin")
    party = Party.objects.create(leader=aria, member_count=1)
    PartyMember.objects.create(party=party, character=aria)
    assert staff_client.get(f"/admin/world/party/{party.pk}/change/").status_code == 200  # still shown
    page = staff_client.post(
        f"/admin/world/party/{party.pk}/change/",
        {"leader": borin.pk, "member_count": 5, "members-TOTAL_FORMS": 0, "members-INITIAL_FORMS": 0},
    )
    assert page.status_code == 403
    party.refresh_from_db()
    assert (party.leader_id, party.member_count) == (aria.pk, 1)


@pytest.mark.parametrize("name", ["Bad!Name", "ab", "two  spaces"])
def test_staff_cannot_give_a_character_a_name_the_services_refuse(staff_client, world, alice, name):
    faction = Faction.objects.get(name="Crimson Covenant")
    page = staff_client.post(
        "/admin/world/character/add/",
        {
            "user": alice.pk,
            "name": name,
            "faction": faction.pk,
            "level": 1,
            "xp": 0,
            "health": 100,
            "max_health": 100,
            "location": faction.home_location_id,
            "position": "{}",
        },
    )
    assert page.status_code == 200 and "name" in page.context["adminform"].form.errors
    assert not Character.objects.exists()


def test_staff_can_still_add_a_character_with_a_good_name(staff_client, world, alice):
    faction = Faction.objects.get(name="Crimson Covenant")
    fields = {"user": alice.pk, "faction": faction.pk, "level": 1, "xp": 0, "health": 100, "max_health": 100}
    page = staff_client.post(
        "/admin/world/character/add/",
        {**fields, "name": "Good Name", "location": faction.home_location_id, "position": "{}"},
    )
    assert page.status_code == 302
    assert Character.objects.get().name == "Good Name"
