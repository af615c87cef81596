from django.db.models import Q, QuerySet

from friends.models import Block, FriendRequest, Friendship


def are_friends(*, user_a_id: int, user_b_id: int) -> bool:
    return Friendship.objects.filter(user_id=user_a_id, friend_id=user_b_id).exists()


def is_blocked_between(*, user_a_id: int, user_b_id: int) -> bool:
    """True when either user blocks the other."""
    return Block.objects.filter(
        Q(blocker_id=user_a_id, blocked_id=user_b_id) | Q(blocker_id=user_b_id, blocked_id=user_a_id)
    ).exists()


def friend_ids(*, user_id: int) -> list[int]:
    return list(Friendship.objects.filter(user_id=user_id).values_list("friend_id", flat=True))


def friendships_for(*, user_id: int) -> QuerySet[Friendship]:
    return Friendship.objects.filter(user_id=user_id).select_related("friend")


def pending_requests(*, user_id: int, direction: str) -> QuerySet[FriendRequest]:
    requests = FriendRequest.objects.filter(status=FriendRequest.Status.PENDING).select_related("from_user", "to_user")
    if direction == "outgoing":
        return requests.filter(from_user_id=user_id)
    return requests.filter(to_user_id=user_id)


def pending_request_count(*, user_id: int) -> int:
    return FriendRequest.objects.filter(to_user_id=user_id, status=FriendRequest.Status.PENDING).count()
