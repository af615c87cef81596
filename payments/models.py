"""What can be bought with money, what was bought, and which store events were applied.

Exactly once is the database's job: a store's transaction id is unique per store (one purchase,
one grant, whichever process or user presents it), a store's event id is unique (a repeated
webhook finds its row and changes nothing), and a store's payment has one row that its purchase
and its refunds meet on, whichever comes first.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

# The longest store event id kept (Stripe's are about 30 characters); a longer one is refused.
EVENT_ID_MAX_LENGTH = 255
# The longest store transaction id kept (Google Play's purchase tokens: Google promises no length).
TRANSACTION_ID_MAX_LENGTH = 1000
# The longest store payment id kept (Stripe's PaymentIntent ids are about 30 characters).
PAYMENT_ID_MAX_LENGTH = 255


class Product(models.Model):
    class Kind(models.TextChoices):
        PREMIUM = "premium"
        GEMS = "gems"
        ITEM = "item"
        SUBSCRIPTION = "subscription"

    id = models.SlugField(primary_key=True, max_length=64, help_text="e.g. premium-30d, gems-100")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    price = models.PositiveIntegerField(help_text="In the currency's minor unit (cents): 499 is 4.99.")
    currency = models.CharField(max_length=3, default="usd", help_text="ISO 4217, lower case (Stripe's form).")
    premium_days = models.PositiveIntegerField(default=0)
    gems = models.PositiveIntegerField(default=0)
    item = models.ForeignKey(
        "progression.ItemTemplate", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item_quantity = models.PositiveIntegerField(default=1)
    # A subscription's billing period (ISO 8601: P1M, P1Y, P7D) and the entitlement it holds.
    period = models.CharField(
        max_length=16,
        blank=True,
        validators=[
            RegexValidator(r"^(P[0-9]{1,3}[DWMY])?$", "An ISO 8601 period of days, weeks, months or years: P1M.")
        ],
        help_text="ISO 8601 duration, e.g. P1M (subscriptions)",
    )
    entitlement = models.SlugField(max_length=32, blank=True, help_text="e.g. premium (subscriptions)")
    # The product's id in App Store Connect, when it differs from ``id``.
    apple_product_id = models.CharField(max_length=100, blank=True)
    # The product's id in the Play Console, when it differs from ``id``.
    google_product_id = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="premium", premium_days__gte=1, gems=0, item__isnull=True)
                | Q(kind="gems", gems__gte=1, premium_days=0, item__isnull=True)
                | Q(kind="item", item__isnull=False, item_quantity__gte=1, premium_days=0, gems=0)
                | Q(kind="subscription", premium_days=0, gems=0, item__isnull=True)
                & ~Q(period="")
                & ~Q(entitlement=""),
                name="payments_product_grants_match_kind",
            ),
            models.CheckConstraint(condition=Q(price__gte=1), name="payments_product_price_gte_1"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def grants(self) -> dict:
        if self.kind == self.Kind.PREMIUM:
            return {"premium_days": self.premium_days}
        if self.kind == self.Kind.GEMS:
            return {"gems": self.gems}
        if self.kind == self.Kind.SUBSCRIPTION:
            return {"entitlement": self.entitlement, "period": self.period}
        return {"item": {"id": self.item_id, "name": self.item.name}, "quantity": self.item_quantity}


class Store(models.TextChoices):
    STRIPE = "stripe"
    APPLE = "apple"
    GOOGLE = "google"


class Purchase(models.Model):
    class Status(models.TextChoices):
        GRANTED = "granted"
        REFUNDED = "refunded"

    # Kept when the player deletes their account (a sale is a record the law keeps), without them.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="store_purchases"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="purchases")
    store = models.CharField(max_length=16, choices=Store.choices)
    # Stripe: the Checkout session's id; the App Store: its transaction id; Google Play: the
    # purchase token (Google promises no length: room to spare).
    store_transaction_id = models.CharField(max_length=TRANSACTION_ID_MAX_LENGTH)
    # Stripe: the PaymentIntent, which refunds and disputes name; Google Play: the order id.
    store_payment_id = models.CharField(max_length=PAYMENT_ID_MAX_LENGTH, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.GRANTED)
    amount = models.PositiveBigIntegerField(
        help_text="What the store charged: minor units (Stripe), milliunits (App Store); Google Play: "
        "the catalog's price (the Play Developer API does not say what the buyer paid)."
    )
    currency = models.CharField(max_length=3)
    # Gems a refund could not take back because they were spent (the balance never goes below 0).
    unrecovered_gems = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "-id"], name="payments_purchase_user_idx")]
        constraints = [
            models.UniqueConstraint(fields=["store", "store_transaction_id"], name="payments_purchase_once_per_store"),
            models.CheckConstraint(
                condition=Q(status="granted", refunded_at__isnull=True)
                | Q(status="refunded", refunded_at__isnull=False),
                name="payments_purchase_status_matches",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.store} purchase {self.pk} of {self.product_id}"


class StoreEvent(models.Model):
    """A store's webhook event, recorded in the transaction that applied it."""

    store = models.CharField(max_length=16, choices=Store.choices)
    event_id = models.CharField(max_length=EVENT_ID_MAX_LENGTH)
    type = models.CharField(max_length=100)
    outcome = models.CharField(max_length=32, help_text="granted, revoked, or why nothing changed")
    purchase = models.ForeignKey(Purchase, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["store", "event_id"], name="payments_event_once")]

    def __str__(self) -> str:
        return f"{self.store} {self.type} {self.event_id}"


class StorePayment(models.Model):
    """One payment of a store (Stripe: a PaymentIntent), and whether it was taken back.

    Stripe does not promise the order of events: a refund or a lost dispute may arrive before
    the purchase it takes back. The purchase and the reversal each insert this row if it is
    missing and lock it before they look for each other, so the one that comes second sees the
    first, also when both arrive at once (the second insert waits on the unique index until the
    first transaction ends). A reversal is kept here, and a purchase whose payment was reversed
    before it landed is recorded as refunded and never granted.
    """

    class Reversal(models.TextChoices):
        NONE = "", "none"
        REFUND = "refund"
        DISPUTE = "dispute", "lost dispute"

    store = models.CharField(max_length=16, choices=Store.choices)
    payment_id = models.CharField(max_length=PAYMENT_ID_MAX_LENGTH)
    reversal = models.CharField(max_length=16, choices=Reversal.choices, blank=True, default="")
    reversed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "payment_id"], name="payments_payment_once_per_store"),
            models.CheckConstraint(condition=~Q(payment_id=""), name="payments_payment_id_not_empty"),
            models.CheckConstraint(
                condition=Q(reversal="", reversed_at__isnull=True)
                | Q(reversal__in=["refund", "dispute"], reversed_at__isnull=False),
                name="payments_payment_reversal_matches",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.store} payment {self.payment_id}"


class Subscription(models.Model):
    """One subscription in one store, as that store last said it was.

    Unique per (store, the store's id: Stripe's subscription id, the App Store's original
    transaction id, Google Play's purchase token), so every event of it meets on this row,
    whichever comes first. A store notification may come before the app presents the purchase
    (the App Store, Google Play): the row then has no user until the app redeems it.
    ``state_at`` is the store's time of the data applied last (the App Store's ``signedDate``):
    older data never overwrites newer.
    """

    class Status(models.TextChoices):
        ACTIVE = "active"
        GRACE = "grace"  # a renewal failed; the store retries and the entitlement still holds
        PAST_DUE = "past_due"  # a renewal failed and the grace period (if any) is over
        CANCELLED = "cancelled"  # ended before its period's end
        EXPIRED = "expired"  # ran to its period's end and was not renewed
        REFUNDED = "refunded"  # refunded or revoked by the store

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="subscriptions"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="subscriptions")
    store = models.CharField(max_length=16, choices=Store.choices)
    store_subscription_id = models.CharField(max_length=TRANSACTION_ID_MAX_LENGTH)
    # Stripe: the customer (for the billing portal).
    store_customer_id = models.CharField(max_length=PAYMENT_ID_MAX_LENGTH, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    current_period_end = models.DateTimeField()
    # Until when a failed renewal still holds the entitlement (status ``grace``).
    grace_until = models.DateTimeField(null=True, blank=True)
    will_renew = models.BooleanField(default=True)
    state_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "-id"], name="payments_subscription_user_idx")]
        constraints = [
            models.UniqueConstraint(fields=["store", "store_subscription_id"], name="payments_subscription_once"),
            models.CheckConstraint(
                condition=Q(status__in=["active", "grace", "past_due", "cancelled", "expired", "refunded"]),
                name="payments_subscription_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status="grace") | Q(grace_until__isnull=False),
                name="payments_subscription_grace_has_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.store} subscription {self.pk} of {self.product_id}"


class Entitlement(models.Model):
    """What a user holds by name (``premium``), whichever source holds it: one row per user and
    name, the one place the platform asks (``payments.selectors.entitlement_held``).

    ``granted_until``: one-time grants (a ``premium-30d`` purchase, an operator's days);
    ``subscribed_until``: the latest end among the user's subscriptions that hold it (``active``
    until their period's end, ``grace`` until the grace's end). Held while either is in the future.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entitlements")
    name = models.SlugField(max_length=32)
    granted_until = models.DateTimeField(null=True, blank=True)
    subscribed_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user_id", "name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="payments_entitlement_once")]

    def __str__(self) -> str:
        return f"{self.name} of user {self.user_id}"

    @property
    def until(self):
        ends = [end for end in (self.granted_until, self.subscribed_until) if end is not None]
        return max(ends) if ends else None


class RefundRequest(models.Model):
    """A store's question before it decides a refund (the App Store's ``CONSUMPTION_REQUEST``,
    Google Play's ``pendingRefundReviewNotification``), and the platform's answer: one row per
    request (Apple: its ``notificationUUID``; Google: a hash of its ``pendingRefundToken``), written in the
    transaction that recorded the notification, so a resent notification finds it and answers
    nothing new. The answer is sent after that transaction commits, and again by the timer
    ``payments.refund_answers_due`` while it failed and the store's window is open; ``body`` is
    what was sent (or would be), ``store_status`` what the store answered."""

    class Status(models.TextChoices):
        PENDING = "pending"  # to send (again, after a failure) before ``deadline``
        SENDING = "sending"  # claimed by one process; sent or back to pending within seconds
        SENT = "sent"  # the store accepted the answer
        EXPIRED = "expired"  # the window closed before the store accepted one
        NOT_SENT = "not_sent"  # nothing to send: not configured, no consent (``reason`` says)

    store = models.CharField(max_length=16, choices=Store.choices)
    request_id = models.CharField(
        max_length=EVENT_ID_MAX_LENGTH, help_text="Apple: the notificationUUID; Google: sha256 of the review's token"
    )
    # Apple: the transaction the request is about; Google Play: the order id.
    transaction_id = models.CharField(max_length=TRANSACTION_ID_MAX_LENGTH)
    # Google Play: the pendingRefundToken its answer must carry (Google promises no length).
    review_token = models.TextField(blank=True)
    purchase = models.ForeignKey(
        Purchase, null=True, blank=True, on_delete=models.SET_NULL, related_name="refund_requests"
    )
    customer_reason = models.CharField(
        max_length=32, blank=True, help_text="Apple: consumptionRequestReason; Google: refundReason"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=64, blank=True, help_text="why nothing was sent, or the last failure")
    body = models.JSONField(default=dict, blank=True, help_text="what was sent (the last attempt's)")
    attempts = models.PositiveSmallIntegerField(default=0)
    store_status = models.CharField(max_length=64, blank=True, help_text="the store's answer: HTTP status, error")
    received_at = models.DateTimeField(auto_now_add=True)
    deadline = models.DateTimeField(help_text="the store's window: Apple waits 12 hours, Google 24")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="payments_refundreq_due_idx")]
        constraints = [
            models.UniqueConstraint(fields=["store", "request_id"], name="payments_refund_request_once"),
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | (~Q(status="sent") & Q(sent_at__isnull=True)),
                name="payments_refund_request_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.store} refund request {self.request_id}"
