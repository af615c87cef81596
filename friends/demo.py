"""Demo friend graph: a few friendships and one pending request, so the social layer shows at once."""

from django.db.models import Q

from friends.models import FriendRequest, Friendship
from friends.services import friendship_create

FRIEND_PAIRS = [("user_1", "user_2"), ("user_1", "premium_user_1"), ("user_2", "premium_user_2")]
PENDING = [("user_3", "user_1")]  # user_3 asked user_1


def seed(*, users, stdout) -> None:
    for a, b in FRIEND_PAIRS:
        friendship_create(user_a=users[a], user_b=users[b])
    for sender, receiver in PENDING:
        FriendRequest.objects.get_or_create(
            from_user=users[sender], to_user=users[receiver], status=FriendRequest.Status.PENDING
        )
    stdout.write(f"friends: {len(FRIEND_PAIRS)} friendships, {len(PENDING)} pending request")


def clear() -> None:
    from accounts.management.commands.seed_demo import NORMAL_USERS, PREMIUM_USERS
    from accounts.models import User

    ids = list(User.objects.filter(username__in=PREMIUM_USERS + NORMAL_USERS).values_list("pk", flat=True))
    Friendship.objects.filter(user_id__in=ids, friend_id__in=ids).delete()
    FriendRequest.objects.filter(Q(from_user_id__in=ids) & Q(to_user_id__in=ids)).delete()
