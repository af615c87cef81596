"""Every non-trivial read of payments."""

from django.db.models import QuerySet

from accounts.models import User
from payments.models import Product, Purchase


def product_list() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).select_related("item")


def purchases_for(*, user: User) -> QuerySet[Purchase]:
    return Purchase.objects.filter(user=user).select_related("product__item").order_by("-id")
