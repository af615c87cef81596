import pytest

from staff.roles import MODERATOR
from wordfilter import cache


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts and ends with no compiled list: the list a test's rolled-back
    transaction held (and its version) never reaches the next test."""
    cache.forget()
    yield
    cache.forget()


@pytest.fixture
def moderator(make_staff):
    return make_staff("mod", MODERATOR)


@pytest.fixture
def listed(moderator, django_capture_on_commit_callbacks):
    """Add words to the list as a moderator would, committed: this process looks at it at once."""
    from wordfilter.services import word_add

    def add(*words: str) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            for word in words:
                word_add(staff=moderator, word=word)

    return add
