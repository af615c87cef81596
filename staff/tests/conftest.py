import pytest


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
