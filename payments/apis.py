"""REST views of payments: thin; the rules are in services."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from gameplatform import serializers
from gameplatform.schema import error_codes
from payments import selectors, services, stripe_gateway
from payments.serializers import ProductSerializer, StorePurchaseSerializer


class PaymentsApi(APIView):
    """Every route of payments answers 404 ``not_configured`` while no store is configured."""

    def initial(self, request, *args, **kwargs):
        stripe_gateway.stripe_require()
        super().initial(request, *args, **kwargs)


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


class CheckoutApi(PaymentsApi):
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


class StripeWebhookApi(PaymentsApi):
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
        "checkout.session.async_payment_succeeded, charge.refunded, charge.dispute.closed). Each event is applied "
        "once; a repeat answers 200 and changes nothing.",
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
