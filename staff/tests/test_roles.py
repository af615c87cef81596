import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from staff.permissions import role_required
from staff.roles import ADMIN, LIVEOPS, MODERATOR, ROLES, SUPPORT

pytestmark = pytest.mark.django_db


def perms(role: str) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=role).permissions.values_list("content_type__app_label", "codename")
    }


def test_the_four_roles_exist_after_migrate():
    assert set(Group.objects.filter(name__in=ROLES).values_list("name", flat=True)) == set(ROLES)


def test_support_may_view_and_change_users_view_payments_and_the_audit_log_and_nothing_else():
    payments_views = {
        f"payments.{codename}"
        for codename in Permission.objects.filter(
            content_type__app_label="payments", codename__startswith="view_"
        ).values_list("codename", flat=True)
    }
    assert payments_views and perms(SUPPORT) == {
        "accounts.view_user",
        "accounts.change_user",
        "staff.view_auditentry",
        *payments_views,
    }


def test_a_moderator_views_users_and_games_and_changes_neither():
    moderator = perms(MODERATOR)
    assert {"accounts.view_user", "game.view_game", "game.view_rating", "staff.view_auditentry"} <= moderator
    assert (
        not {"accounts.change_user", "accounts.delete_user", "game.change_game", "payments.view_purchase"} & moderator
    )
    changes = {p for p in moderator if not p.startswith(("safety.", "wordfilter.")) and ".view_" not in p}
    assert changes == {"chat.delete_lobbymessage"}


def test_a_moderator_sees_lobbies_and_their_messages_but_no_direct_message():
    moderator = perms(MODERATOR)
    assert {"chat.view_lobby", "chat.view_lobbymessage", "chat.delete_lobbymessage", "chat.view_lobbyban"} <= moderator
    assert not {"chat.view_directmessage", "chat.change_lobby", "chat.delete_lobby"} & moderator


def test_the_liveops_role_holds_every_permission_of_the_liveops_and_leaderboards_apps():
    liveops = perms(LIVEOPS)
    assert liveops and all(p.startswith(("liveops.", "leaderboards.")) for p in liveops)
    assert {"liveops.change_flag", "liveops.view_exposure"} <= liveops
    assert {"leaderboards.add_leaderboard", "leaderboards.add_tournament", "leaderboards.change_record"} <= liveops


def test_the_admin_role_holds_every_permission():
    assert Group.objects.get(name=ADMIN).permissions.count() == Permission.objects.count()


def test_migrate_sets_each_role_back_to_its_table():
    support = Group.objects.get(name=SUPPORT)
    support.permissions.add(Permission.objects.get(codename="delete_user"))
    support.permissions.remove(Permission.objects.get(codename="change_user"))
    Group.objects.get(name=LIVEOPS).delete()

    call_command("migrate", verbosity=0)

    assert "accounts.delete_user" not in perms(SUPPORT) and "accounts.change_user" in perms(SUPPORT)
    assert Group.objects.filter(name=LIVEOPS).exists()


def test_role_required_reads_the_roles_once_per_request(moderator, django_assert_num_queries):
    request = APIView().initialize_request(APIRequestFactory().get("/"))
    request.user = moderator
    moderation, audit = role_required(MODERATOR)(), role_required(MODERATOR, SUPPORT)()
    with django_assert_num_queries(1):
        assert moderation.has_permission(request, None) and audit.has_permission(request, None)


def test_role_required_lets_the_admin_role_and_superusers_through_but_only_staff(make_staff, make_user):
    check = role_required(MODERATOR)()

    def allowed(user) -> bool:
        request = APIView().initialize_request(APIRequestFactory().get("/"))
        request.user = user
        return check.has_permission(request, None)

    assert allowed(make_staff("ada", ADMIN)) and allowed(make_staff("su", superuser=True))
    assert not allowed(make_staff("sue", SUPPORT)) and not allowed(make_staff("nobody"))
    former = make_user("former", is_superuser=True)  # no longer is_staff
    former.groups.add(Group.objects.get(name=MODERATOR))
    assert not allowed(former)


def test_a_support_user_cannot_give_themselves_or_anyone_staff_powers_in_the_admin(supporter, make_user):
    """Support may change users, not their privileges: is_superuser, is_staff, groups and permissions
    are read only for everyone but superusers (a posted is_superuser is ignored)."""
    from django.test import Client

    from accounts.models import User

    browser = Client()
    browser.force_login(supporter)
    page = browser.get(f"/admin/accounts/user/{supporter.pk}/change/")
    assert page.status_code == 200
    assert b'name="is_superuser"' not in page.content and b'name="groups"' not in page.content
    browser.post(
        f"/admin/accounts/user/{supporter.pk}/change/",
        {"username": supporter.username, "email": supporter.email, "is_superuser": "on", "is_staff": "on",
         "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00", "is_active": "on"},
    )  # fmt: skip
    supporter.refresh_from_db()
    assert not supporter.is_superuser
    assert User.objects.filter(is_superuser=True).count() == 0
