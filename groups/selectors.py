"""Reads of the groups app: search, details, members, requests, message histories."""

from django.db.models import QuerySet

from gameplatform.core.errors import Forbidden, NotFound
from groups.models import Group, GroupJoinRequest, GroupMembership, GroupMessage

Role = GroupMembership.Role
RANK = {Role.MEMBER: 0, Role.ADMIN: 1, Role.SUPERADMIN: 2}


def group_list(*, search: str = "") -> QuerySet[Group]:
    """Every group, open or closed (a closed group is found, then asked to join); newest first."""
    groups = Group.objects.all()
    if search.strip():
        groups = groups.filter(name__icontains=search.strip())
    return groups.order_by("-created_at", "-id")


def group_get(*, group_id: int) -> Group:
    try:
        return Group.objects.get(pk=group_id)
    except Group.DoesNotExist:
        raise NotFound("No such group.", code="group_not_found")


def groups_of_user(*, user_id: int) -> QuerySet[GroupMembership]:
    """The user's memberships with their groups, the oldest membership first."""
    return GroupMembership.objects.filter(user_id=user_id).select_related("group", "user").order_by("joined_at", "id")


def group_memberships(*, group_id: int) -> QuerySet[GroupMembership]:
    """Members, longest-standing first; 404 ``group_not_found`` for unknown groups."""
    group_get(group_id=group_id)
    return GroupMembership.objects.filter(group_id=group_id).select_related("user").order_by("joined_at", "id")


def group_role(*, group_id: int, user_id: int) -> str | None:
    return GroupMembership.objects.filter(group_id=group_id, user_id=user_id).values_list("role", flat=True).first()


def group_require_member(*, group_id: int, user_id: int) -> str:
    """The member's role; 404 ``group_not_found`` for unknown groups, 403 ``not_member`` for everyone else."""
    role = group_role(group_id=group_id, user_id=user_id)
    if role is not None:
        return role
    group_get(group_id=group_id)
    raise Forbidden("You are not a member of this group.", code="not_member")


def group_state_for_member(*, group_id: int, user_id: int) -> tuple[Group, list[GroupMembership]]:
    """The group and its members for the socket's ``group_state``; refuses a user who is no longer a member."""
    group = group_get(group_id=group_id)
    memberships = list(group_memberships(group_id=group_id))
    if all(m.user_id != user_id for m in memberships):
        raise Forbidden("You are not a member of this group.", code="not_member")
    return group, memberships


def group_join_requests(*, group_id: int, user) -> QuerySet[GroupJoinRequest]:
    """Pending requests, oldest first, for the group's admins (and staff)."""
    if not user.is_staff:
        role = group_require_member(group_id=group_id, user_id=user.pk)
        if RANK[role] < RANK[Role.ADMIN]:
            raise Forbidden("Only the group's admins may see its join requests.", code="not_group_admin")
    group_get(group_id=group_id)
    return GroupJoinRequest.objects.filter(group_id=group_id).select_related("user").order_by("created_at", "id")


def group_was_member(*, group_id: int, user_id: int) -> bool:
    """Whether the user is a member of the group, or was one who wrote in it (a group keeps no log
    of who left)."""
    return (
        GroupMembership.objects.filter(group_id=group_id, user_id=user_id).exists()
        or GroupMessage.objects.filter(group_id=group_id, sender_id=user_id).exists()
    )


def users_share_group(user_a_id: int, user_b_id: int) -> bool:
    """Whether the two are members of one group (``accounts.hooks.met``)."""
    return GroupMembership.objects.filter(
        user_id=user_a_id, group__in=GroupMembership.objects.filter(user_id=user_b_id).values("group_id")
    ).exists()
