"""Friend graph writes. Every change between two users locks both user rows, in id order,
so concurrent requests, accepts and blocks between the same pair happen one after another.

Events leave after commit (``send_to_user``, ``notify``, ``badge_push``): the receiver of a
request gets ``friend_request``, a persisted ``notification`` and a new ``badge``; an accepted
request gives both sides ``friend_accepted`` (the requester also a persisted notification).
Declines are silent to the sender."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import policy
from friends import events, hooks
from friends.models import Block, FriendRequest, Friendship, LastSeen
from friends.selectors import are_friends, is_blocked_between
from gameplatform.broadcast.realtime import send_to_user
from gameplatform.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from notifications.services import badge_push, notify

User = get_user_model()


def _lock_pair(user_a_id: int, user_b_id: int) -> dict:
    users = User.objects.select_for_update().filter(pk__in=[user_a_id, user_b_id]).order_by("pk")
    found = {user.pk: user for user in users}
    if user_b_id not in found:
        raise NotFound("No such user.")
    return found


def friendship_create(*, user_a: User, user_b: User) -> None:
    """Make two users friends directly (accepting a request, admin, demo data, tests)."""
    Friendship.objects.bulk_create(
        [Friendship(user=user_a, friend=user_b), Friendship(user=user_b, friend=user_a)], ignore_conflicts=True
    )


@transaction.atomic
def friend_request_send(*, from_user: User, to_user_id: int) -> FriendRequest:
    """A request, or, when the other user already asked, the acceptance of theirs."""
    if from_user.pk == to_user_id:
        raise ApplicationError("You cannot befriend yourself.", code="self_request")
    users = _lock_pair(from_user.pk, to_user_id)
    if is_blocked_between(user_a_id=from_user.pk, user_b_id=to_user_id):
        raise Forbidden("One of you blocks the other.", code="blocked")
    if are_friends(user_a_id=from_user.pk, user_b_id=to_user_id):
        raise Conflict("You are already friends.", code="already_friends")
    pending = FriendRequest.objects.filter(status=FriendRequest.Status.PENDING)
    if pending.filter(from_user=from_user, to_user_id=to_user_id).exists():
        raise Conflict("You already asked.", code="duplicate_request")
    theirs = pending.filter(from_user_id=to_user_id, to_user=from_user).select_related("from_user", "to_user").first()
    if theirs is not None:
        return _accept(theirs)
    # A minor takes requests only from players they met (their own request, above, is accepted).
    policy.contact_require(sender_id=from_user.pk, recipient=users[to_user_id])
    request = FriendRequest.objects.create(from_user=from_user, to_user=users[to_user_id])
    send_to_user(request.to_user_id, events.friend_request_frame(request))
    notify(user_id=request.to_user_id, kind="friend_request", payload={"request": events.request_payload(request)})
    badge_push(user_id=request.to_user_id)
    return request


def _respond(request: FriendRequest, status: str) -> None:
    """The request is answered (accepted, declined, cancelled): its status, and when."""
    request.status = status
    request.responded_at = timezone.now()
    request.save(update_fields=["status", "responded_at"])


def _accept(request: FriendRequest) -> FriendRequest:
    _respond(request, FriendRequest.Status.ACCEPTED)
    friendship_create(user_a=request.from_user, user_b=request.to_user)
    send_to_user(request.from_user_id, events.friend_accepted_frame(request.to_user))
    send_to_user(request.to_user_id, events.friend_accepted_frame(request.from_user))
    notify(
        user_id=request.from_user_id,
        kind="friend_accepted",
        payload={"user": events.user_payload(request.to_user), "request_id": request.pk},
    )
    badge_push(user_id=request.to_user_id)
    return request


def _pending_for_update(*, request_id: int, user: User) -> FriendRequest:
    """The request, with both users locked; 404 for people who are not one of its two users."""
    request = FriendRequest.objects.filter(pk=request_id).select_related("from_user", "to_user").first()
    if request is None or user.pk not in (request.from_user_id, request.to_user_id):
        raise NotFound("No such friend request.")
    _lock_pair(request.from_user_id, request.to_user_id)
    request.refresh_from_db(fields=["status"])
    return request


def _answerable(*, request_id: int, user: User, side: str, verb: str) -> FriendRequest:
    """The pending request ``user`` answers as its ``receiver`` or its ``sender`` (403 for the
    other side, 409 ``not_pending`` once answered), with both users locked."""
    request = _pending_for_update(request_id=request_id, user=user)
    answerer_id = request.to_user_id if side == "receiver" else request.from_user_id
    if answerer_id != user.pk:
        raise Forbidden(f"Only the {side} {verb} a request.")
    if request.status != FriendRequest.Status.PENDING:
        raise Conflict(f"The request is already {request.status}.", code="not_pending")
    return request


def _cancel(request: FriendRequest) -> None:
    _respond(request, FriendRequest.Status.CANCELLED)
    send_to_user(request.to_user_id, events.friend_request_cancelled_frame(request))
    badge_push(user_id=request.to_user_id)


@transaction.atomic
def friend_request_accept(*, request_id: int, user: User) -> FriendRequest:
    return _accept(_answerable(request_id=request_id, user=user, side="receiver", verb="accepts"))


@transaction.atomic
def friend_request_decline(*, request_id: int, user: User) -> FriendRequest:
    request = _answerable(request_id=request_id, user=user, side="receiver", verb="declines")
    _respond(request, FriendRequest.Status.DECLINED)
    badge_push(user_id=request.to_user_id)
    return request


@transaction.atomic
def friend_request_cancel(*, request_id: int, user: User) -> FriendRequest:
    request = _answerable(request_id=request_id, user=user, side="sender", verb="cancels")
    _cancel(request)
    return request


def _unfriend(user_a_id: int, user_b_id: int) -> int:
    deleted, _ = Friendship.objects.filter(
        Q(user_id=user_a_id, friend_id=user_b_id) | Q(user_id=user_b_id, friend_id=user_a_id)
    ).delete()
    if deleted:
        send_to_user(user_a_id, events.friend_removed_frame(user_b_id))
        send_to_user(user_b_id, events.friend_removed_frame(user_a_id))
        hooks.friendship_ended(user_a_id, user_b_id)
    return deleted


@transaction.atomic
def friendship_remove(*, user: User, friend_id: int) -> None:
    _lock_pair(user.pk, friend_id)
    if not _unfriend(user.pk, friend_id):
        raise NotFound("You are not friends.", code="not_friends")


@transaction.atomic
def block_create(*, blocker: User, blocked_id: int) -> Block:
    """Block: unfriends, cancels pending requests both ways, and stops requests, DMs and invites."""
    if blocker.pk == blocked_id:
        raise ApplicationError("You cannot block yourself.", code="self_block")
    users = _lock_pair(blocker.pk, blocked_id)
    _unfriend(blocker.pk, blocked_id)
    pending = FriendRequest.objects.filter(
        Q(from_user=blocker, to_user_id=blocked_id) | Q(from_user_id=blocked_id, to_user=blocker),
        status=FriendRequest.Status.PENDING,
    )
    for request in pending.select_related("from_user", "to_user"):
        _cancel(request)
    hooks.block_started(blocker.pk, blocked_id)
    block, _ = Block.objects.get_or_create(blocker=blocker, blocked=users[blocked_id])
    return block


@transaction.atomic
def block_remove(*, blocker: User, blocked_id: int) -> None:
    deleted, _ = Block.objects.filter(blocker=blocker, blocked_id=blocked_id).delete()
    if not deleted:
        raise NotFound("You do not block that user.", code="not_blocked")


def last_seen_record(*, user_ids: list[int]) -> None:
    """These users' last socket closed (or their process was found dead) just now: one upsert."""
    existing = User.objects.filter(pk__in=user_ids).values_list("pk", flat=True)  # deleted meanwhile: skipped
    now = timezone.now()
    LastSeen.objects.bulk_create(
        [LastSeen(user_id=user_id, at=now) for user_id in existing],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["at"],
    )
