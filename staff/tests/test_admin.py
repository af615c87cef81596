"""The admin: staff see only what their role allows, every edit of players, purchases and rooms
is in the audit log, and the audit log itself cannot be edited there."""

import pytest

from accounts.models import User
from staff.models import AuditEntry

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"


@pytest.fixture
def admin_as(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_a_staff_member_without_a_role_sees_no_users_page_and_is_refused_it(admin_as, roleless_staff):
    client = admin_as(roleless_staff)
    index = client.get("/admin/")
    assert index.status_code == 200 and USERS not in index.content.decode()
    assert client.get(USERS).status_code == 403


def test_support_sees_the_users_page_and_the_audit_log(admin_as, supporter):
    client = admin_as(supporter)
    index = client.get("/admin/").content.decode()
    assert USERS in index and "/admin/staff/auditentry/" in index
    assert client.get(USERS).status_code == 200


def test_a_change_of_a_user_in_the_admin_is_in_the_log_with_its_fields(admin_as, root, alice):
    response = admin_as(root).post(
        USERS,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(alice.pk),
            "form-0-is_premium": "on",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.is_premium
    entry = AuditEntry.objects.get()
    assert (entry.staff_id, entry.action, entry.target_type, entry.target_id) == (
        root.pk,
        "admin.change",
        "user",
        str(alice.pk),
    )
    # A player is named by id only: the log outlives their account and keeps no name of theirs.
    assert entry.target == "" and entry.detail["fields"] == ["Is premium"]


def test_an_admin_action_on_users_is_in_the_log_once_per_user(admin_as, root, alice, bob):
    response = admin_as(root).post(
        USERS, {"action": "grant_premium", "_selected_action": [alice.pk, bob.pk], "index": "0"}
    )
    assert response.status_code == 302 and User.objects.filter(is_premium=True).count() == 2
    entries = AuditEntry.objects.filter(action="admin.action")
    assert sorted(entries.values_list("target_id", flat=True)) == sorted([str(alice.pk), str(bob.pk)])
    assert {e.detail["action"] for e in entries} == {"grant_premium"}


def test_deleting_a_user_in_the_admin_is_in_the_log_and_spares_the_entries_of_a_deleted_staff_member(
    admin_as, root, moderator
):
    from staff import audit

    audit.record(staff=moderator, action="sanction.warn", target_type="user", target_id=1)
    response = admin_as(root).post(f"{USERS}{moderator.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not User.objects.filter(pk=moderator.pk).exists()
    deleted = AuditEntry.objects.get(action="admin.delete")
    assert (deleted.staff_name, deleted.target_type, deleted.target_id) == ("root", "user", str(moderator.pk))
    assert AuditEntry.objects.get(action="sanction.warn").staff_name == "mona"


def test_the_audit_log_admin_offers_no_add_change_or_delete_even_to_a_superuser(admin_as, root, alice):
    from staff import audit

    entry = audit.record(staff=root, action="room.kill", target_type="game", target_id=3)
    client = admin_as(root)
    listing = client.get("/admin/staff/auditentry/")
    assert listing.status_code == 200 and "delete_selected" not in listing.content.decode()
    page = client.get(f"/admin/staff/auditentry/{entry.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.get("/admin/staff/auditentry/add/").status_code == 403
    assert client.get(f"/admin/staff/auditentry/{entry.pk}/delete/").status_code == 403
    assert client.post(f"/admin/staff/auditentry/{entry.pk}/change/", {"action": "x"}).status_code == 403
    entry.refresh_from_db()
    assert entry.action == "room.kill"
