"""The audit table's TRUNCATE passes for a superuser only, not for a session that asks.

Before, a TRUNCATE passed where the session had set ``gameplatform.audit_truncate`` to
``allow``: a setting any session may set, so any role with the TRUNCATE privilege could empty the
log. Now the trigger asks who the current role is: a superuser may (the test runner, which empties
every table after a transactional test, connects as one; a superuser can switch off any trigger in
any case, with ``session_replication_role``), every other role is refused, whatever it sets.
UPDATE and DELETE stay refused for every role. What stops the table's owner (who may disable a
trigger) is the role the server runs as: ``manage.py grant_serving_role`` (docs/staff.md).
"""

from django.db import migrations

SUPERUSERS_ONLY = """
CREATE OR REPLACE FUNCTION staff_auditentry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % of staff_auditentry refused', TG_OP;
END;
$$
"""
SESSION_SETTING = """
CREATE OR REPLACE FUNCTION staff_auditentry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('gameplatform.audit_truncate', true) = 'allow' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % of staff_auditentry refused', TG_OP;
END;
$$
"""


def replace(body: str):
    def apply(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":  # SQLite has no TRUNCATE
            schema_editor.execute(body, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("staff", "0003_roles")]

    operations = [migrations.RunPython(replace(SUPERUSERS_ONLY), replace(SESSION_SETTING), elidable=False)]
