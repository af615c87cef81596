"""Writes of the inbox. Staff make a message (audited); at its ``send_at`` a timer delivers it to
every player whose attributes match its condition then, ``BATCH`` players a timer round (memory
and a round's time stay bounded whatever the number of players; the message keeps its cursor).
Delivery is idempotent: each chunk's entries are one ``INSERT … ON CONFLICT DO NOTHING`` on the
(message, user) constraint, so a rerun after a crash or two runners at once deliver nothing twice;
only the runner whose conditional update marks the message sent tells the players
(``liveops_changed``: their clients refetch ``messages_unread``).

A message may carry gifts (``grants``) that each of its players claims once, until it expires:
the claim locks the player's inbox entry, then their progression row (always in this order), marks
the entry claimed with a conditional update, and grants through progression's ledger in the same
transaction, so claims racing grant once."""

from datetime import datetime
from typing import NamedTuple

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from gameplatform.broadcast.groups import everyone_group
from gameplatform.broadcast.realtime import broadcast_on_commit
from gameplatform.core.errors import ApplicationError, Conflict, NotFound
from gameplatform.http import serializers
from liveops import conditions
from liveops.inbox import selectors
from liveops.inbox.models import InboxEntry, Message
from liveops.selectors import player_attributes
from progression.selectors import item_templates_by_id
from progression.services import balance_change, inventory_grant, player_lock
from staff import audit

BATCH = 1000
CHANGED_FRAME = {"type": "liveops_changed"}
# What one message may give each player: bounds that keep a typing slip from minting a fortune.
MAX_CURRENCY = 1_000_000
MAX_ITEM_KINDS = 20
MAX_ITEM_QUANTITY = 1_000
GIFT_REASON = "inbox_gift"  # the ledger's reason; its reference is ``message:<id>``


class Expired(ApplicationError):
    status_code = 410

    def __init__(self) -> None:
        super().__init__("This message's gifts have expired.", code="expired")


def _refused(message: str):
    return serializers.ValidationError({"grants": [message]})


def _amount(grants: dict, name: str, *, low: int, high: int, what: str) -> int:
    value = grants.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _refused(f"{what} must be a whole number from {low} to {high}.")
    return value


def _items(items) -> list[dict]:
    if not isinstance(items, list) or len(items) > MAX_ITEM_KINDS:
        raise _refused(f"items must be a list of at most {MAX_ITEM_KINDS} {{item_id, quantity}}.")
    found = []
    for item in items:
        if not isinstance(item, dict) or set(item) != {"item_id", "quantity"}:
            raise _refused("Each item is {item_id, quantity}.")
        item_id = _amount(item, "item_id", low=1, high=2**63 - 1, what="item_id")
        quantity = _amount(item, "quantity", low=1, high=MAX_ITEM_QUANTITY, what="quantity")
        found.append({"item_id": item_id, "quantity": quantity})
    ids = [item["item_id"] for item in found]
    if len(set(ids)) != len(ids):
        raise _refused("Each item_id once.")
    missing = sorted(set(ids) - set(item_templates_by_id(ids=ids)))
    if missing:
        raise _refused(f"No item with the id {missing[0]}.")
    return found


def grants_clean(grants) -> dict | None:
    """``grants`` as stored: ``{gold, gems, items: [{item_id, quantity}]}``, or None when it gives
    nothing; 400 naming ``grants`` for any other shape, a bound passed or an item that is none."""
    if grants is None:
        return None
    if not isinstance(grants, dict):
        raise _refused("Must be a JSON object {gold, gems, items}.")
    unknown = sorted(set(grants) - {"gold", "gems", "items"})
    if unknown:
        raise _refused(f"Unknown grant {unknown[0]!r}: gold, gems and items only.")
    clean = {
        "gold": _amount(grants, "gold", low=0, high=MAX_CURRENCY, what="gold"),
        "gems": _amount(grants, "gems", low=0, high=MAX_CURRENCY, what="gems"),
        "items": _items(grants.get("items", [])),
    }
    return clean if clean["gold"] or clean["gems"] or clean["items"] else None


@transaction.atomic
def message_create(
    *,
    staff: User | None,
    title: str,
    body: str = "",
    data=None,
    condition=None,
    send_at: datetime | None = None,
    grants=None,
    expires_at: datetime | None = None,
) -> Message:
    """A message for every player ``condition`` matches at ``send_at`` (now when not given), with
    the gifts ``grants`` each of them may claim until ``expires_at`` (``grants_clean``)."""
    data = {} if data is None else data
    condition = {} if condition is None else condition
    send_at = send_at or timezone.now()
    if not isinstance(data, dict):
        raise serializers.ValidationError({"data": ["Must be a JSON object."]})
    if not isinstance(condition, dict):
        raise serializers.ValidationError({"condition": ["Must be a JSON object (a GrowthBook condition)."]})
    conditions.validate(condition)
    grants = grants_clean(grants)
    if expires_at is not None and expires_at <= send_at:
        raise serializers.ValidationError({"expires_at": ["Must be after the send time."]})
    message = Message.objects.create(
        title=title,
        body=body,
        data=data,
        condition=condition,
        send_at=send_at,
        grants=grants,
        expires_at=expires_at,
        created_by=staff,
    )
    detail = {"condition": condition, "send_at": message.send_at.isoformat(), "data": data, "grants": grants}
    if expires_at is not None:
        detail["expires_at"] = expires_at.isoformat()
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


class Claimed(NamedTuple):
    """What a claim granted (the message's ``grants``, less any item removed since it was written)
    and the player's balances after it."""

    grants: dict
    gold: int
    gems: int


def _entry_locked(*, user: User, message_id: int) -> InboxEntry:
    entry = (
        InboxEntry.objects.select_for_update(of=("self",))
        .select_related("message")
        .filter(user_id=user.pk, message_id=message_id)
        .first()
    )
    if entry is None:
        raise NotFound("No such message in your inbox.", code="message_not_found")
    return entry


@transaction.atomic
def message_claim(*, user: User, message_id: int) -> Claimed:
    """Claim the gifts of a message in my inbox, once: 404 ``message_not_found``, 409
    ``nothing_to_claim`` (no gifts) or ``already_claimed``, 410 ``expired``.

    Locks my inbox entry, then my progression row (``player_lock``), always in this order; the
    entry is marked claimed by a conditional update before anything is granted, so a second claim
    (waiting on the lock, or one that skipped it) grants nothing."""
    entry = _entry_locked(user=user, message_id=message_id)
    message = entry.message
    if not message.grants:
        raise Conflict("This message has nothing to claim.", code="nothing_to_claim")
    now = timezone.now()
    if entry.claimed_at is None and message.expires_at is not None and message.expires_at <= now:
        raise Expired()
    marked = InboxEntry.objects.filter(pk=entry.pk, claimed_at__isnull=True).update(
        claimed_at=now, read_at=Coalesce("read_at", Value(now))
    )
    if marked != 1:
        raise Conflict("You have claimed this message's gifts already.", code="already_claimed")
    return _grant(user=user, message=message)


def _grant(*, user: User, message: Message) -> Claimed:
    grants, reference = message.grants, f"message:{message.pk}"
    player = player_lock(user_id=user.pk)
    player = balance_change(
        player=player, reason=GIFT_REASON, reference=reference, gold=grants["gold"], gems=grants["gems"]
    )
    templates = item_templates_by_id(ids=[item["item_id"] for item in grants["items"]])
    items = [item for item in grants["items"] if item["item_id"] in templates]  # an item removed since: skipped
    for item in items:
        inventory_grant(player=player, template=templates[item["item_id"]], quantity=item["quantity"])
    return Claimed({**grants, "items": items}, player.gold, player.gems)
