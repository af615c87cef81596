"""REST views of payments: thin; the rules are in services."""

from collections.abc import Callable

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes
from payments import apple_gateway, google_gateway, selectors, services, stripe_gateway, subscriptions
from payments.models import Purchase, Subscription
from payments.serializers import (
    ProductSerializer,
    StoreNotificationOutcomeSerializer,
    StorePurchaseSerializer,
    StoreRedemptionSerializer,
    SubscriptionSerializer,
)


class PaymentsApi(APIView):
    """A route of payments answers 404 ``not_configured`` while its store is off (products and
    purchases: while every store is)."""

    def require_configured(self) -> None:
        services.payments_require()

    def initial(self, request, *args, **kwargs):
        self.require_configured()
        super().initial(request, *args, **kwargs)


class StripeApi(PaymentsApi):
    def require_configured(self) -> None:
        stripe_gateway.stripe_require()


class AppleApi(PaymentsApi):
    def require_configured(self) -> None:
        apple_gateway.apple_require()


class ProductListApi(PaymentsApi, ListAPIView):
    serializer_class = ProductSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        return selectors.product_list()

    @extend_schema(
        tags=["payments"],
        summary="List the products",
        description="What can be bought with money (prices in minor units).",
    )
    @error_codes({404: ("not_configured",)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CheckoutApi(StripeApi):
    class InputSerializer(serializers.Serializer):
        product_id = serializers.CharField(max_length=64)

    class OutputSerializer(serializers.Serializer):
        url = serializers.URLField(help_text="Stripe's hosted Checkout page: send the buyer there")
        session_id = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer},
        tags=["payments"],
        summary="Start a Stripe Checkout",
        description="A Stripe Checkout session for one product. Nothing is granted until Stripe's signed "
        "webhook says the session was paid.",
    )
    @error_codes({404: ("not_configured", "product_not_found"), 502: ("payment_provider_error",)})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answer = services.stripe_checkout_start(
            user=request.user, product_id=data.validated_data["product_id"], return_base=request.build_absolute_uri("/")
        )
        return Response(self.OutputSerializer(answer).data, status=status.HTTP_201_CREATED)


class StripeWebhookApi(StripeApi):
    """Stripe's calls, authenticated by their signature (no token)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    class OutputSerializer(serializers.Serializer):
        outcome = serializers.CharField(help_text="granted, revoked, duplicate (a repeat: nothing changed), ...")

    @extend_schema(
        request=None,
        responses={200: OutputSerializer},
        tags=["payments"],
        summary="Receive Stripe's webhook events",
        description="Register this address as a webhook endpoint in Stripe (events: checkout.session.completed, "
        "checkout.session.async_payment_succeeded, charge.refunded, charge.dispute.closed, "
        "customer.subscription.created/updated/deleted, invoice.paid, invoice.payment_failed). Each event is "
        "applied once; a repeat answers 200 and changes nothing.",
    )
    @error_codes({400: ("bad_signature", "invalid"), 404: ("not_configured",)})
    def post(self, request):
        outcome = services.stripe_webhook_apply(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
        return Response({"outcome": outcome})


class PurchaseListApi(PaymentsApi, ListAPIView):
    serializer_class = StorePurchaseSerializer

    def get_queryset(self):
        return selectors.purchases_for(user=self.request.user)

    @extend_schema(tags=["payments"], summary="List my purchases", description="Newest first, refunded ones included.")
    @error_codes({404: ("not_configured",)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SubscriptionListApi(PaymentsApi, ListAPIView):
    serializer_class = SubscriptionSerializer

    def get_queryset(self):
        return selectors.subscriptions_for(user=self.request.user)

    @extend_schema(
        tags=["payments"],
        summary="List my subscriptions",
        description="Newest first, in every store: active and grace hold their entitlement.",
    )
    @error_codes({404: ("not_configured",)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SubscriptionCancelApi(PaymentsApi):
    @extend_schema(
        request=None,
        responses={200: SubscriptionSerializer},
        tags=["payments"],
        summary="Stop a subscription renewing",
        description="A Stripe subscription runs to its period's end and is not renewed (will_renew false). "
        "One of the App Store or Google Play is cancelled by the player in the store: 409 cancel_in_store.",
    )
    @error_codes(
        {404: ("not_configured", "subscription_not_found"), 409: ("cancel_in_store",), 502: ("payment_provider_error",)}
    )
    def post(self, request, subscription_id: int):
        row = subscriptions.subscription_cancel(user=request.user, subscription_id=subscription_id)
        return Response(SubscriptionSerializer(row).data)


class PortalApi(StripeApi):
    class OutputSerializer(serializers.Serializer):
        url = serializers.URLField(help_text="Stripe's customer portal: send the player there")

    @extend_schema(
        request=None,
        responses={201: OutputSerializer},
        tags=["payments"],
        summary="Open Stripe's customer portal",
        description="Where the player changes their card, sees their invoices and cancels.",
    )
    @error_codes({404: ("not_configured", "no_subscription"), 502: ("payment_provider_error",)})
    def post(self, request):
        answer = subscriptions.portal_start(user=request.user, return_base=request.build_absolute_uri("/"))
        return Response(self.OutputSerializer(answer).data, status=status.HTTP_201_CREATED)


class StoreRedeemApi(PaymentsApi):
    """Redeem a purchase of an app store (App Store, Google Play): a subclass names its store's
    ``InputSerializer``, ``require_configured``, ``redeem`` service (called with the user and the
    input's fields) and the ``error_codes`` it answers, and gives its summary and description with
    ``@extend_schema`` on the class; the rest of the operation's schema is made here, on the
    subclass's own copy of ``post`` (``extend_schema_view``)."""

    InputSerializer: type[serializers.Serializer]
    OutputSerializer = StoreRedemptionSerializer
    redeem: Callable[..., Purchase | Subscription]
    error_codes: dict[int, tuple[str, ...]]

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        extend_schema_view(
            post=[
                extend_schema(request=cls.InputSerializer, responses={200: cls.OutputSerializer}, tags=["payments"]),
                error_codes(cls.error_codes),
            ]
        )(cls)

    def post(self, request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        purchase = self.redeem(user=request.user, **data.validated_data)
        if isinstance(purchase, Subscription):
            body = {"subscription": SubscriptionSerializer(purchase).data, "grants": purchase.product.grants}
            return Response(body)
        return Response({"purchase": StorePurchaseSerializer(purchase).data, "grants": purchase.product.grants})


class StoreNotificationApi(PaymentsApi):
    """A store's calls, authenticated by their signature (no token of ours)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    OutputSerializer = StoreNotificationOutcomeSerializer


@extend_schema(
    summary="Redeem an App Store transaction",
    description="A StoreKit 2 signed transaction, verified with Apple's App Store Server Library against "
    "the configured root certificates, grants its product once (a subscription's: the subscription, owned by the "
    "player).",
)
class AppleRedeemApi(AppleApi, StoreRedeemApi):
    class InputSerializer(serializers.Serializer):
        signed_transaction = serializers.CharField(max_length=20000, help_text="StoreKit 2's jwsRepresentation")
        product_id = serializers.CharField(max_length=64)

    redeem = staticmethod(services.apple_transaction_redeem)
    error_codes = {400: ("invalid_receipt",), 404: ("not_configured", "product_not_found"), 409: ("already_redeemed",)}


class AppleNotificationApi(AppleApi, StoreNotificationApi):
    """Apple's calls, authenticated by their signature (no token)."""

    class InputSerializer(serializers.Serializer):
        signedPayload = serializers.CharField(max_length=100_000)  # noqa: N815 - Apple's name

    @extend_schema(
        request=InputSerializer,
        responses={200: StoreNotificationApi.OutputSerializer},
        tags=["payments"],
        summary="Receive App Store Server Notifications",
        description="Set this address as the App Store Server Notifications V2 URL in App Store Connect. REFUND "
        "and REVOKE take the purchase back; each notification is applied once.",
    )
    @error_codes({400: ("bad_signature", "invalid", "invalid_receipt"), 404: ("not_configured",)})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = services.apple_notification_apply(signed_payload=data.validated_data["signedPayload"])
        return Response({"outcome": outcome})


@extend_schema(
    summary="Redeem a Google Play purchase",
    description="A Play Billing purchase token, verified through Google's Play Developer API "
    "(purchases.products.get), grants its product once; the purchase is acknowledged afterwards.",
)
class GoogleRedeemApi(StoreRedeemApi):
    class InputSerializer(serializers.Serializer):
        purchase_token = serializers.CharField(max_length=1000, help_text="the Play Billing purchase's purchaseToken")
        product_id = serializers.CharField(max_length=64)

    def require_configured(self) -> None:
        google_gateway.google_require()

    redeem = staticmethod(services.google_purchase_redeem)
    error_codes = {
        400: ("invalid_receipt",),
        404: ("not_configured", "product_not_found"),
        409: ("already_redeemed",),
        502: ("payment_provider_error",),
    }


class GoogleNotificationApi(StoreNotificationApi):
    """Pub/Sub's pushes, authenticated by Google's signed id token (no token of ours)."""

    def require_configured(self) -> None:
        google_gateway.notifications_require()

    @extend_schema(
        request=None,
        responses={200: StoreNotificationApi.OutputSerializer},
        tags=["payments"],
        summary="Receive Google Play's real-time developer notifications",
        description="The push endpoint of the Pub/Sub subscription of the app's developer notifications topic, "
        "with authentication on (its audience is GOOGLE_PLAY_PUSH_AUDIENCE). A voided purchase is taken back; "
        "each message is applied once.",
    )
    @error_codes(
        {
            400: ("bad_signature", "invalid", "invalid_receipt"),
            404: ("not_configured",),
            502: ("payment_provider_error",),
        }
    )
    def post(self, request):
        outcome = services.google_notification_apply(
            authorization=request.headers.get("Authorization", ""), envelope=request.data
        )
        return Response({"outcome": outcome})
