"""Writes of the inbox. Staff make a message (audited); at its ``send_at`` a timer delivers it to
every player whose attributes match its condition then, ``BATCH`` players a timer round (memory
and a round's time stay bounded whatever the number of players; the message keeps its cursor).
Delivery is idempotent: each chunk's entries are one ``INSERT … ON CONFLICT DO NOTHING`` on the
(message, user) constraint, so a rerun after a crash or two runners at once deliver nothing twice;
only the runner whose conditional update marks the message sent tells the players
(``liveops_changed``: their clients refetch ``messages_unread``)."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from gameplatform.broadcast.groups import everyone_group
from gameplatform.broadcast.realtime import broadcast_on_commit
from gameplatform.core.errors import NotFound
from gameplatform.http import serializers
from liveops import conditions
from liveops.inbox import selectors
from liveops.inbox.models import InboxEntry, Message
from liveops.selectors import player_attributes
from staff import audit

BATCH = 1000
CHANGED_FRAME = {"type": "liveops_changed"}


@transaction.atomic
def message_create(
    *, staff: User | None, title: str, body: str = "", data=None, condition=None, send_at: datetime | None = None
) -> Message:
    """A message for every player ``condition`` matches at ``send_at`` (now when not given)."""
    data = {} if data is None else data
    condition = {} if condition is None else condition
    if not isinstance(data, dict):
        raise serializers.ValidationError({"data": ["Must be a JSON object."]})
    if not isinstance(condition, dict):
        raise serializers.ValidationError({"condition": ["Must be a JSON object (a GrowthBook condition)."]})
    conditions.validate(condition)
    message = Message.objects.create(
        title=title, body=body, data=data, condition=condition, send_at=send_at or timezone.now(), created_by=staff
    )
    detail = {"condition": condition, "send_at": message.send_at.isoformat(), "data": data}
    audit.record_on(message, staff=staff, action="message.create", target_type="liveops.message", detail=detail)
    return message


def _deliver_chunk(message: Message, users: list[User]) -> None:
    condition = conditions.compiled(message.condition)
    entries = [
        InboxEntry(message=message, user=user)
        for user in users
        if conditions.matches(player_attributes(user=user), condition)
    ]
    InboxEntry.objects.bulk_create(entries, ignore_conflicts=True)


def message_deliver_chunk(*, message_id: int) -> bool:
    """Deliver a due message to the next ``BATCH`` players; True once it is all delivered (the
    call that marks it sent tells the players). A chunk tried twice (two runners, a crash before
    the cursor moved) inserts nothing twice."""
    message = Message.objects.filter(pk=message_id, sent_at__isnull=True).first()
    if message is None:
        return True
    users = selectors.players_after(after_id=message.delivered_through, limit=BATCH)
    if users:
        _deliver_chunk(message, users)
        Message.objects.filter(pk=message_id, delivered_through=message.delivered_through).update(
            delivered_through=users[-1].pk
        )
        return False
    with transaction.atomic():
        if Message.objects.filter(pk=message_id, sent_at__isnull=True).update(sent_at=timezone.now()) == 1:
            broadcast_on_commit(everyone_group(), CHANGED_FRAME)  # only the runner that marked it
    return True


def message_deliver(*, message_id: int) -> None:
    """Deliver a message to every player it matches, chunk after chunk (a command, the tests)."""
    while not message_deliver_chunk(message_id=message_id):
        pass


def messages_deliver_due(*, now: datetime | None = None) -> int:
    """One chunk of each message whose ``send_at`` has come (the timer: a round stays short
    however many players there are); how many messages are now all delivered."""
    return sum(message_deliver_chunk(message_id=pk) for pk in selectors.due_message_ids(now=now))


def message_read(*, user: User, message_id: int) -> InboxEntry:
    """Mark my copy of a message read (once: reading it again keeps the first time); 404 when it is
    not in my inbox."""
    InboxEntry.objects.filter(user=user, message_id=message_id, read_at__isnull=True).update(read_at=timezone.now())
    entry = selectors.inbox_of(user_id=user.pk).filter(message_id=message_id).first()
    if entry is None:
        raise NotFound("No such message in your inbox.", code="message_not_found")
    return entry
