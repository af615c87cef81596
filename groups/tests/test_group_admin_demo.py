"""Django admin for groups and the demo groups of ``seed_demo``."""

import io

import pytest
from django.core.management import call_command

from groups.factories import make_group, role_of
from groups.models import Group, GroupJoinRequest, GroupMembership, GroupMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def test_admin_lists_groups_and_their_rows(admin_client, alice, bob):
    group = make_group(creator=alice, members=[bob], name="Listed clan")
    assert "Listed clan" in admin_client.get("/admin/groups/group/?q=listed").content.decode()
    assert "Listed clan" in admin_client.get(f"/admin/groups/group/{group.pk}/change/").content.decode()
    for model in ("groupmembership", "groupjoinrequest", "groupban", "groupmessage"):
        assert admin_client.get(f"/admin/groups/{model}/").status_code == 200, model
    assert admin_client.get("/admin/groups/groupmembership/add/").status_code == 403  # seats: through services


def test_seed_demo_adds_an_open_and_a_closed_group_once():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)
    owls, vanguard = Group.objects.get(name="Night Owls"), Group.objects.get(name="Crimson Vanguard")
    assert (owls.open, vanguard.open) == (True, False)
    for group in (owls, vanguard):
        assert GroupMembership.objects.filter(group=group).count() == group.member_count >= 2
        assert GroupMembership.objects.filter(group=group, role="superadmin").count() == 1
        assert GroupMessage.objects.filter(group=group).exists()
    assert role_of(owls, owls.memberships.get(role="admin").user) == "admin"
    assert [r.user.username for r in GroupJoinRequest.objects.filter(group=vanguard)] == ["user_5"]
    call_command("seed_demo", "--clear", stdout=out)
    assert Group.objects.filter(name__in=["Night Owls", "Crimson Vanguard"]).count() == 2


def group_form(group: Group, **fields) -> dict:
    """The group's change form as the admin page posts it, its read-only members inline included."""
    seats = list(group.memberships.order_by("joined_at", "id"))
    body = {
        "name": group.name,
        "description": group.description,
        "max_members": group.max_members,
        "memberships-TOTAL_FORMS": len(seats),
        "memberships-INITIAL_FORMS": len(seats),
        "memberships-MIN_NUM_FORMS": 0,
        "memberships-MAX_NUM_FORMS": 1000,
        **{f"memberships-{i}-id": seat.pk for i, seat in enumerate(seats)},
        **{f"memberships-{i}-group": group.pk for i, seat in enumerate(seats)},
        **fields,
    }
    if group.open:
        body.setdefault("open", "on")
    return body


def test_memberships_are_read_only_in_the_admin(admin_client, alice, bob, carol):
    group = make_group(creator=alice, members=[bob, carol])
    seat = group.memberships.get(user=bob)
    base = "/admin/groups/groupmembership/"
    view = admin_client.get(f"{base}{seat.pk}/change/")
    assert view.status_code == 200 and 'name="_save"' not in view.content.decode()
    assert admin_client.post(f"{base}{seat.pk}/change/", {"role": "superadmin"}).status_code == 403
    assert admin_client.post(f"{base}{seat.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [seat.pk], "post": "yes"}
    admin_client.post(base, bulk)
    # The members inline of the group's page deletes nothing either.
    inline = group_form(group, **{"memberships-1-DELETE": "on"})
    assert admin_client.post(f"/admin/groups/group/{group.pk}/change/", inline).status_code == 302
    assert [role_of(group, u) for u in (alice, bob, carol)] == ["superadmin", "member", "member"]
    group.refresh_from_db()
    assert group.member_count == GroupMembership.objects.filter(group=group).count() == 3


def test_a_size_limit_below_the_member_count_is_a_form_error(admin_client, alice, bob, carol):
    group = make_group(creator=alice, members=[bob, carol])
    url = f"/admin/groups/group/{group.pk}/change/"
    refused = admin_client.post(url, group_form(group, max_members=2))
    assert refused.status_code == 200  # the form again, with its error
    assert "The group has 3 members: the limit cannot be lower." in refused.content.decode()
    group.refresh_from_db()
    assert group.max_members == 100
    assert admin_client.post(url, group_form(group, max_members=3, description="Full")).status_code == 302
    group.refresh_from_db()
    assert (group.max_members, group.description, group.member_count) == (3, "Full", 3)


def test_a_whole_group_is_still_deleted_with_its_seats(admin_client, alice, bob):
    group = make_group(creator=alice, members=[bob])
    # A user's delete would take one seat (the count left wrong): refused while they hold one.
    assert admin_client.post(f"/admin/accounts/user/{bob.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.post(f"/admin/groups/group/{group.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Group.objects.exists() and not GroupMembership.objects.exists()
