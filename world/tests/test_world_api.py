"""The world's REST reads, and staff announcements."""

import pytest

from staff.models import AuditEntry
from staff.roles import LIVEOPS, MODERATOR
from world.models import Location, Shard, WorldEvent

pytestmark = pytest.mark.django_db


def test_factions_include_the_seeds_crimson_covenant(world, client_for, alice):
    names = [f["name"] for f in client_for(alice).get("/api/world/factions/").json()["results"]]
    assert "Crimson Covenant" in names and len(names) >= 3


def test_locations_list_their_neighbours_both_ways_and_the_enemies_alive(world, client_for, alice):
    locations = {loc["name"]: loc for loc in client_for(alice).get("/api/world/locations/").json()["results"]}
    emberhold, road = locations["Emberhold"], locations["Ashen Road"]
    assert road["id"] in emberhold["neighbours"] and emberhold["id"] in road["neighbours"]
    assert [e["name"] for e in road["enemies"]] == ["Ash Wolf", "Ash Wolf"]
    assert locations["Shattered Plains"]["contested"] is True
    assert locations["Shattered Plains"]["shard_id"] == Shard.objects.get(name="Phoenix Flame").pk
    assert emberhold["shard_id"] is None


def test_the_world_state_shows_reality_shards_and_factions(world, client_for, alice):
    state = client_for(alice).get("/api/world/state/").json()
    assert state["current_reality"] == "prime"
    assert {s["name"] for s in state["shards"]} >= {"Phoenix Flame", "Void Prism"}
    assert state["online_characters"] == 0 and state["recent_events"] == []
    shards = client_for(alice).get("/api/world/shards").json()["results"]
    assert all(s["owner_faction"] is None for s in shards)


def test_nobody_is_in_an_area_without_a_world_socket(world, client_for, alice):
    place = Location.objects.get(name="Emberhold")
    assert client_for(alice).get(f"/api/world/locations/{place.pk}/players/").json()["results"] == []
    assert client_for(alice).get("/api/world/locations/999999/players/").status_code == 404


def test_only_staff_announce_and_the_announcement_is_kept_as_an_event(world, client_for, alice, make_staff):
    refused = client_for(alice).post("/api/world/announcements/", {"message": "Hello"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    staff = make_staff("gm", LIVEOPS)
    answer = client_for(staff).post("/api/world/announcements/", {"message": "Servers restart at noon"}, format="json")
    assert answer.status_code == 201
    assert WorldEvent.objects.get().payload["message"] == "Servers restart at noon"
    events = client_for(alice).get("/api/world/events/").json()
    assert [e["kind"] for e in events["results"]] == ["announcement"]


def test_staff_without_the_liveops_role_cannot_announce(world, client_for, make_staff):
    for user in (make_staff("rolf"), make_staff("mona", MODERATOR)):
        refused = client_for(user).post("/api/world/announcements/", {"message": "Free gems"}, format="json")
        assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert not WorldEvent.objects.exists() and not AuditEntry.objects.exists()


def test_an_announcement_is_in_the_audit_log_with_the_staff_member_who_made_it(world, client_for, make_staff):
    gm = make_staff("gm", LIVEOPS)
    answer = client_for(gm).post("/api/world/announcements/", {"message": "Servers restart at noon"}, format="json")
    entry = AuditEntry.objects.get()
    assert (entry.staff_id, entry.staff_name, entry.action) == (gm.pk, "gm", "world.announcement")
    assert (entry.target_type, entry.target_id) == ("world.worldevent", str(answer.json()["id"]))
    assert entry.detail == {"message": "Servers restart at noon"}
