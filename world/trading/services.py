"""Trading between two characters in one area: request, accept or decline, offers, confirm, swap.

A trade's row is locked for every change to it, so its steps happen one at a time; the
swap itself is ``progression.services.trade_swap`` (both players locked in id order, the
offers checked again under the locks, gold through the ledger), run in a savepoint of
the same transaction that marks the trade completed. When an offer is gone by then (the
item or gold went in another trade), nothing moves and the trade is cancelled with reason
``offer_unavailable``. Frames go to both users' world sockets after commit.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from friends.selectors import is_blocked_between
from gameplatform.broadcast.groups import world_user_group
from gameplatform.broadcast.realtime import broadcast_on_commit
from gameplatform.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from progression.services import Gift, OfferUnavailable, offer_check, trade_swap
from world.areas import users_in_area
from world.models import Character, Trade, TradeOffer
from world.trading import events

ACTIVE = (Trade.Status.REQUESTED, Trade.Status.OPEN)
MAX_OFFER_ITEMS = 20


def _trade_query():
    return Trade.objects.select_related("from_character__faction", "to_character__faction").prefetch_related("offers")


def _tell_both(trade: Trade, frame: dict) -> None:
    for user_id in {trade.from_character.user_id, trade.to_character.user_id}:
        broadcast_on_commit(world_user_group(user_id), frame)


def _locked_trade(*, trade_id: int, character_id: int) -> Trade:
    """The trade, its row locked; ``trade_not_found`` unless this character is a side of it."""
    trade = _trade_query().select_for_update(of=("self",)).filter(pk=trade_id).first()
    if trade is None or character_id not in (trade.from_character_id, trade.to_character_id):
        raise NotFound("No such trade.", code="trade_not_found")
    return trade


def _locked_request(*, trade_id: int, character_id: int, answer: str) -> Trade:
    """The trade locked, still waiting for this character's ``answer`` (only the one asked answers)."""
    trade = _locked_trade(trade_id=trade_id, character_id=character_id)
    if trade.to_character_id != character_id:
        raise Forbidden(f"Only the character asked can {answer}.", code="forbidden")
    if trade.status != Trade.Status.REQUESTED:
        raise Conflict("This trade is not waiting for an answer.", code="trade_not_requested")
    return trade


def _fresh(trade: Trade) -> Trade:
    return _trade_query().get(pk=trade.pk)


def _told(trade: Trade, frame_of, *args) -> Trade:
    """The trade read again, and the frame ``frame_of`` builds of it sent to both sides."""
    trade = _fresh(trade)
    _tell_both(trade, frame_of(trade, *args))
    return trade


class _Cancelled(Exception):
    def __init__(self, error: ApplicationError) -> None:
        self.error = error


def _same_area_or_cancel(trade: Trade) -> None:
    """Both sides must still stand in one area (their stored locations)."""
    locations = set(
        Character.objects.filter(pk__in=(trade.from_character_id, trade.to_character_id)).values_list(
            "location_id", flat=True
        )
    )
    if len(locations) != 1:
        _cancel(trade, reason="left_area")
        raise _Cancelled(Conflict("You are no longer in the same area.", code="not_in_area"))


def _cancel(trade: Trade, *, reason: str) -> None:
    trade.status = Trade.Status.CANCELLED
    trade.save(update_fields=["status"])
    _told(trade, events.trade_cancelled, reason)


def _then_raise(fn):
    """Run ``fn`` in one transaction; a cancellation it wrote is committed, then its error raised."""

    def run(**kwargs):
        with transaction.atomic():
            try:
                return fn(**kwargs)
            except _Cancelled as cancelled:
                error = cancelled.error
        raise error

    run.__name__, run.__doc__ = fn.__name__, fn.__doc__
    return run


@transaction.atomic
def trade_request(*, character_id: int, to_character_id: int) -> Trade:
    if to_character_id == character_id:
        raise ApplicationError("You cannot trade with yourself.", code="invalid_target")
    # Both characters' rows, in id order: two requests between one pair (either way round, at
    # once) happen one after the other, and the second sees the first's trade (`trade_exists`).
    sides = {
        c.pk: c
        for c in Character.objects.select_for_update(of=("self",))
        .select_related("faction")
        .filter(pk__in=(character_id, to_character_id))
        .order_by("pk")
    }
    me = sides.get(character_id)
    if me is None:
        raise NotFound("No such character.", code="character_not_found")
    other = sides.get(to_character_id)
    if other is None or not other.selected:
        raise NotFound("No such character in the world.", code="character_not_found")
    if other.user_id == me.user_id:
        raise ApplicationError("You cannot trade with yourself.", code="invalid_target")
    if other.location_id != me.location_id or other.user_id not in users_in_area(me.location_id):
        raise Conflict("That character is not in your area.", code="not_in_area")
    if is_blocked_between(user_a_id=me.user_id, user_b_id=other.user_id):
        raise Forbidden("One of you blocks the other.", code="forbidden")
    pair = Trade.objects.filter(status__in=ACTIVE)
    if (
        pair.filter(from_character=me, to_character=other).exists()
        or pair.filter(from_character=other, to_character=me).exists()
    ):
        raise Conflict("You already have a trade with that character.", code="trade_exists")
    trade = Trade.objects.create(from_character=me, to_character=other)
    TradeOffer.objects.bulk_create([TradeOffer(trade=trade, character=me), TradeOffer(trade=trade, character=other)])
    return _told(trade, events.trade_request)


@_then_raise
def trade_accept(*, character_id: int, trade_id: int) -> Trade:
    trade = _locked_request(trade_id=trade_id, character_id=character_id, answer="accept")
    _same_area_or_cancel(trade)
    trade.status = Trade.Status.OPEN
    trade.save(update_fields=["status"])
    return _told(trade, events.trade_update)


@transaction.atomic
def trade_decline(*, character_id: int, trade_id: int) -> Trade:
    trade = _locked_request(trade_id=trade_id, character_id=character_id, answer="decline")
    trade.status = Trade.Status.DECLINED
    trade.save(update_fields=["status"])
    return _told(trade, events.trade_declined)


def _require_open(trade: Trade) -> None:
    if trade.status != Trade.Status.OPEN:
        raise Conflict("This trade is not open.", code="trade_not_open")


def _offer_items(items: list[dict]) -> dict[int, int]:
    merged: dict[int, int] = {}
    for entry in items:
        merged[entry["inventory_id"]] = merged.get(entry["inventory_id"], 0) + entry["quantity"]
    if len(merged) > MAX_OFFER_ITEMS:
        raise ApplicationError(f"At most {MAX_OFFER_ITEMS} different items per offer.", code="invalid")
    return merged


@_then_raise
def trade_update(*, character_id: int, trade_id: int, items: list[dict], gold: int) -> Trade:
    """Set this side's offer (checked against what its player owns now); both confirmations clear."""
    trade = _locked_trade(trade_id=trade_id, character_id=character_id)
    _require_open(trade)
    _same_area_or_cancel(trade)
    me = trade.from_character if trade.from_character_id == character_id else trade.to_character
    wanted = _offer_items(items)
    owned = offer_check(user_id=me.user_id, items=wanted, gold=gold)
    stored = [
        {
            "inventory_id": inventory_id,
            "quantity": quantity,
            "template_id": owned[inventory_id].template_id,
            "name": owned[inventory_id].template.name,
        }
        for inventory_id, quantity in sorted(wanted.items())
    ]
    TradeOffer.objects.filter(trade=trade, character_id=character_id).update(items=stored, gold=gold)
    TradeOffer.objects.filter(trade=trade).update(confirmed=False)
    return _told(trade, events.trade_update)


@_then_raise
def trade_confirm(*, character_id: int, trade_id: int) -> Trade:
    """Confirm this side; when both have, the swap happens now or the trade is cancelled."""
    trade = _locked_trade(trade_id=trade_id, character_id=character_id)
    _require_open(trade)
    _same_area_or_cancel(trade)
    TradeOffer.objects.filter(trade=trade, character_id=character_id).update(confirmed=True)
    offers = list(TradeOffer.objects.filter(trade=trade))
    if not all(offer.confirmed for offer in offers):
        return _told(trade, events.trade_update)
    users = {trade.from_character_id: trade.from_character.user_id, trade.to_character_id: trade.to_character.user_id}
    first, second = (
        Gift(
            user_id=users[offer.character_id],
            items={entry["inventory_id"]: entry["quantity"] for entry in offer.items},
            gold=offer.gold,
        )
        for offer in offers
    )
    try:
        with transaction.atomic():
            trade_swap(first=first, second=second, reference=f"trade:{trade.pk}")
    except OfferUnavailable as exc:
        _cancel(trade, reason="offer_unavailable")
        raise _Cancelled(exc) from None
    trade.status = Trade.Status.COMPLETED
    trade.completed_at = timezone.now()
    trade.save(update_fields=["status", "completed_at"])
    return _told(trade, events.trade_complete)


@transaction.atomic
def trade_cancel(*, character_id: int, trade_id: int, reason: str = "cancelled") -> Trade:
    trade = _locked_trade(trade_id=trade_id, character_id=character_id)
    if trade.status not in ACTIVE:
        raise Conflict("This trade is over.", code="trade_not_active")
    _cancel(trade, reason=reason)
    return _fresh(trade)


@transaction.atomic
def trades_cancel_for(*, character_id: int, reason: str) -> int:
    """Cancel every running trade of this character (it left the area or the world)."""
    mine = Q(from_character_id=character_id) | Q(to_character_id=character_id)
    ids = list(Trade.objects.filter(mine, status__in=ACTIVE).values_list("pk", flat=True))
    cancelled = 0
    for trade_id in sorted(ids):
        trade = _locked_trade(trade_id=trade_id, character_id=character_id)
        if trade.status in ACTIVE:
            _cancel(trade, reason=reason)
            cancelled += 1
    return cancelled


def trade_list(*, user_id: int):
    """The trades of any of this user's characters, newest first."""
    mine = Q(from_character__user_id=user_id) | Q(to_character__user_id=user_id)
    return _trade_query().filter(mine).order_by("-created_at", "-id")
