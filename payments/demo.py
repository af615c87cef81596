"""Demo data: the two products the contract names and a monthly premium subscription, sold through
Stripe Checkout when it is configured."""

from payments.models import Product, Purchase

# id, name, kind, price (minor units), what it grants
PRODUCTS = [
    ("premium-30d", "Premium for 30 days", Product.Kind.PREMIUM, 499, {"premium_days": 30}),
    ("gems-100", "100 gems", Product.Kind.GEMS, 199, {"gems": 100}),
    (
        "premium-monthly",
        "Premium, monthly",
        Product.Kind.SUBSCRIPTION,
        499,
        {"period": "P1M", "entitlement": "premium"},
    ),
]


def seed(*, users, stdout) -> None:
    for order, (product_id, name, kind, price, grants) in enumerate(PRODUCTS):
        Product.objects.update_or_create(
            pk=product_id,
            defaults={"name": name, "kind": kind, "price": price, "currency": "usd", "sort_order": order, **grants},
        )
    stdout.write(f"Payments: products {', '.join(p[0] for p in PRODUCTS)}.")


def clear() -> None:
    """The demo products nobody bought (a product with purchases stays: they name it)."""
    ids = [p[0] for p in PRODUCTS]
    Product.objects.filter(pk__in=ids).exclude(pk__in=Purchase.objects.values("product_id")).delete()
