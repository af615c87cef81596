"""Demo: premium_user_2 has a pending game invite to user_1 (they are made friends).

Invites expire after ``INVITE_TTL_SECONDS``; seeding again re-creates one when none is pending.
"""

from friends.services import friendship_create
from matchmaking.invites.models import Invite
from matchmaking.invites.services import invite_create

SENDER, RECEIVER = "premium_user_2", "user_1"


def seed(*, users, stdout) -> None:
    sender, receiver = users[SENDER], users[RECEIVER]
    friendship_create(user_a=sender, user_b=receiver)
    if Invite.objects.filter(from_user=sender, to_user=receiver, status=Invite.Status.PENDING).exists():
        return
    invite_create(from_user=sender, to_user_id=receiver.pk, kind=Invite.Kind.GAME, mode="tictactoe")
    stdout.write(f"Invites: {SENDER} invited {RECEIVER} to tictactoe (pending).")


def clear() -> None:
    Invite.objects.filter(from_user__username=SENDER, to_user__username=RECEIVER).delete()
