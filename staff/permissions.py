"""Routes for staff roles: ``permission_classes = [role_required(MODERATOR, SUPPORT)]``.

A user passes when signed in, ``is_staff``, and a superuser or in one of the route's roles
(the ``admin`` role passes every route). Anyone else gets DRF's 403 ``permission_denied``
(401 without a token). The roles are read from the database on every request, once however
many role checks the request meets (a role taken away counts at the next request).

A service that acts for staff on a route players use too (a lobby's owner deletes a message
there; staff delete any) checks the role itself with ``role_require``: the same rule and the
same 403 ``permission_denied``, on REST, on a socket and in the admin alike.
"""

from collections.abc import Callable, Iterable

from rest_framework.permissions import BasePermission

from gameplatform.core.errors import Forbidden
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


def _passes(user, roles: Iterable[str], held: Callable[[], frozenset[str]]) -> bool:
    if not (user and user.is_authenticated and user.is_staff):
        return False
    return user.is_superuser or bool((frozenset(roles) | {ADMIN}) & held())


def has_role(request, *roles: str) -> bool:
    """Whether ``request.user`` is staff in one of ``roles`` (or ``admin``, or a superuser): the
    rule of ``role_required``, for a plain Django view too (an admin page of its own)."""
    return _passes(request.user, roles, lambda: request_roles(request))


def user_has_role(user, *roles: str) -> bool:
    """``has_role`` for code without a request (a service): the user's roles read now."""
    return _passes(user, roles, lambda: selectors.user_roles(user))


def _needs(roles: Iterable[str]) -> str:
    return "Staff only: this needs the role " + " or ".join(sorted(frozenset(roles) | {ADMIN})) + "."


class RoleMissing(Forbidden):
    """Staff without the role an action needs: 403 ``permission_denied``, as ``role_required``."""

    def __init__(self, roles: Iterable[str]) -> None:
        super().__init__(_needs(roles), code="permission_denied")


def role_require(user, *roles: str) -> None:
    """For a service acting for staff: ``RoleMissing`` unless ``user`` is staff in one of ``roles``
    (or ``admin``, or a superuser). The service decides first whether the act is a staff one."""
    if not user_has_role(user, *roles):
        raise RoleMissing(roles)


def role_required(*roles: str) -> type[BasePermission]:
    """A DRF permission class letting staff in ``roles`` (or ``admin``, or superusers) through."""
    allowed = frozenset(roles) | {ADMIN}

    class RoleRequired(BasePermission):
        message = _needs(allowed)

        def has_permission(self, request, view) -> bool:
            return has_role(request, *allowed)

    RoleRequired.__name__ = RoleRequired.__qualname__ = "RoleRequired_" + "_".join(sorted(allowed))
    return RoleRequired
