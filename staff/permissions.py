"""Routes for staff roles: ``permission_classes = [role_required(MODERATOR, SUPPORT)]``.

A user passes when signed in, ``is_staff``, and a superuser or in one of the route's roles
(the ``admin`` role passes every route). Anyone else gets DRF's 403 ``permission_denied``
(401 without a token). The roles are read from the database on every request, once however
many role checks the request meets (a role taken away counts at the next request).
"""

from rest_framework.permissions import BasePermission

from staff import selectors
from staff.roles import ADMIN

# Where a request keeps the roles read for it (the DRF request lives as long as the request).
ROLES_ATTRIBUTE = "staff_roles"


def request_roles(request) -> frozenset[str]:
    """The roles of ``request.user``, read once per request."""
    roles = getattr(request, ROLES_ATTRIBUTE, None)
    if roles is None:
        roles = selectors.user_roles(request.user)
        setattr(request, ROLES_ATTRIBUTE, roles)
    return roles


def has_role(request, *roles: str) -> bool:
    """Whether ``request.user`` is staff in one of ``roles`` (or ``admin``, or a superuser): the
    rule of ``role_required``, for a plain Django view too (an admin page of its own)."""
    user = request.user
    if not (user and user.is_authenticated and user.is_staff):
        return False
    return user.is_superuser or bool((frozenset(roles) | {ADMIN}) & request_roles(request))


def role_required(*roles: str) -> type[BasePermission]:
    """A DRF permission class letting staff in ``roles`` (or ``admin``, or superusers) through."""
    allowed = frozenset(roles) | {ADMIN}

    class RoleRequired(BasePermission):
        message = "Staff only: this needs the role " + " or ".join(sorted(allowed)) + "."

        def has_permission(self, request, view) -> bool:
            return has_role(request, *allowed)

    RoleRequired.__name__ = RoleRequired.__qualname__ = "RoleRequired_" + "_".join(sorted(allowed))
    return RoleRequired
