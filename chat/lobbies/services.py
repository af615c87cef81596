"""Writes of the lobby area: lobbies, membership, moderation, messages.

Every rule that guards a lobby's membership (capacity, bans, roles, the owner)
is checked with the lobby row locked (``select_for_update``), so concurrent
joins, leaves and kicks of one lobby run one after the other; the
``participant_count <= max_participants`` constraint backs the capacity rule.
Frames go out after commit (``broadcast_on_commit``), so nobody hears of a
change that was rolled back.
"""

from django.db import transaction

from chat.lobbies import events
from chat.lobbies.selectors import lobby_require_member
from chat.models import (
    MAX_PARTICIPANTS,
    MESSAGE_MAX_LENGTH,
    MIN_PARTICIPANTS,
    Lobby,
    LobbyBan,
    LobbyEvent,
    LobbyMessage,
    Membership,
)
from game.registry import get_mode
from game.services import game_create
from gameplatform.broadcast.groups import lobby_group
from gameplatform.broadcast.realtime import broadcast_on_commit
from gameplatform.chat import rooms as chatrooms
from gameplatform.chat import speech
from gameplatform.chat.rooms import CLOSE_LEFT, timestamp
from gameplatform.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from staff import audit
from staff.permissions import role_require
from staff.roles import MODERATOR

Role = Membership.Role
Status = Lobby.Status
Kind = LobbyEvent.Kind

# The seed's anti-spam rule (3 messages in any 2-second span per user, the settings
# CHAT_RATE_LIMIT/CHAT_RATE_WINDOW change it): one budget for REST and sockets on every
# process, which world chat spends too.
CHAT_RATE = chatrooms.chat_budget("chat:lobby:user")


class LobbyChat(chatrooms.ChatRoom):
    """The lobby as a chat room (``gameplatform.chat.rooms``): messages, members and the socket."""

    message_model = LobbyMessage
    membership_model = Membership
    ban_model = LobbyBan
    count_field = "participant_count"
    message_max_length = MESSAGE_MAX_LENGTH
    budget = CHAT_RATE

    def channel(self, room_id: int) -> str:
        return lobby_group(room_id)

    def require_member(self, room_id: int, user_id: int) -> None:
        lobby_require_member(lobby_id=room_id, user_id=user_id)


ROOM = LobbyChat()


# --- helpers -------------------------------------------------------------------


def _lock_lobby(lobby_id: int) -> Lobby:
    try:
        return Lobby.objects.select_for_update().select_related("owner").get(pk=lobby_id)
    except Lobby.DoesNotExist:
        raise NotFound("No such lobby.", code="lobby_not_found")


def _require_role(lobby: Lobby, user, roles: tuple[str, ...], code: str) -> Membership:
    membership = ROOM.membership(lobby.pk, user.pk)
    if membership is None or membership.role not in roles:
        who = "the owner" if roles == (Role.OWNER,) else "the owner or a moderator"
        raise Forbidden(f"Only {who} may do that.", code=code)
    return membership


def _log(lobby: Lobby, kind: str, *, actor=None, target=None, reason: str = "", **data) -> None:
    LobbyEvent.objects.create(lobby=lobby, kind=kind, actor=actor, target=target, reason=reason[:500], data=data)


def _hand_over(lobby: Lobby, *, previous_owner) -> None:
    """The owner left: the longest-serving moderator, else the longest member, owns the lobby; else it closes."""
    heir = ROOM.heir(lobby.pk, deputy=Role.MODERATOR)
    if heir is None:
        lobby.status = Status.CLOSED
        lobby.save(update_fields=["status"])
        _log(lobby, Kind.CLOSE, actor=previous_owner)
        broadcast_on_commit(lobby_group(lobby.pk), events.lobby_status(Status.CLOSED))
        return
    ROOM.role_set(lobby.pk, heir, Role.OWNER)
    lobby.owner = heir.user
    lobby.save(update_fields=["owner"])
    _log(lobby, Kind.OWNER_CHANGED, actor=previous_owner, target=heir.user)


def _check_moderation_target(actor: Membership, target: Membership | None) -> None:
    if target is None:
        return
    if target.user_id == actor.user_id:
        raise ApplicationError("You cannot do that to yourself.", code="cannot_moderate_self")
    if target.role == Role.OWNER:
        raise Forbidden("Nobody may kick or ban the lobby owner.", code="cannot_moderate_owner")
    if actor.role == Role.MODERATOR and target.role == Role.MODERATOR:
        raise Forbidden("Moderators cannot act on other moderators.", code="cannot_moderate_moderator")


# --- lobbies -----------------------------------------------------------------------


@transaction.atomic
def lobby_create(*, owner, name: str, is_public: bool = True, max_participants: int = 8) -> Lobby:
    if not owner.is_premium:
        raise Forbidden("Only premium users can create lobbies.", code="premium_required")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise chatrooms.invalid("name", "Give the lobby a name of 1 to 100 characters.")
    speech.name_checked(name)
    if not MIN_PARTICIPANTS <= max_participants <= MAX_PARTICIPANTS:
        raise chatrooms.invalid("max_participants", f"Between {MIN_PARTICIPANTS} and {MAX_PARTICIPANTS}.")
    lobby = Lobby.objects.create(
        name=name, owner=owner, is_public=is_public, max_participants=max_participants, participant_count=1
    )
    Membership.objects.create(lobby=lobby, user=owner, role=Role.OWNER)
    _log(lobby, Kind.CREATE, actor=owner)
    return lobby


@transaction.atomic
def lobby_join(*, lobby_id: int, user, via_invite: bool = False) -> Membership:
    """Join a lobby; joining again returns the membership. ``via_invite`` lifts only the private check."""
    lobby = _lock_lobby(lobby_id)
    existing = ROOM.membership(lobby.pk, user.pk)
    if existing is not None:
        return existing
    if ROOM.banned(lobby.pk, user.pk):
        raise Forbidden("You are banned from this lobby.", code="banned")
    if lobby.status != Status.OPEN:
        raise Conflict("This lobby is not open.", code="lobby_closed")
    if not lobby.is_public and not via_invite:
        raise Forbidden("This lobby is private: join it by invite.", code="private_lobby")
    if lobby.participant_count >= lobby.max_participants:
        raise Conflict("This lobby is full.", code="lobby_full")
    membership = ROOM.member_add(lobby, user, role=Role.MEMBER)
    _log(lobby, Kind.JOIN, actor=user, target=user, via_invite=via_invite)
    return membership


@transaction.atomic
def lobby_leave(*, lobby_id: int, user) -> None:
    """Leave; an owner who leaves hands the lobby on (see ``_hand_over``)."""
    lobby = _lock_lobby(lobby_id)
    membership = ROOM.membership(lobby.pk, user.pk)
    if membership is None:
        raise NotFound("You are not a member of this lobby.", code="not_member")
    ROOM.member_remove(lobby, membership, close_code=CLOSE_LEFT)
    _log(lobby, Kind.LEAVE, actor=user, target=user)
    if membership.role == Role.OWNER:
        _hand_over(lobby, previous_owner=user)


LOBBY_MODE = "relay"  # what a lobby starts when the owner names no mode


def _require_playable(mode: str, players: list) -> None:
    """The mode is listed (400 ``invalid_mode``) and takes this many players (409 ``invalid_player_count``)."""
    spec = get_mode(mode)
    if not spec.min_players <= len(players) <= spec.max_players:
        count = (
            f"{spec.min_players}"
            if spec.min_players == spec.max_players
            else f"{spec.min_players} to {spec.max_players}"
        )
        raise Conflict(
            f"{mode} takes {count} players; this lobby has {len(players)}.",
            code="invalid_player_count",
            extra={"min_players": spec.min_players, "max_players": spec.max_players},
        )


@transaction.atomic
def lobby_start(*, lobby_id: int, user, mode: str = LOBBY_MODE) -> Lobby:
    """A game of ``mode`` for the members, seated in join order; it reopens the lobby when it ends."""
    lobby = _lock_lobby(lobby_id)
    _require_role(lobby, user, (Role.OWNER,), "not_owner")
    if lobby.status != Status.OPEN:
        raise Conflict("This lobby is not open.", code="lobby_closed")
    players = [m.user for m in Membership.objects.select_related("user").filter(lobby=lobby).order_by("joined_at")]
    if len(players) < MIN_PARTICIPANTS:
        raise Conflict(f"A game needs at least {MIN_PARTICIPANTS} members.", code="not_enough_players")
    _require_playable(mode, players)
    lobby.game_id = game_create(mode=mode, players=players, lobby_id=lobby.pk).pk
    lobby.status = Status.IN_GAME
    lobby.save(update_fields=["status", "game_id"])
    _log(lobby, Kind.START, actor=user, game_id=lobby.game_id, mode=mode, players=[p.pk for p in players])
    broadcast_on_commit(lobby_group(lobby.pk), events.lobby_started(lobby.game_id))
    return lobby


def lobby_game_finished(*, lobby_id: int) -> bool:
    """For the game app: the lobby's game ended, the lobby opens again (once, whoever calls)."""
    with transaction.atomic():
        reopened = Lobby.objects.filter(pk=lobby_id, status=Status.IN_GAME).update(status=Status.OPEN) == 1
        if reopened:
            broadcast_on_commit(lobby_group(lobby_id), events.lobby_status(Status.OPEN))
    return reopened


# --- moderation --------------------------------------------------------------------


@transaction.atomic
def lobby_kick(*, lobby_id: int, actor, user_id: int, reason: str = "") -> Membership:
    lobby = _lock_lobby(lobby_id)
    actor_membership = _require_role(lobby, actor, (Role.OWNER, Role.MODERATOR), "not_moderator")
    target = ROOM.member_or_404(lobby.pk, user_id)
    _check_moderation_target(actor_membership, target)
    ROOM.member_kick(lobby, target, reason=reason)
    _log(lobby, Kind.KICK, actor=actor, target=target.user, reason=reason)
    return target


@transaction.atomic
def lobby_ban(*, lobby_id: int, actor, user_id: int, reason: str = "") -> LobbyBan:
    """Ban a member (who is removed) or anyone else (who then cannot join)."""
    lobby = _lock_lobby(lobby_id)
    actor_membership = _require_role(lobby, actor, (Role.OWNER, Role.MODERATOR), "not_moderator")
    target_user = chatrooms.user_or_404(user_id)
    target = ROOM.membership(lobby.pk, user_id)
    if target is None and target_user.pk == actor.pk:
        raise ApplicationError("You cannot do that to yourself.", code="cannot_moderate_self")
    _check_moderation_target(actor_membership, target)
    ban = ROOM.ban_add(lobby, target_user, by=actor, membership=target, frame={"reason": reason}, reason=reason[:500])
    _log(lobby, Kind.BAN, actor=actor, target=target_user, reason=reason)
    return ban


@transaction.atomic
def lobby_unban(*, lobby_id: int, actor, user_id: int) -> None:
    lobby = _lock_lobby(lobby_id)
    _require_role(lobby, actor, (Role.OWNER, Role.MODERATOR), "not_moderator")
    deleted, _ = LobbyBan.objects.filter(lobby=lobby, user_id=user_id).delete()
    if not deleted:
        raise NotFound("That user is not banned here.", code="not_banned")
    _log(lobby, Kind.UNBAN, actor=actor, target=chatrooms.user_or_404(user_id))


@transaction.atomic
def lobby_moderator_add(*, lobby_id: int, actor, user_id: int) -> Membership:
    lobby = _lock_lobby(lobby_id)
    _require_role(lobby, actor, (Role.OWNER,), "not_owner")
    target = ROOM.member_or_404(lobby.pk, user_id)
    if target.role != Role.MEMBER:
        raise Conflict(f"That user is already the {target.role}.", code="already_moderator")
    ROOM.role_set(lobby.pk, target, Role.MODERATOR)
    _log(lobby, Kind.MODERATOR_ADDED, actor=actor, target=target.user)
    return target


@transaction.atomic
def lobby_moderator_remove(*, lobby_id: int, actor, user_id: int) -> Membership:
    lobby = _lock_lobby(lobby_id)
    _require_role(lobby, actor, (Role.OWNER,), "not_owner")
    target = ROOM.membership(lobby.pk, user_id)
    if target is None or target.role != Role.MODERATOR:
        raise NotFound("That user is not a moderator of this lobby.", code="not_moderator")
    ROOM.role_set(lobby.pk, target, Role.MEMBER)
    _log(lobby, Kind.MODERATOR_REMOVED, actor=actor, target=target.user)
    return target


# --- messages ----------------------------------------------------------------------


def message_post(*, lobby_id: int, user, content: str) -> LobbyMessage:
    """Store a member's message and broadcast it (``gameplatform.chat.rooms.ChatRoom.message_post``)."""
    return ROOM.message_post(room_id=lobby_id, user=user, content=content)


@transaction.atomic
def message_delete(*, message_id: int, actor, lobby_id: int | None = None) -> None:
    """The lobby's owner and moderators delete a message of their lobby; staff in the role
    ``moderator`` (or ``admin``) one of any lobby, audited ``lobby.message_delete`` (staff without
    the role: 403 ``permission_denied``; anyone else: ``not_moderator``). The lobby hears
    ``message_deleted``."""
    messages = LobbyMessage.objects.select_for_update().select_related("lobby").filter(pk=message_id)
    if lobby_id is not None:
        messages = messages.filter(lobby_id=lobby_id)
    message = messages.first()
    if message is None:
        raise NotFound("No such message.", code="message_not_found")
    lobby = message.lobby
    membership = ROOM.membership(lobby.pk, actor.pk)
    by_staff = membership is None or membership.role not in (Role.OWNER, Role.MODERATOR)
    if by_staff:
        if not actor.is_staff:
            raise Forbidden("Only the owner or a moderator may do that.", code="not_moderator")
        role_require(actor, MODERATOR)
    sender_id, content, written_at = message.sender_id, message.content, timestamp(message.created_at)
    message.delete()
    # The log keeps what was deleted: staff read it in a report's evidence for the appeal window
    # (``lobby_deleted_messages``), however the lobby's own chat no longer shows it.
    _log(
        lobby,
        Kind.MESSAGE_DELETED,
        actor=actor,
        message_id=message_id,
        sender_id=sender_id,
        content=content,
        created_at=written_at,
    )
    if by_staff:
        detail = {"lobby_id": lobby.pk, "sender_id": sender_id, "content": content}
        audit.record(
            staff=actor,
            action="lobby.message_delete",
            target_type="chat.lobbymessage",
            target_id=message_id,
            target=lobby.name,
            detail=detail,
        )
    broadcast_on_commit(lobby_group(lobby.pk), events.message_deleted(message_id))


def lobby_log_forget_user(user) -> None:
    """A user is being deleted (accounts' ``user_deleting`` hook): the moderation log's copies of
    their deleted messages lose their text and their sender, like the messages themselves (which
    go with the user). The log's entries stay (what was done, by whom, when), naming no one gone."""
    logged = LobbyEvent.objects.select_for_update().filter(
        kind=LobbyEvent.Kind.MESSAGE_DELETED, data__sender_id=user.pk
    )
    for event in logged:
        event.data = {**event.data, "sender_id": None, "content": ""}
        event.save(update_fields=["data"])
