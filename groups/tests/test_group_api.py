"""REST of the groups app: create and search, join and requests, roles, moderation, chat history."""

import pytest

from groups.factories import make_group, role_of
from groups.models import Group, GroupMembership

pytestmark = pytest.mark.django_db


@pytest.fixture
def clan(alice, bob):
    """alice is the superadmin; bob is an admin."""
    return make_group(creator=alice, admins=[bob], name="Clan")


def error_code(response) -> str:
    return response.json()["code"]


# --- create and search ----------------------------------------------------------------


def test_creator_becomes_superadmin_of_the_new_group(client_for, alice):
    response = client_for(alice).post(
        "/api/groups/", {"name": "Owls", "description": "Night games", "open": False, "max_members": 10}
    )
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("name", "description", "open", "max_members", "member_count")} == {
        "name": "Owls",
        "description": "Night games",
        "open": False,
        "max_members": 10,
        "member_count": 1,
    }
    assert set(body) == {"id", "name", "description", "open", "max_members", "member_count", "created_at"}
    assert role_of(Group.objects.get(pk=body["id"]), alice) == "superadmin"


def test_a_name_taken_in_any_case_is_refused_409(client_for, alice, bob):
    make_group(creator=alice, name="Night Owls")
    response = client_for(bob).post("/api/groups/", {"name": "night OWLS"})
    assert response.status_code == 409 and error_code(response) == "group_name_taken"


@pytest.mark.parametrize("size", [1, 501])
def test_max_members_outside_2_to_500_is_refused(client_for, alice, size):
    response = client_for(alice).post("/api/groups/", {"name": "Owls", "max_members": size})
    assert response.status_code == 400 and "max_members" in response.json()


def test_search_finds_groups_by_part_of_their_name_in_any_case(client_for, alice, bob):
    make_group(creator=alice, name="Night Owls")
    make_group(creator=bob, name="Early Birds")
    response = client_for(alice).get("/api/groups/", {"search": "OWL"})
    assert [g["name"] for g in response.json()["results"]] == ["Night Owls"]


def test_mine_lists_my_groups_with_my_role(client_for, clan, bob, carol):
    make_group(creator=carol, members=[bob], name="Other")
    answer = client_for(bob).get("/api/groups/mine/").json()["results"]
    assert [(g["name"], g["role"]) for g in answer] == [("Clan", "admin"), ("Other", "member")]


def test_my_groups_come_in_pages_oldest_membership_first(client_for, clan, bob, carol):
    make_group(creator=carol, members=[bob], name="Other")
    make_group(creator=bob, name="Mine")
    first = client_for(bob).get("/api/groups/mine/", {"page_size": 2}).json()
    assert [g["name"] for g in first["results"]] == ["Clan", "Other"]
    assert first["previous"] is None and first["count"] == 3
    second = client_for(bob).get(first["next"]).json()
    assert [(g["name"], g["role"]) for g in second["results"]] == [("Mine", "superadmin")]
    assert second["next"] is None


# --- join, leave, requests --------------------------------------------------------------


def test_joining_an_open_group_makes_a_member_at_once(client_for, clan, carol):
    response = client_for(carol).post(f"/api/groups/{clan.pk}/join/")
    assert response.status_code == 200
    assert response.json()["status"] == "member" and response.json()["group"]["member_count"] == 3
    members = client_for(carol).get(f"/api/groups/{clan.pk}/members/").json()["results"]
    assert [(m["user"]["username"], m["role"]) for m in members] == [
        ("alice", "superadmin"),
        ("bob", "admin"),
        ("carol", "member"),
    ]


def test_members_come_in_pages_oldest_first(client_for, clan, carol, make_user):
    dave = make_user("dave")
    client_for(dave).post(f"/api/groups/{clan.pk}/join/")
    client_for(carol).post(f"/api/groups/{clan.pk}/join/")
    first = client_for(carol).get(f"/api/groups/{clan.pk}/members/", {"page_size": 3}).json()
    assert [m["user"]["username"] for m in first["results"]] == ["alice", "bob", "dave"]
    assert first["previous"] is None and first["count"] == 4
    second = client_for(carol).get(first["next"]).json()
    assert [m["user"]["username"] for m in second["results"]] == ["carol"]
    assert second["next"] is None and second["previous"] is not None


def test_join_requests_come_in_pages_oldest_first(client_for, alice, bob, carol, make_user):
    group = make_group(creator=alice, open=False)
    for user in (carol, make_user("dave"), bob):
        client_for(user).post(f"/api/groups/{group.pk}/join/")
    first = client_for(alice).get(f"/api/groups/{group.pk}/requests/", {"page_size": 2}).json()
    assert [r["user"]["username"] for r in first["results"]] == ["carol", "dave"]
    second = client_for(alice).get(first["next"]).json()
    assert [r["user"]["username"] for r in second["results"]] == ["bob"] and second["next"] is None


def test_members_of_a_group_that_does_not_exist_is_404(client_for, alice):
    response = client_for(alice).get("/api/groups/999999/members/")
    assert response.status_code == 404 and error_code(response) == "group_not_found"


def test_joining_a_full_group_is_409_group_full(client_for, alice, bob, carol):
    group = make_group(creator=alice, members=[bob], max_members=2)
    response = client_for(carol).post(f"/api/groups/{group.pk}/join/")
    assert response.status_code == 409 and error_code(response) == "group_full"


def test_a_closed_group_takes_a_request_that_an_admin_accepts(client_for, alice, bob, carol):
    group = make_group(creator=alice, admins=[bob], open=False)
    response = client_for(carol).post(f"/api/groups/{group.pk}/join/")
    assert response.json()["status"] == "requested" and role_of(group, carol) is None
    pending = client_for(bob).get(f"/api/groups/{group.pk}/requests/").json()["results"]
    assert [r["user"]["username"] for r in pending] == ["carol"]
    accepted = client_for(bob).post(f"/api/groups/{group.pk}/requests/{carol.pk}/accept/")
    assert accepted.status_code == 200 and accepted.json()["role"] == "member"
    assert role_of(group, carol) == "member"
    assert client_for(bob).get(f"/api/groups/{group.pk}/requests/").json()["results"] == []


def test_a_declined_request_is_gone_and_the_user_stays_out(client_for, alice, carol):
    group = make_group(creator=alice, open=False)
    client_for(carol).post(f"/api/groups/{group.pk}/join/")
    assert client_for(alice).post(f"/api/groups/{group.pk}/requests/{carol.pk}/decline/").status_code == 200
    response = client_for(alice).post(f"/api/groups/{group.pk}/requests/{carol.pk}/accept/")
    assert response.status_code == 404 and error_code(response) == "request_not_found"
    assert role_of(group, carol) is None


def test_leaving_a_group_one_asked_to_join_withdraws_the_request(client_for, alice, carol):
    group = make_group(creator=alice, open=False)
    client_for(carol).post(f"/api/groups/{group.pk}/join/")
    assert client_for(carol).post(f"/api/groups/{group.pk}/leave/").status_code == 200
    assert client_for(alice).get(f"/api/groups/{group.pk}/requests/").json()["results"] == []
    response = client_for(carol).post(f"/api/groups/{group.pk}/leave/")
    assert response.status_code == 404 and error_code(response) == "not_member"


def test_members_cannot_see_or_accept_requests(client_for, alice, bob, carol, make_user):
    group = make_group(creator=alice, members=[bob], open=False)
    client_for(carol).post(f"/api/groups/{group.pk}/join/")
    assert error_code(client_for(bob).get(f"/api/groups/{group.pk}/requests/")) == "not_group_admin"
    response = client_for(bob).post(f"/api/groups/{group.pk}/requests/{carol.pk}/accept/")
    assert response.status_code == 403 and error_code(response) == "not_group_admin"


def test_accepting_into_a_full_group_is_409_and_the_request_stays(client_for, alice, bob, carol):
    group = make_group(creator=alice, members=[bob], max_members=2, open=False)
    client_for(carol).post(f"/api/groups/{group.pk}/join/")
    response = client_for(alice).post(f"/api/groups/{group.pk}/requests/{carol.pk}/accept/")
    assert response.status_code == 409 and error_code(response) == "group_full"
    assert len(client_for(alice).get(f"/api/groups/{group.pk}/requests/").json()["results"]) == 1


def test_superadmin_who_leaves_hands_over_to_the_oldest_admin(client_for, alice, bob, carol, make_user):
    dave = make_user("dave")
    group = make_group(creator=alice, members=[carol], admins=[dave, bob])
    assert client_for(alice).post(f"/api/groups/{group.pk}/leave/").json() == {"status": "left"}
    # dave and bob joined as members before either was promoted: carol, then dave, then bob joined.
    assert role_of(group, dave) == "superadmin" and role_of(group, bob) == "admin"
    group.refresh_from_db()
    assert group.member_count == 3


def test_superadmin_without_admins_hands_over_to_the_oldest_member(client_for, alice, bob, carol):
    group = make_group(creator=alice, members=[bob, carol])
    client_for(alice).post(f"/api/groups/{group.pk}/leave/")
    assert role_of(group, bob) == "superadmin" and role_of(group, carol) == "member"


def test_the_last_member_leaving_deletes_the_group_and_frees_its_name(client_for, alice, bob):
    group = make_group(creator=alice, name="Lonely")
    client_for(alice).post(f"/api/groups/{group.pk}/leave/")
    assert not Group.objects.filter(pk=group.pk).exists()
    assert client_for(bob).post("/api/groups/", {"name": "lonely"}).status_code == 201


# --- roles and moderation ----------------------------------------------------------------


def test_an_admin_promotes_a_member_to_admin(client_for, clan, bob, carol):
    client_for(carol).post(f"/api/groups/{clan.pk}/join/")
    response = client_for(bob).post(f"/api/groups/{clan.pk}/promote/", {"user_id": carol.pk})
    assert response.status_code == 200 and response.json()["role"] == "admin"


def test_an_admin_cannot_act_on_another_admin_or_the_superadmin(client_for, clan, alice, bob, make_user):
    other_admin = make_user("other")
    client_for(other_admin).post(f"/api/groups/{clan.pk}/join/")
    client_for(alice).post(f"/api/groups/{clan.pk}/promote/", {"user_id": other_admin.pk})
    for action in ("promote", "kick", "ban"):
        for target in (other_admin, alice):
            response = client_for(bob).post(f"/api/groups/{clan.pk}/{action}/", {"user_id": target.pk})
            assert response.status_code == 403 and error_code(response) == "insufficient_role", (action, target)
    assert role_of(clan, other_admin) == "admin" and role_of(clan, alice) == "superadmin"


def test_nobody_acts_on_themselves_403(client_for, clan, alice, bob):
    for user in (alice, bob):
        for action in ("promote", "demote", "kick", "ban"):
            response = client_for(user).post(f"/api/groups/{clan.pk}/{action}/", {"user_id": user.pk})
            assert response.status_code == 403, (user.username, action)
            assert response.json() == {"detail": "You cannot do that to yourself.", "code": "cannot_act_on_self"}
    assert (role_of(clan, alice), role_of(clan, bob)) == ("superadmin", "admin")


def test_a_member_cannot_kick_anyone(client_for, clan, carol, make_user):
    dave = make_user("dave")
    for user in (carol, dave):
        client_for(user).post(f"/api/groups/{clan.pk}/join/")
    response = client_for(carol).post(f"/api/groups/{clan.pk}/kick/", {"user_id": dave.pk})
    assert response.status_code == 403 and error_code(response) == "not_group_admin"
    assert role_of(clan, dave) == "member"


def test_the_superadmin_promoting_an_admin_hands_the_group_over(client_for, clan, alice, bob):
    response = client_for(alice).post(f"/api/groups/{clan.pk}/promote/", {"user_id": bob.pk})
    assert response.json()["role"] == "superadmin"
    assert role_of(clan, alice) == "admin"


def test_the_superadmin_demotes_an_admin(client_for, clan, alice, bob):
    response = client_for(alice).post(f"/api/groups/{clan.pk}/demote/", {"user_id": bob.pk})
    assert response.status_code == 200 and role_of(clan, bob) == "member"


def test_a_kicked_member_is_out_and_may_join_again(client_for, clan, bob, carol):
    client_for(carol).post(f"/api/groups/{clan.pk}/join/")
    assert client_for(bob).post(f"/api/groups/{clan.pk}/kick/", {"user_id": carol.pk}).status_code == 200
    assert role_of(clan, carol) is None
    assert client_for(carol).post(f"/api/groups/{clan.pk}/join/").json()["status"] == "member"


def test_a_banned_user_cannot_join_or_ask_to(client_for, alice, bob, carol):
    for is_open in (True, False):
        group = make_group(creator=alice, name=f"Group {is_open}", open=is_open)
        client_for(alice).post(f"/api/groups/{group.pk}/ban/", {"user_id": carol.pk})
        response = client_for(carol).post(f"/api/groups/{group.pk}/join/")
        assert response.status_code == 403 and error_code(response) == "banned"
        assert role_of(group, carol) is None
        assert client_for(alice).get(f"/api/groups/{group.pk}/requests/").json()["results"] == []


def test_banning_a_member_removes_them(client_for, clan, bob, carol):
    client_for(carol).post(f"/api/groups/{clan.pk}/join/")
    client_for(bob).post(f"/api/groups/{clan.pk}/ban/", {"user_id": carol.pk})
    clan.refresh_from_db()
    assert role_of(clan, carol) is None and clan.member_count == 2
    assert GroupMembership.objects.filter(group=clan).count() == 2


# --- chat history -------------------------------------------------------------------


def test_members_post_and_read_the_history_others_cannot(client_for, clan, alice, carol):
    posted = client_for(alice).post(f"/api/groups/{clan.pk}/messages/", {"content": " hello "})
    assert posted.status_code == 201 and posted.json()["content"] == "hello"
    history = client_for(alice).get(f"/api/groups/{clan.pk}/messages/").json()
    assert [m["content"] for m in history["results"]] == ["hello"]
    response = client_for(carol).get(f"/api/groups/{clan.pk}/messages/")
    assert response.status_code == 403 and error_code(response) == "not_member"
    response = client_for(carol).post(f"/api/groups/{clan.pk}/messages/", {"content": "hi"})
    assert response.status_code == 403 and error_code(response) == "not_member"


def test_chat_over_the_rate_limit_is_429(client_for, clan, alice, settings):
    settings.CHAT_RATE_LIMIT = 2
    client = client_for(alice)
    answers = [client.post(f"/api/groups/{clan.pk}/messages/", {"content": f"m{n}"}).status_code for n in range(3)]
    assert answers == [201, 201, 429]


def test_unknown_group_is_404(client_for, alice):
    response = client_for(alice).post("/api/groups/987654/join/")
    assert response.status_code == 404 and error_code(response) == "group_not_found"


def test_the_schema_documents_the_codes_the_group_routes_answer():
    import re

    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]

    def codes(path: str, status: int) -> set[str]:
        answer = paths[path]["post"]["responses"].get(str(status))
        return set(re.findall(r"`([a-z0-9_]+)`", answer["description"])) if answer else set()

    assert "group_full" in codes("/api/groups/{group_id}/join/", 409)
    assert "banned" in codes("/api/groups/{group_id}/join/", 403)
    for action in ("promote", "kick", "ban"):
        assert {"not_group_admin", "insufficient_role", "cannot_act_on_self"} <= codes(
            f"/api/groups/{{group_id}}/{action}/", 403
        )
    assert "group_name_taken" in codes("/api/groups/", 409)
