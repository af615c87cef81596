"""Direct messages between friends.

Sending spends the sender's budget (``DM_RATE``, one window for REST and the
socket, on every process), stores the message, and only after commit tells
both sides on the conversation's group (``dm_<a>_<b>``). A recipient with no
DM socket open on this conversation gets ``dm_received`` and a fresh badge on
the notification socket; the first message of an unread streak also leaves a
persisted ``dm_received`` notification (one per streak, not one per message).
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from chat.dms import events
from chat.dms.selectors import dm_require_access
from chat.models import DM_MAX_LENGTH, DirectMessage
from gameplatform.broadcast.groups import dm_group
from gameplatform.broadcast.realtime import broadcast_on_commit, send_to_user, signal_on_commit
from gameplatform.chat import speech
from gameplatform.core.errors import ApplicationError
from gameplatform.data.ratelimit import Budget
from gameplatform.sockets import presence
from notifications.services import badge_push, notify

User = get_user_model()


# At most 5 direct messages in any 5-second span per sender, REST and socket together.
DM_RATE = Budget("dm:user", limit=5, window=5.0, what="direct messages")


def dm_place(peer_id: int) -> str:
    """The presence place of a DM socket on the conversation with ``peer_id``."""
    return f"dm:{int(peer_id)}"


def _clean(content: str) -> str:
    if not isinstance(content, str) or not content.strip():
        raise ApplicationError("A message needs some text.", code="invalid", extra={"fields": {"content": ["Empty."]}})
    if len(content) > DM_MAX_LENGTH:
        raise ApplicationError(
            f"A message has at most {DM_MAX_LENGTH} characters.",
            code="invalid",
            extra={"fields": {"content": [f"At most {DM_MAX_LENGTH} characters."]}},
        )
    return content


async def adm_budget_spend(*, user_id: int) -> None:
    """Spend one DM of the sender's budget from the event loop, when the socket frame arrives."""
    await DM_RATE.aspend(int(user_id))


def dm_send(*, sender: User, recipient_id: int, content: str, budget_spent: bool = False) -> DirectMessage:
    """Send a DM to a friend. Not atomic as a whole on purpose: the rate limit is a Redis
    call and stays outside the transaction; the write itself is atomic (``_store``). The
    socket spends the budget itself when the frame arrives (``budget_spent``)."""
    content = speech.said(sender.pk, _clean(content), where={"dm_user_id": recipient_id})
    recipient = dm_require_access(user_id=sender.pk, peer_id=recipient_id)
    if not budget_spent:
        DM_RATE.spend(sender.pk)
    return _store(sender=sender, recipient=recipient, content=content)


@transaction.atomic
def _store(*, sender: User, recipient: User, content: str) -> DirectMessage:
    message = DirectMessage.objects.create(sender=sender, recipient=recipient, content=content)
    first_unread = not DirectMessage.objects.filter(
        sender=sender, recipient=recipient, read_at__isnull=True, id__lt=message.pk
    ).exists()
    broadcast_on_commit(dm_group(sender.pk, recipient.pk), events.dm_message(message))
    transaction.on_commit(lambda: _tell_if_away(message, first_unread=first_unread), robust=True)
    return message


def _tell_if_away(message: DirectMessage, *, first_unread: bool) -> None:
    """After commit: the recipient not looking at this conversation hears about it elsewhere."""
    if presence.is_present(user_id=message.recipient_id, place=dm_place(message.sender_id)):
        return
    send_to_user(message.recipient_id, events.dm_received(message))
    badge_push(user_id=message.recipient_id)
    if first_unread:
        notify(
            user_id=message.recipient_id,
            kind="dm_received",
            payload={
                "from_user_id": message.sender_id,
                "from_user": events.sender_payload(message),
                "message_id": message.pk,
            },
        )


@transaction.atomic
def dm_mark_read(*, user: User, peer_id: int) -> int:
    """Mark every message from ``peer_id`` to ``user`` read; returns how many changed.

    The conversation's own rule applies, as for sending and reading the history: friends
    only, neither blocking the other (403 ``not_friends`` / ``blocked``)."""
    peer = dm_require_access(user_id=user.pk, peer_id=peer_id)
    unread = DirectMessage.objects.filter(sender=peer, recipient=user, read_at__isnull=True)
    up_to_id = unread.aggregate(last=Max("id"))["last"]
    if up_to_id is None:
        return 0
    count = unread.filter(id__lte=up_to_id).update(read_at=timezone.now())
    if count:
        broadcast_on_commit(
            dm_group(user.pk, peer.pk),
            events.dm_read(reader_id=user.pk, peer_id=peer.pk, up_to_id=up_to_id, count=count),
        )
        transaction.on_commit(lambda: badge_push(user_id=user.pk), robust=True)
    return count


def dm_access_revoke(*, user_a_id: int, user_b_id: int) -> None:
    """Close both users' DM sockets on their conversation (4403), after commit.

    For the friends app to call when a friendship ends or a block starts; new
    messages are refused by ``dm_send`` either way."""
    signal_on_commit(dm_group(user_a_id, user_b_id), "dm_revoked")
