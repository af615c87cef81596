from django.core import checks
from django.db import DatabaseError

from staff.database_roles import serving_role_problems


@checks.register(checks.Tags.database, deploy=True)
def audit_log_cannot_be_rewritten(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """``manage.py check --deploy --database default``: the role the server connects as cannot
    rewrite the audit log. A database check: Django runs it only when ``--database`` names the
    database (``check --deploy`` alone asks no database)."""
    if not databases or "default" not in databases:
        return []
    try:
        problems = serving_role_problems()
    except DatabaseError:
        return []  # no database to ask: the database checks say so
    return [
        checks.Warning(
            f"The server's database role could rewrite the audit log: {problem}.",
            hint="Serve as a role made with `manage.py grant_serving_role ROLE` (docs/staff.md).",
            id="staff.W001",
        )
        for problem in problems
    ]
