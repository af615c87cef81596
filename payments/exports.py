"""This app's part of the player's data export (``accounts.exports``)."""

from accounts.exports import ExportPart, rows
from payments.models import Purchase


def purchases_part(user) -> list[dict]:
    return rows(Purchase.objects.filter(user=user))


def subscriptions_part(user) -> list[dict]:
    """No subscription model yet: an empty list, so the key is there for clients."""
    return []


PARTS = {
    "purchases": ExportPart(purchases_part, covers=("payments.Purchase.user",)),
    "subscriptions": ExportPart(subscriptions_part, covers=()),
}
