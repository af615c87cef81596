from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from staff.database_roles import grant_serving_role, serving_role_problems


class Command(BaseCommand):
    help = (
        "Give a database role what the server needs, and on the audit log SELECT and INSERT only. "
        "Run it as the role that ran migrate (the tables' owner), after migrate; then serve as ROLE."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="an existing PostgreSQL role (CREATE ROLE ... LOGIN PASSWORD ...)")

    def handle(self, role: str, **options):
        if connection.vendor != "postgresql":
            raise CommandError("grant_serving_role is for PostgreSQL: SQLite has no roles")
        grant_serving_role(role)
        self.stdout.write(f"{role} may serve; on the audit log it may read and append, nothing more.")
        if serving_role_problems():
            self.stdout.write("Serve as that role: this connection's role could still rewrite the audit log.")
