"""The database role the server serves as, and what it may do to the audit log.

The audit table's triggers refuse UPDATE, DELETE and TRUNCATE to every role but a superuser
(``migrations/0002_append_only.py``, ``0004``), but a trigger binds nobody who may switch it off:
a superuser, and the table's owner (``ALTER TABLE ... DISABLE TRIGGER``). The owner is the role
that ran ``migrate``. So in production the server runs as another role: one that owns no table
and holds, on the audit table, SELECT and INSERT only. ``grant_serving_role`` gives a role exactly
that; ``serving_role_problems`` says what is wrong with the role a connection runs as (the
deploy check ``staff.W001``).
"""

from django.db import connection
from psycopg import sql

AUDIT_TABLE = "staff_auditentry"


def grant_statements(role: str, owner: str, schema: str = "public") -> list[sql.Composed]:
    """What ``grant_serving_role`` runs, as the owner of the tables: every privilege the server
    uses on every table and sequence, now and for tables later migrations make, then the audit
    table's UPDATE, DELETE and TRUNCATE taken back."""
    role_id, owner_id, schema_id = sql.Identifier(role), sql.Identifier(owner), sql.Identifier(schema)
    return [
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema_id, role_id),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(schema_id, role_id),
        sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema_id, role_id),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
        ).format(owner_id, schema_id, role_id),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {}"
        ).format(owner_id, schema_id, role_id),
        sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {}.{} FROM {}").format(
            schema_id, sql.Identifier(AUDIT_TABLE), role_id
        ),
    ]


def grant_serving_role(role: str) -> None:
    """Give ``role`` what the server needs and no more on the audit log. Runs as the role that
    owns the tables (the one that ran ``migrate``)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema()")
        owner, schema = cursor.fetchone()
        for statement in grant_statements(role, owner, schema):
            cursor.execute(statement)


def serving_role_problems() -> list[str]:
    """Why the role this connection runs as could rewrite the audit log: empty when it cannot.
    PostgreSQL only (SQLite has no roles: an empty list)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT r.rolsuper,
                   pg_has_role(current_user, c.relowner, 'MEMBER'),
                   has_table_privilege(c.oid, 'UPDATE'),
                   has_table_privilege(c.oid, 'DELETE'),
                   has_table_privilege(c.oid, 'TRUNCATE')
            FROM pg_class c, pg_roles r
            WHERE c.oid = to_regclass(%s) AND r.rolname = current_user
            """,
            [AUDIT_TABLE],
        )
        row = cursor.fetchone()
    if row is None:
        return []  # not migrated yet
    superuser, owner, *writes = row
    problems = []
    if superuser:
        problems.append("it is a superuser")
    elif owner:
        problems.append(f"it owns {AUDIT_TABLE} (it may switch its triggers off)")
    elif any(writes):
        problems.append(f"it holds UPDATE, DELETE or TRUNCATE on {AUDIT_TABLE}")
    return problems
