import pytest
from django.contrib.auth.models import Group

from liveops import cache, evaluation
from liveops.schedule import running
from staff.roles import LIVEOPS, MODERATOR, SUPPORT


@pytest.fixture(autouse=True)
def fresh_flags():
    """Each test compiles the flags afresh and records exposures afresh: a flag or an exposure of
    a rolled-back test never shows in the next."""
    cache.forget()
    running.forget()
    evaluation.forget_recorded()
    yield
    cache.forget()
    running.forget()
    evaluation.forget_recorded()


def _staff(make_user, username: str, role: str | None):
    user = make_user(username, is_staff=True)
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def operator(make_user):
    return _staff(make_user, "ops", LIVEOPS)


@pytest.fixture
def moderator(make_user):
    return _staff(make_user, "mod", MODERATOR)


@pytest.fixture
def support(make_user):
    return _staff(make_user, "helpdesk", SUPPORT)


@pytest.fixture
def make_flag():
    from liveops.services import flag_create

    def make(name: str, default=None, rules=()):
        return flag_create(staff=None, name=name, default_value=default, rules=list(rules))

    return make
