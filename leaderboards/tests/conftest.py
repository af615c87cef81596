import pytest

from leaderboards.models import Leaderboard


@pytest.fixture
def admin(make_user):
    return make_user("admin", is_staff=True)


@pytest.fixture
def make_board():
    def make(id: str = "gems", **fields) -> Leaderboard:
        return Leaderboard.objects.create(id=id, **fields)

    return make
