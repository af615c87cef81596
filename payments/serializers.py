from gameplatform.http import serializers
from payments.models import Product, Purchase, Subscription


class ProductSerializer(serializers.ModelSerializer):
    grants = serializers.SerializerMethodField(
        help_text="what buying it gives: {premium_days}, {gems}, {item: {id, name}, quantity} "
        "or (a subscription) {entitlement, period}"
    )

    class Meta:
        model = Product
        fields = ["id", "name", "kind", "price", "currency", "grants", "period", "entitlement"]
        read_only_fields = fields

    def get_grants(self, product: Product) -> dict:
        return product.grants


class StorePurchaseSerializer(serializers.ModelSerializer):
    product = ProductSerializer()

    class Meta:
        model = Purchase
        fields = ["id", "product", "store", "status", "created_at", "refunded_at"]
        read_only_fields = fields


class StoreRedemptionSerializer(serializers.Serializer):
    """A redeemed store purchase (App Store or Google Play): the purchase and what it granted."""

    purchase = StorePurchaseSerializer()
    grants = serializers.DictField()


class StoreNotificationOutcomeSerializer(serializers.Serializer):
    """What a store's notification did (App Store or Google Play)."""

    outcome = serializers.CharField(help_text="revoked, ignored, duplicate (a repeat: nothing changed), ...")


class SubscriptionSerializer(serializers.ModelSerializer):
    product = ProductSerializer()

    class Meta:
        model = Subscription
        fields = ["id", "product", "store", "status", "current_period_end", "will_renew"]
        read_only_fields = fields
