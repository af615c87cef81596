"""Moving items and gold between two players at once (a trade's swap), all or nothing.

The trade itself (two characters, offers, confirmations, its frames) is the world's
(``world.trading.services``), which calls ``offer_check`` while an offer is set and
``trade_swap`` once both sides confirmed; the swap is here because inventories, balances and
the ledger are progression's rows.

Both players' rows are locked in a fixed order (ascending id), so two swaps touching a
player in common happen one after the other and never deadlock. What each side gives is
checked again under those locks: an item or gold offered in two swaps moves once, and
the later swap fails with ``offer_unavailable`` having changed nothing.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from gameplatform.core.errors import ApplicationError, Conflict
from progression.models import InventoryItem, Player
from progression.services.items import inventory_grant
from progression.services.players import balance_change, player_lock


class OfferUnavailable(Conflict):
    def __init__(self, message: str = "Part of an offer is no longer available.") -> None:
        super().__init__(message, code="offer_unavailable")


@dataclass
class Gift:
    """What one player gives: ``items`` maps inventory ids to quantities, and gold."""

    user_id: int
    items: dict[int, int] = field(default_factory=dict)
    gold: int = 0


def offer_check(*, user_id: int, items: dict[int, int], gold: int) -> dict[int, InventoryItem]:
    """Raise ``invalid`` unless the player owns these unequipped items and this gold now.

    A read without locks, for an offer being set; the swap checks again under its locks.
    Returns the items by id (with their templates).
    """
    _require_positive(items=items, gold=gold)
    owned = {
        item.pk: item
        for item in InventoryItem.objects.select_related("template").filter(pk__in=list(items), player_id=user_id)
    }
    for inventory_id, quantity in items.items():
        item = owned.get(inventory_id)
        if item is None:
            raise ApplicationError(
                f"Item {inventory_id} is not in your inventory.", code="invalid", extra={"reason": "not_owned"}
            )
        if item.equipped:
            raise ApplicationError(
                f"Unequip {item.template.name} to trade it.", code="invalid", extra={"reason": "equipped"}
            )
        if item.quantity < quantity:
            raise ApplicationError(
                f"You have only {item.quantity} of {item.template.name}.",
                code="invalid",
                extra={"reason": "not_enough_items"},
            )
    if gold:
        balance = Player.objects.filter(pk=user_id).values_list("gold", flat=True).first() or 0
        if balance < gold:
            raise ApplicationError(
                "You do not have that much gold.", code="invalid", extra={"reason": "not_enough_gold"}
            )
    return owned


def _require_positive(*, items: dict[int, int], gold: int) -> None:
    if gold < 0 or any(quantity < 1 for quantity in items.values()):
        raise ApplicationError("Quantities and gold must be positive.", code="invalid")


def _give_items(*, giver: Player, receiver: Player, items: dict[int, int]) -> None:
    locked = {
        item.pk: item
        for item in InventoryItem.objects.select_for_update()
        .select_related("template")
        .filter(pk__in=list(items), player=giver)
        .order_by("pk")
    }
    for inventory_id in sorted(items):
        quantity = items[inventory_id]
        item = locked.get(inventory_id)
        if item is None or item.equipped or item.quantity < quantity:
            raise OfferUnavailable()
        if item.quantity == quantity:
            item.delete()
        else:
            InventoryItem.objects.filter(pk=item.pk).update(quantity=F("quantity") - quantity)
        inventory_grant(player=receiver, template=item.template, quantity=quantity)


@transaction.atomic
def trade_swap(*, first: Gift, second: Gift, reference: str) -> None:
    """``first`` gives its items and gold to ``second`` and the other way round, in one transaction.

    Gold moves through ``balance_change`` (a ledger row for each debit and each credit,
    reason ``trade``); a side short of gold or items raises ``offer_unavailable`` and
    nothing changes.
    """
    if first.user_id == second.user_id:
        raise ApplicationError("A player cannot trade with themselves.", code="invalid")
    # Checked again here, not only in offer_check: a negative gift would take from the other side.
    for gift in (first, second):
        _require_positive(items=gift.items, gold=gift.gold)
    players = {user_id: player_lock(user_id=user_id) for user_id in sorted((first.user_id, second.user_id))}
    for giver, receiver in ((first, second), (second, first)):
        _give_items(giver=players[giver.user_id], receiver=players[receiver.user_id], items=giver.items)
    for giver, receiver in ((first, second), (second, first)):
        if not giver.gold:
            continue
        try:
            balance_change(player=players[giver.user_id], gold=-giver.gold, reason="trade", reference=reference)
        except ApplicationError as exc:
            raise OfferUnavailable("Not enough gold left for this trade.") from exc
        balance_change(player=players[receiver.user_id], gold=giver.gold, reason="trade", reference=reference)
