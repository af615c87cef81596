import pytest

from leaderboards.models import Leaderboard
from staff.roles import LIVEOPS


@pytest.fixture
def admin(make_staff):
    """Staff in the role that makes boards and tournaments."""
    return make_staff("admin", LIVEOPS)


@pytest.fixture
def make_board():
    def make(id: str = "gems", **fields) -> Leaderboard:
        return Leaderboard.objects.create(id=id, **fields)

    return make
