"""The audit log is append-only in the database itself, and each entry belongs to its action's transaction."""

import sqlite3
from importlib import import_module

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from accounts.services import user_delete
from conftest import requires_postgres
from staff import audit
from staff.models import AuditEntry

pytestmark = pytest.mark.django_db

append_only = import_module("staff.migrations.0002_append_only")


@pytest.fixture
def entry(moderator, alice):
    return audit.record(
        staff=moderator, action="sanction.mute", target_type="user", target_id=alice.pk, target="alice", detail={"h": 1}
    )


def unchanged(entry) -> bool:
    row = AuditEntry.objects.get(pk=entry.pk)
    kept = (row.action, row.target_id, row.detail, row.staff_name)
    return kept == ("sanction.mute", entry.target_id, {"h": 1}, "mona")


def refused(statement) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        statement()


def test_record_writes_who_did_what_to_whom(entry, moderator, alice):
    assert (entry.staff_id, entry.staff_name, entry.target_id, entry.detail) == (
        moderator.pk,
        "mona",
        str(alice.pk),
        {"h": 1},
    )
    assert list(audit.entries()) == [entry]


def test_an_entry_of_the_system_has_no_staff():
    entry = audit.record(staff=None, action="room.kill", target_type="game", target_id=7)
    assert entry.staff_id is None and entry.staff_name == "" and entry.detail == {}


def test_an_action_rolled_back_leaves_no_entry(moderator):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(staff=moderator, action="sanction.ban", target_type="user", target_id=1)
        raise RuntimeError("the sanction failed")
    assert not AuditEntry.objects.exists()


def test_entries_come_newest_first(moderator):
    first = audit.record(staff=moderator, action="a", target_type="user", target_id=1)
    second = audit.record(staff=moderator, action="b", target_type="user", target_id=1)
    assert list(audit.entries()) == [second, first]


@requires_postgres
def test_postgresql_refuses_to_change_an_entry_through_the_orm(entry):
    entry.target = "bob"
    refused(entry.save)
    refused(lambda: AuditEntry.objects.filter(pk=entry.pk).update(action="appeal.reversed"))
    assert unchanged(entry)


@requires_postgres
def test_postgresql_refuses_to_delete_an_entry_one_by_one_or_by_queryset(entry):
    refused(entry.delete)
    refused(AuditEntry.objects.all().delete)
    assert unchanged(entry)


@requires_postgres
def test_postgresql_refuses_raw_sql_update_delete_and_truncate(entry):
    def raw(sql: str):
        return lambda: connection.cursor().execute(sql)

    refused(raw("UPDATE staff_auditentry SET action = 'x'"))
    refused(raw("DELETE FROM staff_auditentry"))
    assert unchanged(entry)


def test_deleting_a_staff_member_keeps_their_entries_with_their_name(entry, moderator):
    staff_id = moderator.pk
    user_delete(user=moderator)
    kept = AuditEntry.objects.select_related("staff").get(pk=entry.pk)
    assert (kept.staff_id, kept.staff_name, kept.staff) == (staff_id, "mona", None)


@pytest.mark.django_db(transaction=True)
def test_the_test_runner_may_still_empty_the_log_and_the_roles_come_back(moderator):
    """A transactional test ends with a flush (one TRUNCATE on PostgreSQL), which the trigger lets
    a superuser do (the test runner connects as one; any other role is refused, see
    test_database_roles.py); the flush empties the groups too, and the roles come back with it."""
    audit.record(staff=moderator, action="sanction.warn", target_type="user", target_id=1)
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEntry.objects.exists()
    assert Group.objects.get(name="support").permissions.filter(codename="change_user").exists()


def sqlite_audit_table(path: str) -> sqlite3.Connection:
    database = sqlite3.connect(path)
    database.execute("CREATE TABLE staff_auditentry (id INTEGER PRIMARY KEY, action TEXT)")
    for statement in append_only.SQLITE_CREATE:
        database.execute(statement)
    database.execute("INSERT INTO staff_auditentry (action) VALUES ('sanction.mute')")
    return database


def test_the_sqlite_triggers_refuse_update_and_delete_in_a_database_file(tmp_path):
    database = sqlite_audit_table(str(tmp_path / "db.sqlite3"))
    for statement in ("UPDATE staff_auditentry SET action = 'x'", "DELETE FROM staff_auditentry"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            database.execute(statement)
    assert database.execute("SELECT action FROM staff_auditentry").fetchall() == [("sanction.mute",)]


def test_the_sqlite_triggers_let_an_in_memory_database_of_the_tests_be_emptied():
    database = sqlite_audit_table(":memory:")
    database.execute("DELETE FROM staff_auditentry")
    assert database.execute("SELECT count(*) FROM staff_auditentry").fetchone() == (0,)


def test_an_entry_about_a_player_keeps_no_name_of_theirs_and_the_api_names_them_while_they_exist(
    moderator, alice, client_for
):
    audit.record(staff=moderator, action="sanction.warn", target_type="user", target_id=alice.pk, target="alice")
    audit.record(staff=moderator, action="flag.update", target_type="liveops.flag", target_id="f", target="turn-sec")
    assert sorted(AuditEntry.objects.values_list("target", flat=True)) == ["", "turn-sec"]
    names = [e["target"]["name"] for e in client_for(moderator).get("/api/moderation/audit/").json()["results"]]
    assert names == ["turn-sec", "alice"]
    user_delete(user=alice)
    names = [e["target"]["name"] for e in client_for(moderator).get("/api/moderation/audit/").json()["results"]]
    assert names == ["turn-sec", ""]


@requires_postgres
def test_the_migration_empties_the_names_of_players_in_entries_written_before_it(moderator):
    from django.apps import apps

    forget = import_module("staff.migrations.0005_no_player_names").forget_player_names
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO staff_auditentry (staff_name, action, target_type, target_id, target, detail, at) VALUES"
            " ('mona', 'sanction.warn', 'user', '7', 'alice', '{}', now()),"
            " ('mona', 'report.claim', 'report', '3', 'report 3: spam against alice', '{}', now()),"
            " ('mona', 'word.add', 'word', '1', 'gronk', '{}', now())"
        )
    with connection.schema_editor() as editor:
        forget(apps, editor)
    assert sorted(AuditEntry.objects.values_list("target_type", "target")) == [
        ("report", ""),
        ("user", ""),
        ("word", "gronk"),
    ]
    refused(lambda: AuditEntry.objects.update(target="x"))  # the triggers are back
