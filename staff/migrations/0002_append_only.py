"""The audit table refuses UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) in the database.

PostgreSQL: one trigger function raising an exception (SQLSTATE P0001, Django's
``InternalError``), called before each row's UPDATE or DELETE and before a TRUNCATE. A TRUNCATE
passes only where the session set ``gameplatform.audit_truncate`` to ``allow``: the test
settings do, because the test runner empties every table (one TRUNCATE) after a transactional
test. SQLite: ``BEFORE UPDATE`` and ``BEFORE DELETE`` triggers that ``RAISE(ABORT, ...)``
(Django's ``IntegrityError``) in a database file; SQLite has no TRUNCATE, and the test runner
empties a table there with DELETE, so a database kept in memory (the test suite's, gone with its
process) is left out.

A later migration that must rewrite rows drops the triggers first and makes them again, in the
open. On SQLite, Django alters a table by copying it to a new one, which loses the triggers: a
migration altering this table makes them again (``create_triggers`` below).
"""

from django.db import migrations

POSTGRESQL_CREATE = [
    """
    CREATE FUNCTION staff_auditentry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' AND current_setting('gameplatform.audit_truncate', true) = 'allow' THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'the audit log is append-only: % of staff_auditentry refused', TG_OP;
    END;
    $$
    """,
    """
    CREATE TRIGGER staff_auditentry_no_update_or_delete BEFORE UPDATE OR DELETE ON staff_auditentry
    FOR EACH ROW EXECUTE FUNCTION staff_auditentry_append_only()
    """,
    """
    CREATE TRIGGER staff_auditentry_no_truncate BEFORE TRUNCATE ON staff_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION staff_auditentry_append_only()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS staff_auditentry_no_truncate ON staff_auditentry",
    "DROP TRIGGER IF EXISTS staff_auditentry_no_update_or_delete ON staff_auditentry",
    "DROP FUNCTION IF EXISTS staff_auditentry_append_only()",
]
SQLITE_IN_A_FILE = "(SELECT file FROM pragma_database_list WHERE name = 'main') != ''"
SQLITE_CREATE = [
    f"""
    CREATE TRIGGER staff_auditentry_no_{operation.lower()} BEFORE {operation} ON staff_auditentry
    WHEN {SQLITE_IN_A_FILE}
    BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only: {operation} of staff_auditentry refused');
    END
    """
    for operation in ("UPDATE", "DELETE")
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS staff_auditentry_no_update",
    "DROP TRIGGER IF EXISTS staff_auditentry_no_delete",
]


def run(statements: dict[str, list[str]]):
    def apply(apps, schema_editor) -> None:
        vendor = schema_editor.connection.vendor
        if vendor not in statements:
            raise RuntimeError(f"the audit log's append-only triggers are written for {sorted(statements)}, not {vendor}")
        for statement in statements[vendor]:
            schema_editor.execute(statement, params=None)  # no placeholders: RAISE uses its own %

    return apply


create_triggers = run({"postgresql": POSTGRESQL_CREATE, "sqlite": SQLITE_CREATE})
drop_triggers = run({"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP})


class Migration(migrations.Migration):
    dependencies = [("staff", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
