from django.db.models import QuerySet

from accounts.models import User
from staff.models import AuditEntry
from staff.roles import ROLES


def audit_entries(*, action: str = "", target_type: str = "", target_id: str = "") -> QuerySet[AuditEntry]:
    """Audit entries, newest first; each filter applies when given."""
    found = AuditEntry.objects.order_by("-at", "-id")
    if action:
        found = found.filter(action=action)
    if target_type:
        found = found.filter(target_type=target_type)
    if target_id:
        found = found.filter(target_id=target_id)
    return found


def user_names(ids: list[str]) -> dict[str, str]:
    """The names of the accounts of these ids (as text, an audit entry's ``target_id``) that exist."""
    found = User.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()]).values_list("pk", "username")
    return {str(pk): username for pk, username in found}


def user_roles(user) -> frozenset[str]:
    """The names of the staff roles (groups) ``user`` is in: one query."""
    if not user.is_authenticated:
        return frozenset()
    return frozenset(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
