"""Every non-trivial read of payments."""

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.expressions import Expression
from django.db.models.functions import Coalesce

from accounts.models import User
from payments.models import Product, Purchase


def product_list() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).select_related("item")


def purchases_for(*, user: User) -> QuerySet[Purchase]:
    return Purchase.objects.filter(user=user).select_related("product__item").order_by("-id")


def spent_cents_of(*, user_ref: str = "pk") -> Expression:
    """What the user ``OuterRef(user_ref)`` paid for purchases still granted (refunds taken away), in
    cents, as an expression of a query over users: each at its product's catalog price, which is in
    cents whatever the store (a store's ``amount`` is not)."""
    total = Purchase.objects.filter(user_id=OuterRef(user_ref), status=Purchase.Status.GRANTED)
    total = total.values("user_id").annotate(total=Sum("product__price")).values("total")
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))
