import io

import pytest

from chat import demo
from chat.dms.selectors import unread_dm_count
from chat.models import DirectMessage
from friends.selectors import are_friends

pytestmark = pytest.mark.django_db

DEMO_USERS = ["premium_user_1", "premium_user_2", "user_1", "user_2", "user_3", "user_4", "user_5"]


def test_demo_thread_is_seeded_once_with_one_unread_message(make_user):
    users = {name: make_user(name) for name in DEMO_USERS}
    demo.seed(users=users, stdout=io.StringIO())
    demo.seed(users=users, stdout=io.StringIO())
    assert are_friends(user_a_id=users["premium_user_1"].pk, user_b_id=users["user_1"].pk)
    assert DirectMessage.objects.count() == len(demo.THREAD)
    assert unread_dm_count(user_id=users["user_1"].pk) == 1
    demo.clear()
    assert DirectMessage.objects.count() == 0
