"""The demo live operations: ``seed_demo`` makes them once, running now for the demo users."""

import io

import pytest
from django.core.management import call_command

from accounts.management.commands.seed_demo import NORMAL_USERS, PREMIUM_USERS
from accounts.models import User
from liveops import demo
from liveops.evaluation import liveops_for
from liveops.inbox.models import InboxEntry, Message
from liveops.models import Flag
from liveops.schedule.models import LiveEvent

pytestmark = pytest.mark.django_db


def seed() -> None:
    call_command("seed_demo", stdout=io.StringIO())


def test_seeding_twice_makes_the_demo_flag_events_and_welcome_once():
    seed()
    seed()
    assert list(Flag.objects.values_list("name", flat=True)) == [demo.FLAG]
    assert sorted(LiveEvent.objects.values_list("name", flat=True)) == sorted([demo.WEEKEND, demo.FESTIVAL])
    assert Message.objects.filter(title=demo.WELCOME).count() == 1
    welcomed = InboxEntry.objects.filter(message__title=demo.WELCOME).values_list("user__username", flat=True)
    assert sorted(welcomed) == sorted(NORMAL_USERS + PREMIUM_USERS)


def test_a_demo_user_sees_the_festival_running_and_the_welcome_unread(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # as after seed_demo's commits: the process's copies expire
        seed()
    answer = liveops_for(user=User.objects.get(username="user_1"))
    festival = next(e for e in answer["live_events"] if e["name"] == demo.FESTIVAL)
    assert (festival["join"], festival["joined"]) == ("explicit", False)
    assert festival["value"]["title"] == "Launch festival"
    assert answer["messages_unread"] == 1
    assert answer["flags"][demo.FLAG] in (1, 2)  # 2 while the weekend runs


def test_clear_removes_the_demo_live_operations():
    seed()
    demo.clear()
    assert not Flag.objects.exists()
    assert not LiveEvent.objects.exists()
    assert not Message.objects.exists()
