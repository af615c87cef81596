"""Every non-trivial read of payments."""

from django.db.models import QuerySet, Sum

from accounts.models import User
from payments.models import Product, Purchase


def product_list() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).select_related("item")


def purchases_for(*, user: User) -> QuerySet[Purchase]:
    return Purchase.objects.filter(user=user).select_related("product__item").order_by("-id")


def spent_cents(*, user_id: int) -> int:
    """What the user paid for purchases still granted (refunds taken away), in cents: each at its
    product's catalog price, which is in cents whatever the store (a store's ``amount`` is not)."""
    total = Purchase.objects.filter(user_id=user_id, status=Purchase.Status.GRANTED).aggregate(
        total=Sum("product__price")
    )["total"]
    return total or 0
