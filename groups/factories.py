"""Test data for the groups app (used by ``groups/tests`` and the bench)."""

from groups import services
from groups.models import Group, GroupMembership


def make_group(*, creator, members=(), admins=(), name: str = "Test group", **fields) -> Group:
    """A group through the real services: ``creator`` is its superadmin; members join, admins are promoted."""
    fields.setdefault("max_members", 100)
    closed = fields.get("open") is False
    group = services.group_create(creator=creator, name=name, **{**fields, "open": True})
    for user in [*members, *admins]:
        services.group_join(group_id=group.pk, user=user)
    for user in admins:
        services.group_promote(group_id=group.pk, actor=creator, user_id=user.pk)
    if closed:
        Group.objects.filter(pk=group.pk).update(open=False)
    group.refresh_from_db()
    return group


def role_of(group: Group, user) -> str | None:
    return GroupMembership.objects.filter(group=group, user=user).values_list("role", flat=True).first()
