from django.contrib.auth import get_user_model
from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, When

from chat.models import DirectMessage
from friends.selectors import are_friends, is_blocked_between
from gameplatform.core.errors import ApplicationError, Forbidden, NotFound

User = get_user_model()


def unread_dm_count(*, user_id: int) -> int:
    """Direct messages to this user not yet read (the ``unread_dms`` of the badge)."""
    return DirectMessage.objects.filter(recipient_id=user_id, read_at__isnull=True).count()


def dm_peer_get(*, user_id: int, peer_id: int) -> User:
    """The other side of a conversation, or 404 (400 for oneself)."""
    if int(peer_id) == int(user_id):
        raise ApplicationError("You cannot message yourself.", code="self_message")
    peer = User.objects.filter(pk=peer_id, is_active=True).first()
    if peer is None:
        raise NotFound("No such user.")
    return peer


def dm_require_access(*, user_id: int, peer_id: int) -> User:
    """Two friends only: 404 unknown user, 403 ``blocked`` / ``not_friends``."""
    peer = dm_peer_get(user_id=user_id, peer_id=peer_id)
    if is_blocked_between(user_a_id=user_id, user_b_id=peer.pk):
        raise Forbidden("One of you blocks the other.", code="blocked")
    if not are_friends(user_a_id=user_id, user_b_id=peer.pk):
        raise Forbidden("You can only message your friends.", code="not_friends")
    return peer


def dm_history(*, user_id: int, peer_id: int) -> QuerySet[DirectMessage]:
    """Both directions of one conversation (paginate with ``MessageCursorPagination``)."""
    return DirectMessage.objects.filter(
        Q(sender_id=user_id, recipient_id=peer_id) | Q(sender_id=peer_id, recipient_id=user_id)
    )


def dm_conversation_rows(*, user_id: int) -> QuerySet:
    """One row per peer: ``{peer_id, last_id, unread_count}``, most recent conversation first."""
    peer = Case(When(sender_id=user_id, then=F("recipient_id")), default=F("sender_id"), output_field=IntegerField())
    return (
        DirectMessage.objects.filter(Q(sender_id=user_id) | Q(recipient_id=user_id))
        .annotate(peer_id=peer)
        .values("peer_id")
        .annotate(
            last_id=Max("id"),
            unread_count=Count("id", filter=Q(recipient_id=user_id, read_at__isnull=True)),
        )
        .order_by("-last_id")
    )


def dm_conversations_hydrate(*, rows: list[dict]) -> list[dict]:
    """Turn a page of conversation rows into ``{user, last_message, unread_count}`` (two queries)."""
    messages = DirectMessage.objects.in_bulk([row["last_id"] for row in rows])
    users = User.objects.in_bulk([row["peer_id"] for row in rows])
    return [
        {"user": users[row["peer_id"]], "last_message": messages[row["last_id"]], "unread_count": row["unread_count"]}
        for row in rows
    ]


def dm_thread_exists(*, user_id: int, peer_id: int) -> bool:
    """Whether the two users have a conversation: a message either way."""
    return DirectMessage.objects.filter(
        Q(sender_id=user_id, recipient_id=peer_id) | Q(sender_id=peer_id, recipient_id=user_id)
    ).exists()
