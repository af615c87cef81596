"""What staff writes: the audit entries of the admin's edits (``gameplatform.backoffice.AuditedAdmin``).

Staff actions of other apps call ``staff.audit.record`` themselves, in their own transaction.
"""

from django.contrib.auth import get_user_model

from gameplatform.backoffice import AdminChange
from staff import audit
from staff.models import AuditEntry


def admin_change_record(change: AdminChange) -> AuditEntry:
    """One entry for one edit made in the admin (the reaction to ``admin_changed``), in the
    admin's transaction: ``admin.add`` / ``admin.change`` / ``admin.delete`` / ``admin.action``
    on the object (``target_type`` ``user`` for a player, as the other apps' entries say, else
    the model's ``app.model`` label: ``game.game``, ``payments.purchase``)."""
    obj = change.obj
    return audit.record_on(
        obj, staff=change.user, action=change.action, target_type=target_type_of(obj), detail=change.detail
    )


def target_type_of(obj) -> str:
    return "user" if isinstance(obj, get_user_model()) else obj._meta.label_lower
