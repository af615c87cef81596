"""Every non-trivial read of payments."""

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.expressions import Expression
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from payments import apple_gateway, google_gateway, stripe_gateway
from payments.models import Entitlement, Product, Purchase, Subscription
from progression.hooks import GemPack
from progression.models import Currency
from progression.selectors import ledger_for


def product_list() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).select_related("item")


def payments_configured() -> bool:
    """At least one store is configured (else products and purchases answer 404 ``not_configured``)."""
    return stripe_gateway.stripe_configured() or apple_gateway.apple_configured() or google_gateway.google_configured()


def gem_packs() -> list[GemPack]:
    """The gem packs sold for money (the shop's real prices come from them); none while no store is
    configured (nothing could be bought)."""
    if not payments_configured():
        return []
    rows = product_list().filter(kind=Product.Kind.GEMS).values_list("pk", "gems", "price", "currency")
    return [GemPack(*row) for row in rows]


def purchases_for(*, user: User) -> QuerySet[Purchase]:
    return Purchase.objects.filter(user=user).select_related("product__item").order_by("-id")


def spent_cents_of(*, user_ref: str = "pk") -> Expression:
    """What the user ``OuterRef(user_ref)`` paid for purchases still granted (refunds taken away), in
    cents, as an expression of a query over users: each at its product's catalog price, which is in
    cents whatever the store (a store's ``amount`` is not)."""
    total = Purchase.objects.filter(user_id=OuterRef(user_ref), status=Purchase.Status.GRANTED)
    total = total.values("user_id").annotate(total=Sum("product__price")).values("total")
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


def entitlement_held(*, user: User, name: str) -> bool:
    """Whether the user holds ``name`` now (any subscription active or in grace, or a one-time
    grant running): the one question the rest of the platform asks."""
    entitlement = Entitlement.objects.filter(user=user, name=name).first()
    if entitlement is not None and entitlement.until is not None and entitlement.until > timezone.now():
        return True
    # An operator's premium without an end lives on the account only (accounts knows no payments).
    return name == "premium" and User.objects.filter(pk=user.pk, is_premium=True, premium_until__isnull=True).exists()


def subscriptions_for(*, user: User) -> QuerySet[Subscription]:
    return Subscription.objects.filter(user=user).select_related("product__item").order_by("-id")


# Apple's and Google's unit for a share of a purchase: milliunits of a percent (100000 is 100%).
CONSUMED_ALL = 100_000


def purchase_consumption(*, purchase: Purchase) -> int | None:
    """How much of what ``purchase`` granted was used, in milliunits (0 to 100000), from the
    platform's own records; None where the records cannot say (an item, a subscription, a
    purchase of a deleted account).

    Gems: of the gems the purchase put in the wallet (its ``store_purchase`` row in progression's
    ledger), the player's spending of gems since that row, at most all of them (a refund's own
    take-back is no spending). Premium days: the share of the days elapsed since the purchase."""
    product = purchase.product
    if purchase.user_id is None:
        return None
    if product.kind == Product.Kind.PREMIUM:
        elapsed = (timezone.now() - purchase.created_at).total_seconds()
        return min(CONSUMED_ALL, max(0, int(CONSUMED_ALL * elapsed / (product.premium_days * 86_400))))
    if product.kind != Product.Kind.GEMS:
        return None
    ledger = ledger_for(user=purchase.user).filter(currency=Currency.GEMS)
    grant = ledger.filter(reason="store_purchase", reference=f"purchase:{purchase.pk}").order_by("id").first()
    if grant is None:
        return None
    spending = ledger.filter(id__gt=grant.pk, amount__lt=0).exclude(reason="store_refund")
    spent = -(spending.aggregate(total=Sum("amount"))["total"] or 0)
    return CONSUMED_ALL * min(spent, grant.amount) // grant.amount
