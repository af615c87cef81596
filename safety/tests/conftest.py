import pytest

from safety.mutes import MUTES
from staff.roles import MODERATOR, SUPPORT


@pytest.fixture(autouse=True)
def fresh_mutes():
    """Each test reads the running mutes afresh: a mute of a rolled-back test never holds in the next."""
    MUTES.forget()
    yield
    MUTES.forget()


@pytest.fixture
def moderator(make_staff):
    return make_staff("mod", MODERATOR)


@pytest.fixture
def support(make_staff):
    return make_staff("helpdesk", SUPPORT)


@pytest.fixture
def lobby_with(premium_owner):
    """A lobby of ``premium_owner`` with the given users in it."""
    from chat.lobbies.services import lobby_create, lobby_join

    def make(*users):
        lobby = lobby_create(owner=premium_owner, name="the lobby")
        for user in users:
            lobby_join(lobby_id=lobby.pk, user=user)
        return lobby

    return make
