"""This app's part of the player's data export (``accounts.exports``)."""

from accounts.exports import ExportPart, rows
from friends.models import Block, FriendRequest, Friendship, LastSeen


def friends_part(user) -> dict:
    return {
        "friends": rows(Friendship.objects.filter(user=user)),
        "requests_sent": rows(FriendRequest.objects.filter(from_user=user)),
        "requests_received": rows(FriendRequest.objects.filter(to_user=user)),
        "blocked": rows(Block.objects.filter(blocker=user)),
        "last_seen": rows(LastSeen.objects.filter(user=user)),
    }


PARTS = {
    "friends": ExportPart(
        friends_part,
        covers=(
            "friends.Friendship.user",
            # The same friendship seen from the friend's side (a row per direction).
            "friends.Friendship.friend",
            "friends.FriendRequest.from_user",
            "friends.FriendRequest.to_user",
            "friends.Block.blocker",
            # Who blocked the player is the blocker's own data: not exported to the blocked.
            "friends.Block.blocked",
            "friends.LastSeen.user",
        ),
    )
}
