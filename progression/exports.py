"""This app's part of the player's data export (``accounts.exports``)."""

from accounts.exports import ExportPart, rows
from progression.models import Egg, InventoryItem, LedgerEntry, Pet, Player, Purchase


def player_part(user) -> dict | None:
    player = rows(Player.objects.filter(user=user))
    return player[0] if player else None


def inventory_part(user) -> list[dict]:
    return rows(InventoryItem.objects.filter(player__user=user))


def pets_part(user) -> dict:
    return {"pets": rows(Pet.objects.filter(player__user=user)), "eggs": rows(Egg.objects.filter(player__user=user))}


def ledger_part(user) -> list[dict]:
    return rows(LedgerEntry.objects.filter(player__user=user))


def shop_part(user) -> list[dict]:
    return rows(Purchase.objects.filter(player__user=user))


PARTS = {
    # IdempotencyKey: a replay guard's stored answers, kept a day; not the player's data.
    "player": ExportPart(player_part, covers=("progression.Player.user", "progression.IdempotencyKey.user")),
    "inventory": ExportPart(inventory_part, covers=()),
    "pets": ExportPart(pets_part, covers=()),
    "ledger": ExportPart(ledger_part, covers=()),
    "shop_purchases": ExportPart(shop_part, covers=()),
}
