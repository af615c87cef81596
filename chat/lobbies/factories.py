"""Test data for the lobby area (used by ``chat/tests/test_lobby*.py`` and the bench)."""

from chat.lobbies import services
from chat.models import Lobby, Membership


def make_lobby(*, owner, members=(), moderators=(), name: str = "Test lobby", **fields) -> Lobby:
    """A lobby through the real services: ``owner`` must be premium; members join, moderators are promoted."""
    fields.setdefault("max_participants", 8)
    lobby = services.lobby_create(owner=owner, name=name, **fields)
    for user in [*members, *moderators]:
        services.lobby_join(lobby_id=lobby.pk, user=user, via_invite=True)
    for user in moderators:
        services.lobby_moderator_add(lobby_id=lobby.pk, actor=owner, user_id=user.pk)
    lobby.refresh_from_db()
    return lobby


def role_of(lobby: Lobby, user) -> str | None:
    return Membership.objects.filter(lobby=lobby, user=user).values_list("role", flat=True).first()
