import pytest
from django.contrib.auth.models import Group


@pytest.fixture
def make_staff(make_user):
    """A staff user (``is_staff``) in the given roles."""

    def make(username: str, *roles: str, superuser: bool = False):
        user = make_user(username, is_staff=True, is_superuser=superuser)
        user.groups.add(*Group.objects.filter(name__in=roles))
        return user

    return make


@pytest.fixture
def moderator(make_staff):
    return make_staff("mona", "moderator")


@pytest.fixture
def supporter(make_staff):
    return make_staff("sam", "support")


@pytest.fixture
def roleless_staff(make_staff):
    return make_staff("rolf")


@pytest.fixture
def root(make_staff):
    return make_staff("root", superuser=True)
