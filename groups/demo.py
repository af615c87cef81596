"""Groups demo data: an open clan and a closed one, with roles, a pending request and chat. Idempotent."""

from groups import services
from groups.models import Group, GroupMessage

# name, description, open, max members, superadmin, [(member, role)], [requester], [(sender, text)]
SAMPLE_GROUPS = [
    (
        "Night Owls",
        "Late games, friendly people. Everyone welcome.",
        True,
        50,
        "premium_user_1",
        [("user_1", "admin"), ("user_2", "member"), ("user_3", "member")],
        [],
        [("premium_user_1", "Welcome to the Owls!"), ("user_1", "Tournament practice at 21:00."), ("user_2", "In.")],
    ),
    (
        "Crimson Vanguard",
        "Competitive clan: ask to join.",
        False,
        20,
        "premium_user_2",
        [("user_4", "admin")],
        ["user_5"],
        [("premium_user_2", "Scrims every Friday."), ("user_4", "I'll review the requests.")],
    ),
]


def seed(*, users, stdout) -> None:
    created = 0
    for name, description, is_open, max_members, owner, members, requesters, lines in SAMPLE_GROUPS:
        if Group.objects.filter(name__iexact=name).exists():
            continue
        created += 1
        group = services.group_create(
            creator=users[owner], name=name, description=description, open=True, max_members=max_members
        )
        for username, role in members:
            services.group_join(group_id=group.pk, user=users[username])
            if role == "admin":
                services.group_promote(group_id=group.pk, actor=users[owner], user_id=users[username].pk)
        Group.objects.filter(pk=group.pk).update(open=is_open)
        for username in requesters:
            services.group_join(group_id=group.pk, user=users[username])
        GroupMessage.objects.bulk_create(
            GroupMessage(group=group, sender=users[sender], content=text) for sender, text in lines
        )
    stdout.write(f"Groups: {created} created, {len(SAMPLE_GROUPS) - created} already there.")


def clear() -> None:
    Group.objects.filter(name__in=[name for name, *_ in SAMPLE_GROUPS]).delete()
