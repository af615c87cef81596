"""The platform's staff roles: Django auth groups, and the permissions each one holds.

A role is a group of the same name (made by ``staff/migrations/0003_roles.py``). What a role may
do in the Django admin is the model permissions of its group, set from ``ROLE_PERMISSIONS``
after every ``migrate`` (``sync_role_permissions``): the table is the truth, a permission
added to a group by hand is taken away at the next migrate. A grant names an app label and a
codename; ``ALL`` is every permission of the app, ``VIEW`` every view permission of it, and
the app ``ALL`` (in ``admin``'s row) every app. An app that is not installed (``safety``,
``wordfilter`` and ``liveops`` come later) grants nothing until it is.

What a role may do through the API is said by each route (``staff.permissions.role_required``).
"""

from django.db.models import Q

MODERATOR = "moderator"
SUPPORT = "support"
LIVEOPS = "liveops"
ADMIN = "admin"

ROLES = (MODERATOR, SUPPORT, LIVEOPS, ADMIN)

ALL = "*"
VIEW = "view_*"

ROLE_PERMISSIONS: dict[str, tuple[tuple[str, str], ...]] = {
    MODERATOR: (
        ("safety", ALL),
        ("wordfilter", ALL),
        ("accounts", "view_user"),
        ("game", VIEW),
        ("staff", "view_auditentry"),  # the audit route is theirs too (staff.apis)
        # Lobby moderation by staff (chat.lobbies.services.message_delete checks the role).
        ("chat", "view_lobby"),
        ("chat", "view_lobbymessage"),
        ("chat", "delete_lobbymessage"),
        ("chat", "view_lobbyevent"),
        ("chat", "view_lobbyban"),
    ),
    SUPPORT: (
        ("accounts", "view_user"),
        ("accounts", "change_user"),
        ("payments", VIEW),
        ("staff", "view_auditentry"),
    ),
    LIVEOPS: (("liveops", ALL), ("leaderboards", ALL)),
    ADMIN: ((ALL, ALL),),
}


def grant_filter(app_label: str, codename: str) -> Q:
    """The permissions one grant of the table names, as a filter on ``Permission``."""
    where = Q(pk__isnull=False)  # a real condition: OR-ed with an empty Q, Django would drop it
    if app_label != ALL:
        where &= Q(content_type__app_label=app_label)
    if codename == VIEW:
        where &= Q(codename__startswith="view_")
    elif codename != ALL:
        where &= Q(codename=codename)
    return where


def role_filter(role: str) -> Q:
    """Every permission of ``role``: the union of its grants (nothing, for a role without any)."""
    where = Q(pk__in=[])
    for app_label, codename in ROLE_PERMISSIONS[role]:
        where |= grant_filter(app_label, codename)
    return where


def sync_role_permissions(*, group_model, permission_model, using: str = "default") -> None:
    """Each role's group exists and holds exactly its permissions from the table. Idempotent."""
    for role in ROLES:
        group, _ = group_model.objects.using(using).get_or_create(name=role)
        group.permissions.set(permission_model.objects.using(using).filter(role_filter(role)))
