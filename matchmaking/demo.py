"""Demo: premium_user_2 has a pending game invite to user_1 (they are made friends).

The invite is to tic-tac-toe, or where ``GAME_MODES`` leaves it out, to the first listed mode two
players can play (none: no invite). A real invite lives ``INVITE_TTL_SECONDS`` (60 s): the demo one
is given a day, so a visitor logging in as user_1 finds it. Seeding again re-creates it when none is
pending.
"""

from datetime import timedelta

from django.utils import timezone

from friends.services import friendship_create
from game.registry import modes
from matchmaking.invites.services import invite_create
from matchmaking.models import Invite

SENDER, RECEIVER = "premium_user_2", "user_1"
DEMO_TTL = timedelta(days=1)


def seed(*, users, stdout) -> None:
    sender, receiver = users[SENDER], users[RECEIVER]
    friendship_create(user_a=sender, user_b=receiver)
    pending = Invite.objects.filter(
        from_user=sender, to_user=receiver, status=Invite.Status.PENDING, expires_at__gt=timezone.now()
    )
    mode = _invite_mode()
    if pending.exists() or mode is None:
        return
    invite = invite_create(from_user=sender, to_user_id=receiver.pk, kind=Invite.Kind.GAME, mode=mode)
    Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() + DEMO_TTL)
    stdout.write(f"Invites: {SENDER} invited {RECEIVER} to {mode} (pending).")


def _invite_mode() -> str | None:
    """Tic-tac-toe when listed, else the first listed mode that two can play (invites are one-to-one)."""
    two_player = [name for name, mode in modes().items() if mode.min_players == 2]
    if "tictactoe" in two_player:
        return "tictactoe"
    return next(iter(two_player), None)


def clear() -> None:
    Invite.objects.filter(from_user__username=SENDER, to_user__username=RECEIVER).delete()
