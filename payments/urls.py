from django.urls import path

from payments import apis

urlpatterns = [
    path("payments/products/", apis.ProductListApi.as_view(), name="payments-products"),
    path("payments/checkout/", apis.CheckoutApi.as_view(), name="payments-checkout"),
    path("payments/stripe/webhook/", apis.StripeWebhookApi.as_view(), name="payments-stripe-webhook"),
    path("payments/apple/", apis.AppleRedeemApi.as_view(), name="payments-apple"),
    path("payments/apple/notifications/", apis.AppleNotificationApi.as_view(), name="payments-apple-notifications"),
    path("payments/google/", apis.GoogleRedeemApi.as_view(), name="payments-google"),
    path("payments/google/notifications/", apis.GoogleNotificationApi.as_view(), name="payments-google-notifications"),
    path("payments/purchases/", apis.PurchaseListApi.as_view(), name="payments-purchases"),
    path("payments/subscriptions/", apis.SubscriptionListApi.as_view(), name="payments-subscriptions"),
    path(
        "payments/subscriptions/<id:subscription_id>/cancel/",
        apis.SubscriptionCancelApi.as_view(),
        name="payments-subscription-cancel",
    ),
    path("payments/portal/", apis.PortalApi.as_view(), name="payments-portal"),
]
