"""Reads of the lobby area: listings, details, memberships, message histories."""

from django.db.models import Q, QuerySet

from chat.lobbies import events
from chat.models import Lobby, LobbyBan, LobbyEvent, LobbyMessage, Membership
from gameplatform.core.errors import Forbidden, NotFound
from staff.permissions import role_require
from staff.roles import MODERATOR


def lobby_list(*, user, public: bool | None = None, status: str | None = None, search: str = "") -> QuerySet[Lobby]:
    """Public lobbies, and private ones the user belongs to."""
    lobbies = Lobby.objects.select_related("owner")
    visible = Q(is_public=True) | Q(memberships__user_id=user.pk)
    lobbies = lobbies.filter(pk__in=Lobby.objects.filter(visible).values("pk"))
    if public is not None:
        lobbies = lobbies.filter(is_public=public)
    if status:
        lobbies = lobbies.filter(status=status)
    if search:
        lobbies = lobbies.filter(name__icontains=search.strip())
    return lobbies.order_by("-created_at", "-id")


def lobby_get(*, lobby_id: int) -> Lobby:
    try:
        return Lobby.objects.select_related("owner").get(pk=lobby_id)
    except Lobby.DoesNotExist:
        raise NotFound("No such lobby.", code="lobby_not_found")


def lobby_memberships(*, lobby_id: int) -> list[Membership]:
    return list(Membership.objects.filter(lobby_id=lobby_id).select_related("user").order_by("joined_at", "id"))


def lobby_is_member(*, lobby_id: int, user_id: int) -> bool:
    return Membership.objects.filter(lobby_id=lobby_id, user_id=user_id).exists()


def lobby_role(*, lobby_id: int, user_id: int) -> str | None:
    return Membership.objects.filter(lobby_id=lobby_id, user_id=user_id).values_list("role", flat=True).first()


def lobby_detail_for(*, lobby_id: int, user) -> dict:
    """The lobby with its members; a private lobby shows itself to its members (and staff in the
    role ``moderator``: other staff get 403 ``permission_denied``) only."""
    lobby = lobby_get(lobby_id=lobby_id)
    memberships = lobby_memberships(lobby_id=lobby_id)
    if not lobby.is_public and all(m.user_id != user.pk for m in memberships):
        if not user.is_staff:
            raise Forbidden("This lobby is private.", code="private_lobby")
        role_require(user, MODERATOR)
    return events.lobby_detail_payload(lobby, memberships)


def lobby_require_member(*, lobby_id: int, user_id: int) -> None:
    """404 ``lobby_not_found`` for unknown lobbies, 403 ``not_member`` for everyone but members."""
    role = lobby_role(lobby_id=lobby_id, user_id=user_id)
    if role is not None:
        return
    if not Lobby.objects.filter(pk=lobby_id).exists():
        raise NotFound("No such lobby.", code="lobby_not_found")
    raise Forbidden("You are not a member of this lobby.", code="not_member")


def lobby_id_for_name(*, name: str, user_id: int) -> int:
    """The lobby a socket at ``/ws/chat/lobby/<name>/`` (seed 004) means.

    Names are not unique: the newest lobby of that name, not closed, that the user is a
    member of; else the newest such lobby of that name (whose socket is then refused as
    ``not_member``). 404 ``lobby_not_found`` when no lobby that is not closed has the name.
    """
    if "\x00" in name or len(name) > Lobby._meta.get_field("name").max_length:
        # No lobby can have it (PostgreSQL text holds no NUL): asking would be a DataError.
        raise NotFound("No such lobby.", code="lobby_not_found")
    named = Lobby.objects.filter(name=name).exclude(status=Lobby.Status.CLOSED).order_by("-created_at", "-id")
    lobby_id = named.filter(memberships__user_id=user_id).values_list("id", flat=True).first()
    if lobby_id is None:
        lobby_id = named.values_list("id", flat=True).first()
    if lobby_id is None:
        raise NotFound("No such lobby.", code="lobby_not_found")
    return lobby_id


def lobby_state_for_member(*, lobby_id: int, user_id: int) -> dict:
    """The lobby detail for the socket's ``lobby_state``; refuses a user who is no longer a member."""
    lobby = lobby_get(lobby_id=lobby_id)
    memberships = lobby_memberships(lobby_id=lobby_id)
    if all(m.user_id != user_id for m in memberships):
        raise Forbidden("You are not a member of this lobby.", code="not_member")
    return events.lobby_detail_payload(lobby, memberships)


def lobby_require_moderator(*, lobby_id: int, user) -> None:
    """The lobby's owner and moderators pass, and staff in the role ``moderator`` for any lobby
    (other staff: 403 ``permission_denied``); anyone else ``not_member`` or ``not_moderator``."""
    role = lobby_role(lobby_id=lobby_id, user_id=user.pk)
    if role in ("owner", "moderator"):
        return
    if user.is_staff:
        lobby_get(lobby_id=lobby_id)
        role_require(user, MODERATOR)
        return
    if role is None:
        lobby_require_member(lobby_id=lobby_id, user_id=user.pk)
    raise Forbidden("Only the owner or a moderator may see this.", code="not_moderator")


def lobby_events(*, lobby_id: int, user) -> QuerySet[LobbyEvent]:
    """The moderation log of one lobby, newest first, for its owner and moderators (and staff)."""
    lobby_require_moderator(lobby_id=lobby_id, user=user)
    return LobbyEvent.objects.filter(lobby_id=lobby_id).select_related("actor", "target").order_by("-id")


def lobby_bans(*, lobby_id: int, user) -> QuerySet[LobbyBan]:
    lobby_require_moderator(lobby_id=lobby_id, user=user)
    return LobbyBan.objects.filter(lobby_id=lobby_id).select_related("user", "banned_by").order_by("-id")


def open_lobbies(*, limit: int) -> tuple[int, list[Lobby]]:
    """(how many lobbies are open, public or not; the newest ``limit`` of them with their owners)."""
    lobbies = Lobby.objects.filter(status=Lobby.Status.OPEN)
    return lobbies.count(), list(lobbies.select_related("owner").order_by("-created_at", "-id")[:limit])


def lobby_was_member(*, lobby_id: int, user_id: int) -> bool:
    """Whether the user is, or ever was, a member of the lobby: a member now, its creator or a
    joiner in its log (a member who left or was kicked is still there), or a writer in it."""
    return (
        Membership.objects.filter(lobby_id=lobby_id, user_id=user_id).exists()
        or LobbyEvent.objects.filter(
            lobby_id=lobby_id, kind__in=(LobbyEvent.Kind.CREATE, LobbyEvent.Kind.JOIN), actor_id=user_id
        ).exists()
        or LobbyMessage.objects.filter(lobby_id=lobby_id, sender_id=user_id).exists()
    )


def lobby_deleted_messages(*, lobby_id: int, since, most: int) -> list[dict]:
    """The lobby's messages deleted since ``since``, newest ``most`` of them, oldest first, as its
    moderation log keeps them (``message_delete`` logs each with its content): what staff read in a
    report's evidence; players never see them again. ``deleted_by_author``: the sender deleted it."""
    logged = LobbyEvent.objects.filter(
        lobby_id=lobby_id, kind=LobbyEvent.Kind.MESSAGE_DELETED, created_at__gte=since
    ).order_by("-id")[:most]
    return [
        {
            "id": event.data.get("message_id"),
            "sender_id": event.data.get("sender_id"),
            "content": event.data.get("content", ""),
            "created_at": event.data.get("created_at"),
            "deleted_at": event.created_at,
            "deleted_by_author": event.actor_id is not None and event.actor_id == event.data.get("sender_id"),
        }
        for event in reversed(list(logged))
    ]


def users_share_lobby(user_a_id: int, user_b_id: int) -> bool:
    """Whether the two are members of one lobby (``accounts.hooks.met``)."""
    return Membership.objects.filter(
        user_id=user_a_id, lobby__in=Membership.objects.filter(user_id=user_b_id).values("lobby_id")
    ).exists()
