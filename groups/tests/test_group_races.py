"""The size limit raced for real on PostgreSQL: the last seat goes once, the count stays exact."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from conftest import requires_postgres
from gameplatform.core.errors import ApplicationError
from groups import services
from groups.factories import make_group
from groups.models import Group, GroupMembership

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def race(users, act) -> list[str]:
    barrier = threading.Barrier(len(users))

    def run(user) -> str:
        barrier.wait()
        try:
            return act(user)
        except ApplicationError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(len(users)) as pool:
        return list(pool.map(run, users))


def test_ten_users_racing_for_the_last_seat_of_an_open_group_get_it_once(alice, make_user):
    group = make_group(creator=alice, max_members=2)
    outcomes = race([make_user() for _ in range(10)], lambda u: services.group_join(group_id=group.pk, user=u))
    assert sorted(outcomes) == ["group_full"] * 9 + ["member"]
    group.refresh_from_db()
    assert group.member_count == 2 == GroupMembership.objects.filter(group=group).count()


def test_admins_accepting_requests_at_once_fill_the_last_seat_once(alice, make_user):
    admins = [make_user() for _ in range(2)]
    group = make_group(creator=alice, admins=admins, max_members=4, open=False)
    requesters = [make_user() for _ in range(8)]
    for user in requesters:
        services.group_join(group_id=group.pk, user=user)
    pairs = list(zip(([alice, *admins] * 3)[:8], requesters, strict=True))

    def accept(pair) -> str:
        actor, user = pair
        services.group_request_accept(group_id=group.pk, actor=actor, user_id=user.pk)
        return "accepted"

    outcomes = race(pairs, accept)
    assert sorted(outcomes) == ["accepted"] + ["group_full"] * 7
    group.refresh_from_db()
    assert group.member_count == 4 == GroupMembership.objects.filter(group=group).count()


def test_joins_and_leaves_at_once_keep_the_count_exact(alice, make_user):
    members = [make_user() for _ in range(5)]
    newcomers = [make_user() for _ in range(5)]
    group = make_group(creator=alice, members=members, max_members=8)

    def act(pair) -> str:
        kind, user = pair
        if kind == "leave":
            services.group_leave(group_id=group.pk, user=user)
            return "left"
        return services.group_join(group_id=group.pk, user=user)

    outcomes = race([("leave", u) for u in members] + [("join", u) for u in newcomers], act)
    # Two seats are free at the start: a join that comes before enough leaves is refused.
    joined = outcomes.count("member")
    assert outcomes.count("left") == 5 and joined + outcomes.count("group_full") == 5 and joined >= 2
    group.refresh_from_db()
    assert group.member_count == 1 + joined == GroupMembership.objects.filter(group=group).count()


def test_every_member_leaving_at_once_deletes_the_group_once(alice, make_user):
    members = [make_user() for _ in range(6)]
    group = make_group(creator=alice, members=members)
    outcomes = race([alice, *members], lambda u: services.group_leave(group_id=group.pk, user=u) or "left")
    assert outcomes == ["left"] * 7
    assert not Group.objects.filter(pk=group.pk).exists()
