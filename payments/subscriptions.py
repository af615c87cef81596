"""Every write of subscriptions: Stripe Billing, App Store auto-renewable subscriptions and Google
Play subscriptions, one state machine, one entitlement.

The state applied is always the store's own latest word, never a delta an event implies, so
events arriving in any order (a renewal before its purchase, a refund twice) end in the same
state: Stripe's and Google's subscription is read from their API while its row is locked (so two
processes apply their reads in turn, the later read last); the App Store's signed renewal and
transaction info carry ``signedDate``, and older data never overwrites newer (``state_at``).
Each notification is applied once by its id (``payments.services._event_apply``).

Locks, in this order: the store's event row, the subscription's row, the entitlement's row, the
user's row (``payments.entitlements``). Reading Stripe or Google under the subscription's row
lock is deliberate: it is what orders two reads of one subscription; it holds no other row.
"""

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from gameplatform.core.errors import ApplicationError, Conflict, NotFound
from payments import google_gateway, hooks, stripe_gateway
from payments.entitlements import entitlement_refresh
from payments.models import Product, Store, Subscription

Status = Subscription.Status
PERIOD = re.compile(r"^P(\d{1,3})([DWMY])$")
STRIPE_INTERVALS = {"D": "day", "W": "week", "M": "month", "Y": "year"}


class SubscriptionState(NamedTuple):
    """A subscription as its store says it is now."""

    status: str
    current_period_end: datetime
    will_renew: bool
    grace_until: datetime | None = None
    state_at: datetime | None = None  # the store's time of this data, where it gives one
    customer_id: str = ""


class StoreSubscription(NamedTuple):
    """What a store's read names: the subscription, its product, its owner if the store knows it."""

    store_subscription_id: str
    product: Product
    state: SubscriptionState
    user_id: int | None = None


def stripe_recurring(period: str) -> dict:
    """An ISO 8601 period (``P1M``) as Stripe's ``recurring`` (``{interval, interval_count}``)."""
    match = PERIOD.match(period)
    if match is None:
        raise ValueError(f"{period!r} is not a period of days, weeks, months or years (P1M)")
    return {"interval": STRIPE_INTERVALS[match[2]], "interval_count": int(match[1])}


# --- applying a store's word -------------------------------------------------------------


def _subscription_lock(found: StoreSubscription, *, store: str) -> tuple[Subscription, bool]:
    """The subscription's row, inserted from ``found`` if missing, locked: ``(row, inserted)``."""
    state = found.state
    try:
        with transaction.atomic():
            row = Subscription.objects.create(
                user_id=found.user_id,
                product=found.product,
                store=store,
                store_subscription_id=found.store_subscription_id,
                status=state.status,
                current_period_end=state.current_period_end,
                grace_until=state.grace_until,
                will_renew=state.will_renew,
                state_at=state.state_at,
                store_customer_id=state.customer_id,
            )
        return Subscription.objects.select_for_update().get(pk=row.pk), True
    except IntegrityError:
        row = Subscription.objects.select_for_update().get(
            store=store, store_subscription_id=found.store_subscription_id
        )
        return row, False


def _state_write(row: Subscription, state: SubscriptionState) -> str:
    """Write ``state`` on the locked row unless it is older than what the row holds (``stale``);
    ``changed`` or ``unchanged``. A refunded subscription that then expires stays refunded."""
    if state.state_at is not None and row.state_at is not None and state.state_at < row.state_at:
        return "stale"
    status = Status.REFUNDED if row.status == Status.REFUNDED and state.status == Status.EXPIRED else state.status
    fields = {
        "status": status,
        "current_period_end": state.current_period_end,
        "grace_until": state.grace_until,
        "will_renew": state.will_renew,
        "state_at": state.state_at or row.state_at,
        "store_customer_id": state.customer_id or row.store_customer_id,
    }
    changed = [name for name, value in fields.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, fields[name])
    if changed:
        row.save(update_fields=[*changed, "updated_at"])
    return "changed" if changed else "unchanged"


def subscription_apply(*, store: str, found: StoreSubscription, user_id: int | None = None) -> tuple[Subscription, str]:
    """Apply a store's word on a subscription, in the caller's transaction: ``(row, outcome)``.
    ``user_id``: the player presenting it (a redemption); a subscription someone else redeemed
    first is 409 ``already_redeemed``. Every change recounts the owner's entitlement and calls
    ``hooks.subscription_changed`` once."""
    row, inserted = _subscription_lock(found, store=store)
    return _apply_locked(row, found, user_id=user_id, inserted=inserted)


def _apply_locked(
    row: Subscription, found: StoreSubscription, *, user_id: int | None, inserted: bool
) -> tuple[Subscription, str]:
    owner_changed = False
    if user_id is not None and row.user_id != user_id:
        if row.user_id is not None:
            raise Conflict("This subscription was redeemed already.", code="already_redeemed")
        row.user_id, owner_changed = user_id, True
        row.save(update_fields=["user", "updated_at"])
    written = _state_write(row, found.state)
    if not (written == "changed" or inserted or owner_changed):
        return row, written
    if row.user_id is not None:
        entitlement_refresh(user_id=row.user_id, name=row.product.entitlement)
    hooks.subscription_changed(row)
    return row, row.status if row.user_id is not None else f"{row.status}_unclaimed"


GRACE_BATCH = 100  # subscriptions moved out of an ended grace per transaction


def graces_end(*, now: datetime | None = None) -> int:
    """Subscriptions whose grace ended with no word from their store (the renewal still failing)
    are ``past_due`` now, as the store's next word would say: one batch at a time, each row locked
    (``skip_locked``: a notification being applied to it goes first and decides), the entitlement
    recounted and ``hooks.subscription_changed`` called as for any change. Premium itself ended on
    time already (the entitlement's end is the grace's end); this keeps the listed status true.
    How many moved."""
    now = now or timezone.now()
    moved = 0
    while True:
        with transaction.atomic():
            rows = list(
                Subscription.objects.select_for_update(skip_locked=True)
                .filter(status=Status.GRACE, grace_until__lte=now)
                .select_related("product")
                .order_by("pk")[:GRACE_BATCH]
            )
            for row in rows:
                row.status, row.grace_until = Status.PAST_DUE, None
                row.save(update_fields=["status", "grace_until", "updated_at"])
                if row.user_id is not None:
                    entitlement_refresh(user_id=row.user_id, name=row.product.entitlement)
                hooks.subscription_changed(row)
        moved += len(rows)
        if len(rows) < GRACE_BATCH:
            return moved


def _fresh_apply(*, store: str, read: Callable[[], StoreSubscription | None]) -> "Outcome":
    """Stripe and Google: read the store, lock the row (inserting it from that read), read again
    under the lock and apply the second read, so of two processes the later read is applied last."""
    first = read()
    if first is None:
        return "not_ours", None  # not a subscription this server sold
    row, inserted = _subscription_lock(first, store=store)
    found = read() or first
    _row, outcome = _apply_locked(row, found, user_id=found.user_id, inserted=inserted)
    return outcome[:32], None


Outcome = tuple[str, None]


# --- the App Store -----------------------------------------------------------------------


def _ms(value) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, tz=UTC) if isinstance(value, int) else None


def apple_product(product_id) -> Product | None:
    """The subscription product of an App Store product id (its ``apple_product_id``, else its id)."""
    subscriptions = Product.objects.filter(kind=Product.Kind.SUBSCRIPTION)
    return (
        subscriptions.filter(apple_product_id=product_id).first()
        or subscriptions.filter(apple_product_id="", pk=product_id).first()
    )


def apple_state(transaction, renewal, *, signed_at: datetime | None) -> SubscriptionState:
    """The App Store's signed data in our statuses: revoked (a refund, Family Sharing ended) is
    ``refunded``; before ``expiresDate`` ``active``; then ``grace`` until the renewal info's
    ``gracePeriodExpiresDate``, ``past_due`` while Apple retries billing, else ``expired``."""
    expires, now = _ms(transaction.expiresDate) or timezone.now(), timezone.now()
    grace = _ms(renewal.gracePeriodExpiresDate) if renewal is not None else None
    grace_until = None
    if transaction.revocationDate is not None:
        status = Status.REFUNDED
    elif expires > now:
        status = Status.ACTIVE
    elif grace is not None and grace > now:
        status, grace_until = Status.GRACE, grace
    elif renewal is not None and renewal.isInBillingRetryPeriod:
        status = Status.PAST_DUE
    else:
        status = Status.EXPIRED
    renews = renewal is None or renewal.rawAutoRenewStatus == 1
    will_renew = renews and status in (Status.ACTIVE, Status.GRACE, Status.PAST_DUE)
    return SubscriptionState(status, expires, will_renew, grace_until, signed_at)


def apple_subscription_apply(*, transaction, renewal, signed_at: datetime | None, user_id: int | None = None):
    """An App Store subscription's signed data (a notification's, or the app's redemption), in the
    caller's transaction; data older (``signedDate``) than the row's changes nothing (``stale``)."""
    product = apple_product(transaction.productId)
    original = str(transaction.originalTransactionId or transaction.transactionId)
    found = StoreSubscription(original, product, apple_state(transaction, renewal, signed_at=signed_at), user_id)
    return subscription_apply(store=Store.APPLE, found=found, user_id=user_id)


# --- Google Play ---------------------------------------------------------------------------

# SubscriptionPurchaseV2.subscriptionState in our statuses (CANCELED: auto-renew off, still
# running until its expiry; see ``google_state``).
GOOGLE_STATES = {
    "SUBSCRIPTION_STATE_ACTIVE": Status.ACTIVE,
    "SUBSCRIPTION_STATE_IN_GRACE_PERIOD": Status.GRACE,
    "SUBSCRIPTION_STATE_ON_HOLD": Status.PAST_DUE,
    "SUBSCRIPTION_STATE_PAUSED": Status.PAST_DUE,
    "SUBSCRIPTION_STATE_PENDING": Status.PAST_DUE,
    "SUBSCRIPTION_STATE_CANCELED": Status.ACTIVE,
    "SUBSCRIPTION_STATE_EXPIRED": Status.EXPIRED,
    "SUBSCRIPTION_STATE_PENDING_PURCHASE_CANCELED": Status.CANCELLED,
}


def google_product(product_id) -> Product | None:
    """The subscription product of a Play Console product id (its ``google_product_id``, else its id)."""
    subscriptions = Product.objects.filter(kind=Product.Kind.SUBSCRIPTION)
    return (
        subscriptions.filter(google_product_id=product_id).first()
        or subscriptions.filter(google_product_id="", pk=product_id).first()
    )


def _rfc3339(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None
    except ValueError:
        return None


def google_state(purchase: dict, *, revoked: bool = False) -> SubscriptionState:
    """Google's SubscriptionPurchaseV2 in our statuses. In grace, Google's ``expiryTime`` is the
    grace's end. A revocation (a refund) is ``refunded``; the read then says only ``EXPIRED``."""
    item = (purchase.get("lineItems") or [{}])[0]
    expiry, now = _rfc3339(item.get("expiryTime")) or timezone.now(), timezone.now()
    status = GOOGLE_STATES.get(purchase.get("subscriptionState"), Status.PAST_DUE)
    if status == Status.ACTIVE and expiry <= now:
        status = Status.EXPIRED
    if revoked:
        status = Status.REFUNDED
    will_renew = bool((item.get("autoRenewingPlan") or {}).get("autoRenewEnabled")) and status != Status.REFUNDED
    return SubscriptionState(status, expiry, will_renew, expiry if status == Status.GRACE else None)


def _google_read(token: str, *, revoked: bool = False, acknowledge: list | None = None):
    def read() -> StoreSubscription | None:
        purchase = google_gateway.subscription_get(token=token)
        play_id = ((purchase.get("lineItems") or [{}])[0]).get("productId")
        product = google_product(play_id)
        if product is None:
            return None
        if acknowledge is not None and purchase.get("acknowledgementState") == "ACKNOWLEDGEMENT_STATE_PENDING":
            acknowledge[:] = [play_id]
        return StoreSubscription(token, product, google_state(purchase, revoked=revoked))

    return read


def _acknowledge_after_commit(pending: list, token: str) -> None:
    """Play refunds a subscription not acknowledged within three days: acknowledged once the
    state is committed (a failure is logged; the next notification or redemption retries)."""
    if pending:
        transaction.on_commit(lambda: google_gateway.subscription_acknowledge(product_id=pending[0], token=token))


def google_subscription_sync(token, *, revoked: bool = False) -> Outcome:
    """A subscription's developer notification, in the caller's transaction: Google's latest
    read of it (``subscriptionsv2.get``) applied, then acknowledged if it was not."""
    if not isinstance(token, str) or not token:
        return "no_subscription", None
    pending: list = []
    outcome = _fresh_apply(store=Store.GOOGLE, read=_google_read(token, revoked=revoked, acknowledge=pending))
    _acknowledge_after_commit(pending, token)
    return outcome


def google_subscription_redeem(*, user: User, product: Product, token: str) -> Subscription:
    """The app presents a Play subscription's purchase token: Google's read of it, owned by the
    player from now on (409 ``already_redeemed`` when another player has it)."""
    pending: list = []
    read = _google_read(token, acknowledge=pending)
    first = read()
    if first is None or first.product.pk != product.pk:
        raise ApplicationError("The purchase is of another product.", code="invalid_receipt")
    if first.state.status == Status.CANCELLED:
        raise ApplicationError("The purchase was canceled or is still pending.", code="invalid_receipt")
    with transaction.atomic():
        row, inserted = _subscription_lock(first, store=Store.GOOGLE)
        found = read() or first
        row, _outcome = _apply_locked(row, found, user_id=user.pk, inserted=inserted)
    if pending:  # committed: acknowledged now (a replay by the owner retries a failed one)
        google_gateway.subscription_acknowledge(product_id=pending[0], token=token)
    return row


# --- Stripe ------------------------------------------------------------------------------


def _epoch(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if isinstance(value, int | float) else None


def _stripe_period(sub: dict) -> tuple[datetime, datetime]:
    """The current period; on the subscription's items since API version 2025-03-31, on the
    subscription itself before."""
    items = (sub.get("items") or {}).get("data") or [{}]
    start = _epoch(items[0].get("current_period_start", sub.get("current_period_start")))
    end = _epoch(items[0].get("current_period_end", sub.get("current_period_end")))
    now = timezone.now()
    return start or now, end or now


def stripe_state(sub: dict) -> SubscriptionState:
    """Stripe's subscription in our statuses. A failed renewal (``past_due``) is ``grace`` for
    ``STRIPE_GRACE_DAYS`` from the period's start (when the renewal was tried) while Stripe
    retries, then ``past_due``; ``canceled`` is ``expired`` when it ran to its period's end,
    ``cancelled`` when it was ended early."""
    start, end = _stripe_period(sub)
    stripe_status, now = sub.get("status"), timezone.now()
    grace_until = None
    if stripe_status in ("active", "trialing"):
        status = Status.ACTIVE
    elif stripe_status == "past_due":
        grace_until = min(start + timedelta(days=settings.STRIPE_GRACE_DAYS), end)
        status = Status.GRACE if grace_until > now else Status.PAST_DUE
        grace_until = grace_until if status == Status.GRACE else None
    elif stripe_status in ("canceled", "incomplete_expired"):
        ended = _epoch(sub.get("ended_at")) or now
        ran_out = sub.get("cancel_at_period_end") or ended >= end or stripe_status == "incomplete_expired"
        status = Status.EXPIRED if ran_out else Status.CANCELLED
    else:  # incomplete (first payment not made), unpaid, paused
        status = Status.PAST_DUE
    will_renew = status in (Status.ACTIVE, Status.GRACE) and not sub.get("cancel_at_period_end")
    customer = sub.get("customer") if isinstance(sub.get("customer"), str) else ""
    return SubscriptionState(status, end, will_renew, grace_until, None, customer)


def _stripe_read(subscription_id: str) -> Callable[[], StoreSubscription | None]:
    def read() -> StoreSubscription | None:
        sub = stripe_gateway.subscription_retrieve(subscription_id=subscription_id)
        metadata = sub.get("metadata") or {}
        product = Product.objects.filter(pk=metadata.get("product_id"), kind=Product.Kind.SUBSCRIPTION).first()
        try:
            user_id = int(metadata.get("user_id"))
        except (TypeError, ValueError):
            user_id = None
        if product is None or user_id is None or not User.objects.filter(pk=user_id).exists():
            return None
        return StoreSubscription(subscription_id, product, stripe_state(sub), user_id)

    return read


def stripe_subscription_sync(subscription_id) -> Outcome:
    """A Stripe event about a subscription (``customer.subscription.*``, ``invoice.*``, a
    subscription's Checkout session), in the caller's transaction: Stripe's latest state applied."""
    if not isinstance(subscription_id, str) or not 0 < len(subscription_id) <= 255:
        return "no_subscription", None
    return _fresh_apply(store=Store.STRIPE, read=_stripe_read(subscription_id))


def stripe_invoice_subscription(invoice: dict):
    """The subscription an invoice bills: ``parent.subscription_details.subscription`` since API
    version 2025-03-31, ``subscription`` before."""
    details = ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    return details or invoice.get("subscription")


def subscription_cancel(*, user: User, subscription_id: int) -> Subscription:
    """Stop renewing: a Stripe subscription runs to its period's end (``cancel_at_period_end``);
    the App Store's and Google Play's are cancelled by the player in the store (409
    ``cancel_in_store``)."""
    row = Subscription.objects.filter(pk=subscription_id, user=user).first()
    if row is None:
        raise NotFound("No such subscription.", code="subscription_not_found")
    if row.store != Store.STRIPE:
        raise Conflict(
            "This subscription is cancelled in the store it was bought in (the device's subscription settings).",
            code="cancel_in_store",
        )
    stripe_gateway.subscription_stop_renewing(subscription_id=row.store_subscription_id)
    with transaction.atomic():
        stripe_subscription_sync(row.store_subscription_id)
    row.refresh_from_db()
    return row


def portal_start(*, user: User, return_base: str) -> dict:
    """Stripe's customer portal for the customer of the user's latest Stripe subscription; 404
    ``no_subscription`` when they have none."""
    stripe_gateway.stripe_require()
    row = (
        Subscription.objects.filter(user=user, store=Store.STRIPE).exclude(store_customer_id="").order_by("-id").first()
    )
    if row is None:
        raise NotFound("You have no Stripe subscription.", code="no_subscription")
    url = stripe_gateway.portal_session_create(
        customer_id=row.store_customer_id, return_url=return_base.rstrip("/") + "/play/"
    )
    return {"url": url}
