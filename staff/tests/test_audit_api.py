import pytest
from django.contrib.auth.models import Group

from staff import audit
from staff.roles import ADMIN, LIVEOPS

pytestmark = pytest.mark.django_db

URL = "/api/moderation/audit/"


@pytest.mark.parametrize("who", ["roleless", "liveops", "player"])
def test_the_audit_route_refuses_staff_without_its_roles_and_players(who, client_for, make_staff, make_user):
    user = {
        "roleless": lambda: make_staff("rolf"),
        "liveops": lambda: make_staff("lou", LIVEOPS),
        "player": lambda: make_user("pat"),
    }[who]()
    response = client_for(user).get(URL)
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_the_audit_route_needs_a_token(api_client):
    assert api_client.get(URL).status_code == 401


@pytest.mark.parametrize("roles", [("moderator",), ("support",), (ADMIN,)])
def test_moderators_support_and_admins_read_the_audit_log(roles, client_for, make_staff):
    assert client_for(make_staff("staffer", *roles)).get(URL).status_code == 200


def test_a_superuser_reads_the_audit_log(client_for, root):
    assert client_for(root).get(URL).status_code == 200


def test_a_role_taken_away_counts_at_the_next_request(client_for, supporter):
    client = client_for(supporter)
    assert client.get(URL).status_code == 200
    supporter.groups.remove(Group.objects.get(name="support"))
    assert client.get(URL).status_code == 403


def test_the_log_answers_pages_of_entries_newest_first_in_the_contract_shape(client_for, supporter, moderator, alice):
    audit.record(staff=None, action="room.kill", target_type="game", target_id=9, target="game 9")
    audit.record(staff=moderator, action="sanction.mute", target_type="user", target_id=alice.pk, target="alice",
                 detail={"hours": 2})  # fmt: skip
    page = client_for(supporter).get(URL).json()
    assert set(page) >= {"next", "previous", "results"}
    newest, oldest = page["results"]
    assert set(newest) == {"id", "staff", "action", "target", "detail", "at"}
    assert newest["staff"] == {"id": moderator.pk, "username": "mona"} and newest["action"] == "sanction.mute"
    assert newest["target"] == {"type": "user", "id": str(alice.pk), "name": "alice"}
    assert newest["detail"] == {"hours": 2} and newest["at"].endswith("Z")
    assert oldest["staff"] is None and oldest["target"]["type"] == "game"


def test_the_log_filters_by_action_and_by_target(client_for, supporter, moderator, alice, bob):
    for user, action in [(alice, "sanction.mute"), (bob, "sanction.mute"), (alice, "appeal.reversed")]:
        audit.record(staff=moderator, action=action, target_type="user", target_id=user.pk, target=user.username)
    client = client_for(supporter)

    def names(query: str) -> list[tuple[str, str]]:
        return [(e["action"], e["target"]["name"]) for e in client.get(URL + query).json()["results"]]

    assert names("?action=sanction.mute") == [("sanction.mute", "bob"), ("sanction.mute", "alice")]
    assert names(f"?target_type=user&target_id={alice.pk}") == [
        ("appeal.reversed", "alice"),
        ("sanction.mute", "alice"),
    ]


def test_an_entry_of_a_deleted_staff_member_still_names_them(client_for, supporter, make_staff, alice):
    from accounts.services import user_delete

    gone = make_staff("gone", "moderator")
    audit.record(staff=gone, action="sanction.warn", target_type="user", target_id=alice.pk)
    user_delete(user=gone)
    [entry] = client_for(supporter).get(URL).json()["results"]
    assert entry["staff"]["username"] == "gone"
