"""The seed's three sample lobbies, with members and messages (idempotent)."""

from chat.lobbies.models import Lobby, LobbyEvent, LobbyMessage, Membership

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


def seed(*, users, stdout) -> None:
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


def clear() -> None:
    for name, owner, *_ in SAMPLE_LOBBIES:
        Lobby.objects.filter(name=name, owner__username=owner).delete()
