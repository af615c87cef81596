import pytest

from friends.services import friendship_create
from gameplatform import presence


@pytest.fixture(autouse=True)
def clean_local_presence():
    """The embedded presence store is process memory: each test starts with nobody online."""
    presence._local_store.clear()
    yield
    presence._local_store.clear()


@pytest.fixture
def befriend():
    def make(user_a, user_b) -> None:
        friendship_create(user_a=user_a, user_b=user_b)

    return make
