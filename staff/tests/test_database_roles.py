"""The role the server serves as reads and appends to the audit log and can do nothing else to
it: no UPDATE, DELETE or TRUNCATE (whatever the session sets), no switching the triggers off."""

import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from psycopg import sql

from conftest import requires_postgres
from staff import audit
from staff.database_roles import serving_role_problems
from staff.models import AuditEntry

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def connect_as(role: str) -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    params.pop("server_side_binding", None)
    params.pop("options", None)
    return psycopg.connect(**{**params, "user": role, "password": None}, autocommit=True)


@pytest.fixture
def role():
    """A fresh login role (roles belong to the whole server: a name of its own), gone afterwards."""
    name = f"gp_serving_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
    yield name
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def refused(session: psycopg.Connection, statement: str, reason: str) -> None:
    with pytest.raises(psycopg.Error, match=reason):
        session.execute(statement)


def test_a_serving_role_reads_and_appends_but_cannot_rewrite_empty_or_unguard_the_log(role, moderator, alice):
    entry = audit.record(staff=moderator, action="sanction.warn", target_type="user", target_id=alice.pk)
    call_command("grant_serving_role", role, stdout=open("/dev/null", "w"))  # noqa: SIM115
    with connect_as(role) as session:
        assert session.execute("SELECT action FROM staff_auditentry").fetchall() == [("sanction.warn",)]
        session.execute(
            "INSERT INTO staff_auditentry (staff_name, action, target_type, target_id, target, detail, at)"
            " VALUES ('', 'room.kill', 'game', '7', '', '{}', now())"
        )
        session.execute("UPDATE accounts_user SET display_name = 'Al' WHERE id = %s", [alice.pk])  # it serves
        for statement in ("UPDATE staff_auditentry SET action = 'x'", "DELETE FROM staff_auditentry"):
            refused(session, statement, "permission denied")
        session.execute("SET gameplatform.audit_truncate = 'allow'")  # the old way out: nothing now
        refused(session, "TRUNCATE staff_auditentry", "permission denied")
        refused(session, "ALTER TABLE staff_auditentry DISABLE TRIGGER ALL", "must be owner")
        refused(session, "SET session_replication_role = replica", "permission denied")
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == ["sanction.warn", "room.kill"]
    assert AuditEntry.objects.get(pk=entry.pk).action == "sanction.warn"


def test_a_role_granted_truncate_is_still_refused_by_the_trigger_whatever_its_session_sets(role, moderator):
    audit.record(staff=moderator, action="sanction.warn", target_type="user", target_id=1)
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("GRANT SELECT, TRUNCATE ON staff_auditentry TO {}").format(sql.Identifier(role)))
    with connect_as(role) as session:
        session.execute("SET gameplatform.audit_truncate = 'allow'")
        refused(session, "TRUNCATE staff_auditentry", "append-only: TRUNCATE of staff_auditentry refused")
    assert AuditEntry.objects.count() == 1


def test_the_deploy_check_names_a_superuser_or_an_owner_and_passes_a_serving_role(role):
    assert serving_role_problems() == ["it is a superuser"]  # the tests connect as postgres
    call_command("grant_serving_role", role, stdout=open("/dev/null", "w"))  # noqa: SIM115
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
        try:
            assert serving_role_problems() == []
        finally:
            cursor.execute("RESET ROLE")


def test_the_tables_owner_is_named_by_the_deploy_check_as_able_to_switch_the_triggers_off(role):
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("ALTER TABLE staff_auditentry OWNER TO {}").format(sql.Identifier(role)))
        cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
        try:
            assert serving_role_problems() == ["it owns staff_auditentry (it may switch its triggers off)"]
        finally:
            cursor.execute("RESET ROLE")
            cursor.execute("ALTER TABLE staff_auditentry OWNER TO CURRENT_USER")


def test_manage_py_check_deploy_warns_when_the_server_could_rewrite_the_log():
    from django.core.checks import run_checks

    checked = run_checks(include_deployment_checks=True, databases=["default"])
    warnings = [message for message in checked if message.id == "staff.W001"]
    assert [message.msg for message in warnings] == [
        "The server's database role could rewrite the audit log: it is a superuser."
    ]
