import io

import pytest

from matchmaking import demo
from matchmaking.invites.selectors import pending_invite_count

pytestmark = pytest.mark.django_db


def test_demo_invite_is_pending_once_and_outlives_the_ttl(make_user):
    users = {name: make_user(name) for name in ("premium_user_2", "user_1")}
    demo.seed(users=users, stdout=io.StringIO())
    demo.seed(users=users, stdout=io.StringIO())
    assert pending_invite_count(user_id=users["user_1"].pk) == 1
    demo.clear()
    assert pending_invite_count(user_id=users["user_1"].pk) == 0
