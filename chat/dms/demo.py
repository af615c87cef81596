"""Demo: premium_user_1 and user_1 are friends with a short DM thread (user_1 has unread messages)."""

from django.utils import timezone

from chat.dms.models import DirectMessage
from friends.services import friendship_create

THREAD = [
    ("premium_user_1", "user_1", "Hey! Up for a game of tic-tac-toe later?"),
    ("user_1", "premium_user_1", "Sure, after dinner. Send me an invite."),
    ("premium_user_1", "user_1", "Will do. Also: my lobby is open if you want to chat."),
]
PAIR = ("premium_user_1", "user_1")


def seed(*, users, stdout) -> None:
    first, second = users[PAIR[0]], users[PAIR[1]]
    friendship_create(user_a=first, user_b=second)
    pair = [first.pk, second.pk]
    if DirectMessage.objects.filter(sender_id__in=pair, recipient_id__in=pair).exists():
        return
    for n, (sender, recipient, content) in enumerate(THREAD):
        # The last message stays unread, so user_1 sees a badge at once.
        DirectMessage.objects.create(
            sender=users[sender],
            recipient=users[recipient],
            content=content,
            read_at=None if n == 2 else timezone.now(),
        )
    stdout.write(f"Direct messages: {PAIR[0]} <-> {PAIR[1]} ({len(THREAD)} messages).")


def clear() -> None:
    DirectMessage.objects.filter(sender__username__in=PAIR, recipient__username__in=PAIR).delete()
