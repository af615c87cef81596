"""Chat demo data: the seed's three sample lobbies, with members and messages, and a
short DM thread between premium_user_1 and user_1, friends (user_1 has an unread message).
Idempotent."""

from django.utils import timezone

from chat.models import DirectMessage, Lobby, LobbyEvent, LobbyMessage, Membership
from friends.services import friendship_create

# name, owner, public, max participants, [(member, role)], [(sender, text)]
SAMPLE_LOBBIES = [
    (
        "Haxball Classic 3v3",
        "premium_user_1",
        True,
        6,
        [("user_1", "moderator"), ("user_2", "member"), ("user_3", "member")],
        [
            ("premium_user_1", "Welcome! Classic map, 3 minute halves."),
            ("user_1", "I'll keep an eye on the chat, have fun."),
            ("user_2", "Red team please!"),
            ("user_3", "gl hf"),
        ],
    ),
    (
        "Premium Tournament Lounge",
        "premium_user_2",
        True,
        16,
        [("premium_user_1", "moderator"), ("user_4", "member"), ("user_5", "member")],
        [
            ("premium_user_2", "Bracket goes up at 20:00 UTC."),
            ("user_4", "Can we sign up as a duo?"),
            ("premium_user_1", "Yes, duos welcome."),
        ],
    ),
    (
        "Friends Only",
        "premium_user_1",
        False,
        4,
        [("user_2", "member")],
        [("premium_user_1", "Private room for tonight's practice."), ("user_2", "On my way.")],
    ),
]


def _seed_lobbies(*, users, stdout) -> None:
    created = 0
    for name, owner, is_public, max_participants, members, lines in SAMPLE_LOBBIES:
        lobby, new = Lobby.objects.get_or_create(
            name=name,
            owner=users[owner],
            defaults={"is_public": is_public, "max_participants": max_participants},
        )
        if not new:
            continue
        created += 1
        everyone = [(owner, Membership.Role.OWNER), *members]
        for username, role in everyone:
            Membership.objects.create(lobby=lobby, user=users[username], role=role)
        lobby.participant_count = len(everyone)
        lobby.save(update_fields=["participant_count"])
        LobbyEvent.objects.create(lobby=lobby, kind=LobbyEvent.Kind.CREATE, actor=users[owner])
        LobbyMessage.objects.bulk_create(
            LobbyMessage(lobby=lobby, sender=users[sender], content=text) for sender, text in lines
        )
    stdout.write(f"Lobbies: {created} created, {len(SAMPLE_LOBBIES) - created} already there.")


def _clear_lobbies() -> None:
    for name, owner, *_ in SAMPLE_LOBBIES:
        Lobby.objects.filter(name=name, owner__username=owner).delete()


THREAD = [
    ("premium_user_1", "user_1", "Hey! Up for a game of tic-tac-toe later?"),
    ("user_1", "premium_user_1", "Sure, after dinner. Send me an invite."),
    ("premium_user_1", "user_1", "Will do. Also: my lobby is open if you want to chat."),
]
PAIR = ("premium_user_1", "user_1")


def _seed_dms(*, users, stdout) -> None:
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


def _clear_dms() -> None:
    DirectMessage.objects.filter(sender__username__in=PAIR, recipient__username__in=PAIR).delete()


def seed(*, users, stdout) -> None:
    _seed_lobbies(users=users, stdout=stdout)
    _seed_dms(users=users, stdout=stdout)


def clear() -> None:
    _clear_dms()
    _clear_lobbies()
