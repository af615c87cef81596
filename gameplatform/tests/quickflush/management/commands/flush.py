"""``flush`` for the tests: Django's command, made cheap for what a test leaves behind.

Django finds a command in the first installed app that has it, so the test settings' own app
overrides the built-in ``flush`` that ``TransactionTestCase`` calls after each test. On PostgreSQL,
called as the test case calls it (no prompt, no sequences reset), it

- asks once which tables hold rows (one query) and deletes from those alone, in one transaction
  (Django's foreign keys on PostgreSQL are deferred, so the order does not matter); a table whose
  rows a trigger keeps from ``DELETE`` (the append-only audit log) is truncated, as Django's
  command does;
- leaves the tables ``post_migrate`` fills (content types, permissions, groups and their
  permissions: the staff roles) alone while they hold what ``post_migrate`` made, compared by a
  digest of their rows taken after it ran, and runs no ``post_migrate``; when a test changed them
  they are emptied and ``post_migrate`` runs, as with Django's command.

The database ends as Django's command leaves it. Anything else (another database, a prompt, a
sequences reset, a statement that fails) is Django's own command.
"""

from django.core.management.commands import flush
from django.core.management.sql import emit_post_migrate_signal
from django.db import DatabaseError, connections, transaction

# What post_migrate writes: django.contrib.contenttypes, django.contrib.auth, staff's roles.
MIGRATE_MADE = ("django_content_type", "auth_permission", "auth_group", "auth_group_permissions")

# A database's name -> the digest of MIGRATE_MADE's rows as post_migrate last left them.
_made: dict[str, str] = {}
# A database's name -> its tables with a trigger on DELETE (they refuse it: truncated instead).
_guarded: dict[str, frozenset[str]] = {}


class Command(flush.Command):
    def handle(self, **options):
        database = options["database"]
        connection = connections[database]
        if connection.vendor != "postgresql" or options["interactive"] or options.get("reset_sequences", True):
            return super().handle(**options)
        try:
            self.empty(connection, options)
        except DatabaseError:
            return super().handle(**options)

    def empty(self, connection, options: dict) -> None:
        name = connection.settings_dict["NAME"]
        tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            filled = _filled(cursor, tables)
            made_kept = name in _made and _digest(cursor) == _made[name]
            if made_kept:
                filled = [table for table in filled if table not in MIGRATE_MADE]
            guarded = _guarded.get(name)
            if guarded is None:
                guarded = _guarded[name] = _delete_triggered(cursor)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for table in filled:
                quoted = connection.ops.quote_name(table)
                cursor.execute(f"TRUNCATE {quoted}" if table in guarded else f"DELETE FROM {quoted}")
        if made_kept or options.get("inhibit_post_migrate", False):
            return
        emit_post_migrate_signal(options["verbosity"], False, connection.alias)
        with connection.cursor() as cursor:
            _made[name] = _digest(cursor)


def _filled(cursor, tables: list[str]) -> list[str]:
    """Those of ``tables`` that hold a row, in one query."""
    if not tables:
        return []
    parts = [f'SELECT %s WHERE EXISTS (SELECT 1 FROM "{table}")' for table in tables]
    cursor.execute(" UNION ALL ".join(parts), tables)
    return [row[0] for row in cursor.fetchall()]


def _digest(cursor) -> str:
    """A digest of every row of the tables post_migrate fills."""
    parts = [
        f"(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM \"{table}\" t)"
        for table in MIGRATE_MADE
    ]
    cursor.execute("SELECT " + " || ".join(parts))
    return cursor.fetchone()[0]


def _delete_triggered(cursor) -> frozenset[str]:
    """The tables with a row trigger on DELETE (bit 8 of ``tgtype``), which may refuse it."""
    cursor.execute(
        "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " WHERE NOT t.tgisinternal AND t.tgtype & 8 <> 0"
    )
    return frozenset(row[0] for row in cursor.fetchall())
