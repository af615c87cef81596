"""The tests' flush (gameplatform/tests/quickflush) leaves the database as Django's own would: the
tests of this module run in order on one worker, each a transactional test (a flush after it), and
each later one finds what an earlier one wrote gone and what ``post_migrate`` makes still there."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from staff.models import AuditEntry
from staff.roles import MODERATOR, ROLES

pytestmark = pytest.mark.django_db(transaction=True)


def roles() -> dict[str, set[str]]:
    return {group.name: {p.codename for p in group.permissions.all()} for group in Group.objects.filter(name__in=ROLES)}


def test_a_test_writes_players_an_audit_entry_and_changes_a_role(make_user):
    make_user("left_behind")
    AuditEntry.objects.create(action="test.flush", target_type="user")
    Group.objects.create(name="made_by_a_test")
    Group.objects.get(name=MODERATOR).permissions.clear()
    assert AuditEntry.objects.count() == 1


def test_the_next_test_finds_none_of_it_and_the_roles_as_migrate_made_them(django_user_model):
    assert not django_user_model.objects.exists()
    assert not AuditEntry.objects.exists()  # the append-only log: truncated, as a DELETE is refused
    assert not Group.objects.filter(name="made_by_a_test").exists()
    assert set(roles()) == set(ROLES) and roles()[MODERATOR]  # post_migrate ran again: its rows changed


def test_a_test_that_changes_no_role_writes_only_players(make_user):
    make_user("also_left_behind")


def test_then_the_roles_content_types_and_permissions_are_the_same_rows(django_user_model):
    assert not django_user_model.objects.exists()
    assert ContentType.objects.filter(app_label="staff", model="auditentry").exists()
    assert Permission.objects.filter(codename="view_auditentry").exists()
    assert roles()[MODERATOR]


def test_the_command_called_as_django_calls_it_empties_the_tables_a_test_filled(make_user, django_user_model):
    make_user("flushed")
    call_command("flush", verbosity=0, interactive=False, reset_sequences=False, inhibit_post_migrate=False)
    assert not django_user_model.objects.exists()
    assert roles()[MODERATOR]
