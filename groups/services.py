"""Writes of the groups app: groups, membership, join requests, roles, moderation, chat.

Every rule that guards a group's membership (the size limit, bans, roles) is checked
with the group row locked (``select_for_update``), so concurrent joins, accepts, leaves
and kicks of one group run one after the other: the last seat goes once. The
``member_count <= max_members`` constraint backs the limit. Frames go out after commit.

Roles rank ``superadmin`` > ``admin`` > ``member``; a member acts only on a lower rank.
A superadmin who leaves hands the group to the oldest admin, else the oldest member;
the last member to leave deletes the group (its name is free again).
"""

from django.db import IntegrityError, transaction

from gameplatform.broadcast.groups import clan_group
from gameplatform.chat import rooms as chatrooms
from gameplatform.chat import speech
from gameplatform.chat.rooms import CLOSE_LEFT
from gameplatform.core.errors import Conflict, Forbidden, NotFound
from groups.models import (
    MAX_MEMBERS,
    MESSAGE_MAX_LENGTH,
    MIN_MEMBERS,
    NAME_MAX_LENGTH,
    Group,
    GroupBan,
    GroupJoinRequest,
    GroupMembership,
    GroupMessage,
)
from groups.selectors import RANK, group_require_member

Role = GroupMembership.Role

# Lobby chat's anti-spam rule (CHAT_RATE_LIMIT messages per CHAT_RATE_WINDOW seconds per
# user, 3 per 2 s by default), a budget of its own for group chat, REST and socket alike.
CHAT_RATE = chatrooms.chat_budget("chat:group:user")


class GroupChat(chatrooms.ChatRoom):
    """The group as a chat room (``gameplatform.chat.rooms``): messages, members and the socket."""

    message_model = GroupMessage
    membership_model = GroupMembership
    ban_model = GroupBan
    count_field = "member_count"
    message_max_length = MESSAGE_MAX_LENGTH
    budget = CHAT_RATE

    def channel(self, room_id: int) -> str:
        return clan_group(room_id)

    def require_member(self, room_id: int, user_id: int) -> None:
        group_require_member(group_id=room_id, user_id=user_id)


ROOM = GroupChat()

JOINED = "member"
REQUESTED = "requested"


def _lock_group(group_id: int) -> Group:
    try:
        return Group.objects.select_for_update().get(pk=group_id)
    except Group.DoesNotExist:
        raise NotFound("No such group.", code="group_not_found")


def _require_admin(group: Group, user) -> GroupMembership:
    actor = ROOM.membership(group.pk, user.pk)
    if actor is None or RANK[actor.role] < RANK[Role.ADMIN]:
        raise Forbidden("Only the group's admins may do that.", code="not_group_admin")
    return actor


def _require_outranks(actor: GroupMembership, target: GroupMembership | None) -> None:
    if target is None:
        return
    if target.user_id == actor.user_id:
        raise Forbidden("You cannot do that to yourself.", code="cannot_act_on_self")
    if RANK[actor.role] <= RANK[target.role]:
        raise Forbidden("Only a higher role may act on this member.", code="insufficient_role")


def _lock_admin_and_member(group_id: int, actor, user_id: int) -> tuple[Group, GroupMembership, GroupMembership]:
    """The locked group, the acting admin's seat and the member's seat it acts on, which it must outrank."""
    group = _lock_group(group_id)
    actor_membership = _require_admin(group, actor)
    target = ROOM.member_or_404(group.pk, user_id)
    _require_outranks(actor_membership, target)
    return group, actor_membership, target


def _add_member(group: Group, user, role: str = Role.MEMBER) -> GroupMembership:
    """A seat, if one is left: called with the group row locked, so the last seat goes once."""
    if group.member_count >= group.max_members:
        raise Conflict("This group is full.", code="group_full")
    membership = ROOM.member_add(group, user, role=role)
    GroupJoinRequest.objects.filter(group=group, user=user).delete()
    return membership


def _hand_over(group: Group) -> None:
    """The superadmin left: the oldest admin, else the oldest member, takes over; nobody left deletes the group."""
    heir = ROOM.heir(group.pk, deputy=Role.ADMIN)
    if heir is None:
        group.delete()
        return
    ROOM.role_set(group.pk, heir, Role.SUPERADMIN)


# --- groups ------------------------------------------------------------------------


def group_create(*, creator, name: str, description: str = "", open: bool = True, max_members: int = 100) -> Group:
    """A new group whose creator is its ``superadmin``; 409 ``group_name_taken`` for a name in use (any case)."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise chatrooms.invalid("name", f"Give the group a name of 1 to {NAME_MAX_LENGTH} characters.")
    speech.name_checked(name)
    speech.name_checked(description, field="description")
    if not MIN_MEMBERS <= max_members <= MAX_MEMBERS:
        raise chatrooms.invalid("max_members", f"Between {MIN_MEMBERS} and {MAX_MEMBERS}.")
    try:
        with transaction.atomic():
            group = Group.objects.create(
                name=name, description=description.strip(), open=open, max_members=max_members, member_count=1
            )
            GroupMembership.objects.create(group=group, user=creator, role=Role.SUPERADMIN)
    except IntegrityError:  # the case-insensitive unique name, decided by the database under a race
        if Group.objects.filter(name__iexact=name).exists():
            raise Conflict("A group of that name exists already.", code="group_name_taken")
        raise
    return group


def group_capacity_check(*, group: Group, max_members: int) -> None:
    """A size limit in range and not below the members the group has; 400 ``invalid`` naming the field."""
    if not MIN_MEMBERS <= max_members <= MAX_MEMBERS:
        raise chatrooms.invalid("max_members", f"Between {MIN_MEMBERS} and {MAX_MEMBERS}.")
    if max_members < group.member_count:
        raise chatrooms.invalid(
            "max_members", f"The group has {group.member_count} members: the limit cannot be lower."
        )


EDITABLE = frozenset({"name", "description", "open", "max_members"})


@transaction.atomic
def group_update(*, group_id: int, **changes) -> Group:
    """An admin's edit: only the fields named change (the member count stays the services'), with
    the group row locked, so a join cannot slip in between the check of ``max_members`` and the write."""
    if not changes.keys() <= EDITABLE:
        raise ValueError(f"not editable: {sorted(changes.keys() - EDITABLE)}")
    if "name" in changes:
        speech.name_checked(changes["name"])
    if "description" in changes:
        speech.name_checked(changes["description"], field="description")
    group = _lock_group(group_id)
    if "max_members" in changes:
        group_capacity_check(group=group, max_members=changes["max_members"])
    for field, value in changes.items():
        setattr(group, field, value)
    group.save(update_fields=list(changes))
    return group


@transaction.atomic
def group_join(*, group_id: int, user) -> str:
    """Join an open group at once (``member``) or ask to join a closed one (``requested``); again: the same answer."""
    group = _lock_group(group_id)
    if ROOM.membership(group.pk, user.pk) is not None:
        return JOINED
    if ROOM.banned(group.pk, user.pk):
        raise Forbidden("You are banned from this group.", code="banned")
    if group.open:
        _add_member(group, user)
        return JOINED
    GroupJoinRequest.objects.get_or_create(group=group, user=user)
    return REQUESTED


@transaction.atomic
def group_leave(*, group_id: int, user) -> None:
    group = _lock_group(group_id)
    membership = ROOM.membership(group.pk, user.pk)
    if membership is None:
        withdrawn, _ = GroupJoinRequest.objects.filter(group=group, user_id=user.pk).delete()
        if withdrawn:  # leaving a closed group one asked to join withdraws the request
            return
        raise NotFound("You are not a member of this group.", code="not_member")
    ROOM.member_remove(group, membership, close_code=CLOSE_LEFT)
    if membership.role == Role.SUPERADMIN:
        _hand_over(group)


@transaction.atomic
def group_request_accept(*, group_id: int, actor, user_id: int) -> GroupMembership:
    """An admin lets a requester in: 409 ``group_full`` when no seat is left (the request stays)."""
    group = _lock_group(group_id)
    _require_admin(group, actor)
    join_request = GroupJoinRequest.objects.select_related("user").filter(group=group, user_id=user_id).first()
    if join_request is None:
        raise NotFound("That user has not asked to join.", code="request_not_found")
    return _add_member(group, join_request.user)


@transaction.atomic
def group_request_decline(*, group_id: int, actor, user_id: int) -> None:
    group = _lock_group(group_id)
    _require_admin(group, actor)
    deleted, _ = GroupJoinRequest.objects.filter(group=group, user_id=user_id).delete()
    if not deleted:
        raise NotFound("That user has not asked to join.", code="request_not_found")


# --- roles and moderation ----------------------------------------------------------


@transaction.atomic
def group_promote(*, group_id: int, actor, user_id: int) -> GroupMembership:
    """A member becomes an admin (any admin may); an admin becomes the superadmin, whose
    promoter (the superadmin: only a higher role acts) steps down to admin."""
    group, actor_membership, target = _lock_admin_and_member(group_id, actor, user_id)
    if target.role == Role.ADMIN:
        ROOM.role_set(group.pk, actor_membership, Role.ADMIN)
    ROOM.role_set(group.pk, target, Role.ADMIN if target.role == Role.MEMBER else Role.SUPERADMIN)
    return target


@transaction.atomic
def group_demote(*, group_id: int, actor, user_id: int) -> GroupMembership:
    """An admin becomes a member again (only the superadmin outranks an admin)."""
    group, _, target = _lock_admin_and_member(group_id, actor, user_id)
    if target.role != Role.ADMIN:
        raise Conflict("That member holds no role to lose.", code="not_admin")
    ROOM.role_set(group.pk, target, Role.MEMBER)
    return target


@transaction.atomic
def group_kick(*, group_id: int, actor, user_id: int) -> GroupMembership:
    group, _, target = _lock_admin_and_member(group_id, actor, user_id)
    ROOM.member_kick(group, target)
    return target


@transaction.atomic
def group_ban(*, group_id: int, actor, user_id: int) -> GroupBan:
    """Ban a lower member (who is removed) or anyone else (who then cannot join or ask to)."""
    group = _lock_group(group_id)
    actor_membership = _require_admin(group, actor)
    target_user = chatrooms.user_or_404(user_id)
    if target_user.pk == actor.pk:
        raise Forbidden("You cannot do that to yourself.", code="cannot_act_on_self")
    target = ROOM.membership(group.pk, user_id)
    _require_outranks(actor_membership, target)
    ban = ROOM.ban_add(group, target_user, by=actor, membership=target)
    GroupJoinRequest.objects.filter(group=group, user_id=user_id).delete()
    return ban


# --- chat --------------------------------------------------------------------------


def message_post(*, group_id: int, user, content: str) -> GroupMessage:
    """Store a member's message and broadcast it, as lobby chat (``gameplatform.chat.rooms.ChatRoom.message_post``)."""
    return ROOM.message_post(room_id=group_id, user=user, content=content)
