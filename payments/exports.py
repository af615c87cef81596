"""This app's part of the player's data export (``accounts.exports``)."""

from accounts.exports import ExportPart, rows
from payments.models import Entitlement, Purchase, Subscription


def purchases_part(user) -> list[dict]:
    return rows(Purchase.objects.filter(user=user))


def subscriptions_part(user) -> list[dict]:
    return rows(Subscription.objects.filter(user=user))


def entitlements_part(user) -> list[dict]:
    return rows(Entitlement.objects.filter(user=user))


PARTS = {
    "purchases": ExportPart(purchases_part, covers=("payments.Purchase.user",)),
    "subscriptions": ExportPart(subscriptions_part, covers=("payments.Subscription.user",)),
    "entitlements": ExportPart(entitlements_part, covers=("payments.Entitlement.user",)),
}
