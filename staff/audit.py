"""Writing the audit log: every staff action calls ``record`` in the transaction that makes
the change, so a change that rolls back leaves no entry and a committed one always has its entry.

    @transaction.atomic
    def sanction_create(*, staff, user, action, ...) -> Sanction:
        sanction = Sanction.objects.create(...)
        audit.record(staff=staff, action=f"sanction.{action}", target_type="user",
                     target_id=user.pk, target=user.username, detail={"sanction_id": sanction.pk})
        return sanction
"""

from django.db.models import QuerySet

from staff import selectors
from staff.models import AuditEntry

TARGET_MAX = AuditEntry._meta.get_field("target").max_length
TARGET_ID_MAX = AuditEntry._meta.get_field("target_id").max_length


# Targets whose names are the studio's own (a flag, a word of the filter, a game's number and
# mode): their name is written with the entry. Any other target (a player, a report or a sanction,
# whose name says who, a message, an object a player named) is written by its type and id only: the
# log outlives a player's account (it is never changed), and what the law keeps keeps no name of
# theirs (docs/staff.md). Readers name a player target from the account while it exists.
NAMED_TARGETS = frozenset({"word", "game", "world.worldevent", "leaderboard", "tournament"})
NAMED_TARGET_PREFIXES = ("liveops.", "webhooks.", "leaderboards.", "payments.product", "progression.shopitem")


def target_named(target_type: str) -> bool:
    return target_type in NAMED_TARGETS or target_type.startswith(NAMED_TARGET_PREFIXES)


def record(
    *, staff, action: str, target_type: str, target_id, target: str = "", detail: dict | None = None
) -> AuditEntry:
    """Append one entry. ``staff`` is the acting user, or None for the system (a timer, a
    command); ``target_id`` is any id (stored as text); ``target`` a name people read (cut to
    200 characters; written only for ``NAMED_TARGETS``); ``detail`` any JSON object. Runs in the
    caller's transaction."""
    return AuditEntry.objects.create(
        staff=staff,
        staff_name=staff.get_username() if staff is not None else "",
        action=action,
        target_type=target_type,
        target_id=str(target_id)[:TARGET_ID_MAX],
        target=str(target)[:TARGET_MAX] if target_named(target_type) else "",
        detail=detail or {},
    )


def record_on(obj, *, staff, action: str, target_type: str, detail: dict | None = None) -> AuditEntry:
    """``record`` of an action on the model object ``obj``: its pk is the ``target_id``, its
    ``str`` the ``target``."""
    return record(staff=staff, action=action, target_type=target_type, target_id=obj.pk, target=str(obj), detail=detail)


def entries() -> QuerySet[AuditEntry]:
    """Every entry, newest first (``staff.selectors.audit_entries`` filters them)."""
    return selectors.audit_entries()
