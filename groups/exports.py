"""This app's part of the player's data export (``accounts.exports``)."""

from accounts.exports import ExportPart, rows
from groups.models import GroupBan, GroupJoinRequest, GroupMembership, GroupMessage


def groups_part(user) -> dict:
    return {
        "memberships": rows(GroupMembership.objects.filter(user=user)),
        "join_requests": rows(GroupJoinRequest.objects.filter(user=user)),
        "bans": rows(GroupBan.objects.filter(user=user), leave_out=("banned_by_id",)),
        "messages": rows(GroupMessage.objects.filter(sender=user)),
    }


PARTS = {
    "groups": ExportPart(
        groups_part,
        covers=(
            "groups.GroupMembership.user",
            "groups.GroupJoinRequest.user",
            "groups.GroupBan.user",
            "groups.GroupBan.banned_by",
            "groups.GroupMessage.sender",
        ),
    )
}
