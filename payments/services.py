"""Every write of payments: checkout, and the grant and reversal of what was bought.

Exactly once, whichever way an event arrives: the store's event row is inserted first, in the
transaction that applies it. A second delivery of that event (Stripe's retry, or the same event
reaching two processes at once) blocks on the unique index until the first commits, then fails
to insert and changes nothing; if the first rolled back, nothing was recorded and the second
applies it. A purchase is unique per (store, store's transaction id), so two different events of
one Checkout session (``completed`` and ``async_payment_succeeded``) still grant once.

Whichever order a purchase and its refund (or lost dispute) arrive in, they meet on their
payment's row (``StorePayment``, unique per store and payment id): each inserts it if it is
missing and locks it before looking for the other. A refund that comes first is kept on that row,
and its purchase, when it lands, is recorded as refunded and never granted; a refund that comes
while its purchase is being granted waits for that transaction and takes the purchase back.

Locks, in this order: the event row, the payment row, the purchase row, then the user's premium
or the player's wallet (through their own apps' services, which write the ledger).
"""

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import age
from accounts.models import User
from gameplatform.core.errors import ApplicationError, Conflict, NotFound
from payments import apple_gateway, google_gateway, hooks, refunds, stripe_gateway, subscriptions
from payments.entitlements import PREMIUM, entitlement_grant, entitlement_shorten
from payments.models import (
    EVENT_ID_MAX_LENGTH,
    PAYMENT_ID_MAX_LENGTH,
    TRANSACTION_ID_MAX_LENGTH,
    Product,
    Purchase,
    Store,
    StoreEvent,
    StorePayment,
    Subscription,
)
from payments.selectors import payments_configured, product_list
from progression.services import balance_change, inventory_grant, inventory_take, player_lock

logger = logging.getLogger(__name__)


def payments_require() -> None:
    """Products and purchases exist while at least one store is configured."""
    if not payments_configured():
        raise NotFound("Payments are not configured on this server.", code="not_configured")


# --- checkout -----------------------------------------------------------------------


def _product_on_sale(product_id: str) -> Product:
    """The product a store sells, with its item; 404 ``product_not_found`` for one not on sale."""
    product = product_list().filter(pk=product_id).first()
    if product is None:
        raise NotFound("No such product.", code="product_not_found")
    return product


def stripe_checkout_start(*, user: User, product_id: str, return_base: str) -> dict:
    """A Stripe Checkout session for one product: ``{url, session_id}``. Nothing is granted
    here: only the signed ``checkout.session.completed`` webhook grants (``stripe_webhook_apply``).
    ``return_base`` is this server's address, for the default success and cancel pages."""
    stripe_gateway.stripe_require()
    product = _product_on_sale(product_id)
    session_id, url = stripe_gateway.checkout_session_create(
        params=_checkout_params(user=user, product=product, return_base=return_base)
    )
    return {"url": url, "session_id": session_id}


def _checkout_params(*, user: User, product: Product, return_base: str) -> dict:
    if product.kind == Product.Kind.SUBSCRIPTION:
        return _subscription_checkout_params(user=user, product=product, return_base=return_base)
    play = return_base.rstrip("/") + "/play/"
    return {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": product.currency,
                    "unit_amount": product.price,
                    "product_data": {"name": product.name},
                },
            }
        ],
        # The buyer and the product travel with the session and come back in its webhook.
        "client_reference_id": str(user.pk),
        "metadata": {"product_id": product.pk},
        "payment_intent_data": {"metadata": {"product_id": product.pk, "user_id": str(user.pk)}},
        "success_url": settings.STRIPE_SUCCESS_URL or f"{play}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": settings.STRIPE_CANCEL_URL or f"{play}?checkout=cancel",
    }


def _subscription_checkout_params(*, user: User, product: Product, return_base: str) -> dict:
    """Checkout in subscription mode: Stripe Billing renews it every ``period``; the subscription
    carries the buyer and the product in its metadata, which every later event's read returns."""
    play = return_base.rstrip("/") + "/play/"
    owner = {"product_id": product.pk, "user_id": str(user.pk)}
    return {
        "mode": "subscription",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": product.currency,
                    "unit_amount": product.price,
                    "product_data": {"name": product.name},
                    "recurring": subscriptions.stripe_recurring(product.period),
                },
            }
        ],
        "client_reference_id": str(user.pk),
        "metadata": {"product_id": product.pk},
        "subscription_data": {"metadata": owner},
        "success_url": settings.STRIPE_SUCCESS_URL or f"{play}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": settings.STRIPE_CANCEL_URL or f"{play}?checkout=cancel",
    }


# --- grants and reversals --------------------------------------------------------------


def purchase_grant(
    *,
    user_id: int,
    product: Product,
    store: str,
    transaction_id: str,
    payment_id: str,
    amount: int,
    currency: str,
    reversed_at: datetime | None = None,
) -> tuple[Purchase, bool]:
    """Record the purchase and grant the product, in the caller's transaction: ``(purchase,
    recorded)``; ``recorded`` is False when this store transaction was recorded before.

    ``reversed_at``: the payment was refunded (or lost a dispute) then, before this purchase
    landed; it is recorded as refunded at that time, and nothing is granted."""
    try:
        with transaction.atomic():
            purchase = Purchase.objects.create(
                user_id=user_id,
                product=product,
                store=store,
                store_transaction_id=transaction_id,
                store_payment_id=payment_id,
                amount=amount,
                currency=currency,
                status=Purchase.Status.GRANTED if reversed_at is None else Purchase.Status.REFUNDED,
                refunded_at=reversed_at,
            )
    except IntegrityError:
        return Purchase.objects.get(store=store, store_transaction_id=transaction_id), False
    if reversed_at is not None:
        return purchase, True
    reference = f"purchase:{purchase.pk}"
    if product.kind == Product.Kind.PREMIUM:
        entitlement_grant(user_id=user_id, name=PREMIUM, days=product.premium_days)
    elif product.kind == Product.Kind.GEMS:
        balance_change(
            player=player_lock(user_id=user_id), reason="store_purchase", reference=reference, gems=product.gems
        )
    else:
        inventory_grant(player=player_lock(user_id=user_id), template=product.item, quantity=product.item_quantity)
    hooks.purchase_granted(purchase)
    return purchase, True


def purchase_revoke(*, purchase_id: int) -> bool:
    """Take a refunded (or lost-dispute) purchase back, in the caller's transaction; False if it
    was already taken back.

    Gems come back as far as the wallet holds them: the balance never goes below zero (a
    database constraint), and what was already spent is kept on the purchase as
    ``unrecovered_gems`` for the operator (the admin lists such purchases). Items come back as
    far as the player still has them; premium loses the purchase's days (ending now if that
    was all that was left)."""
    purchase = Purchase.objects.select_for_update().select_related("product").get(pk=purchase_id)
    if purchase.status == Purchase.Status.REFUNDED:
        return False
    product = purchase.product
    if purchase.user_id is None:  # its buyer deleted their account: the record says refunded, nothing to take
        purchase.unrecovered_gems = product.gems if product.kind == Product.Kind.GEMS else 0
    elif product.kind == Product.Kind.PREMIUM:
        entitlement_shorten(user_id=purchase.user_id, name=PREMIUM, days=product.premium_days)
    elif product.kind == Product.Kind.GEMS:
        player = player_lock(user_id=purchase.user_id)
        taken = min(product.gems, player.gems)
        if taken:
            balance_change(player=player, reason="store_refund", reference=f"purchase:{purchase.pk}", gems=-taken)
        purchase.unrecovered_gems = product.gems - taken
    else:
        inventory_take(
            player=player_lock(user_id=purchase.user_id), template=product.item, quantity=product.item_quantity
        )
    purchase.status, purchase.refunded_at = Purchase.Status.REFUNDED, timezone.now()
    purchase.save(update_fields=["status", "refunded_at", "unrecovered_gems"])
    hooks.purchase_refunded(purchase)
    return True


def _store_purchase_revoke(*, store: str, transaction_id: str) -> "Outcome":
    """A store's refund notification applied: the purchase of that store transaction taken back."""
    purchase = Purchase.objects.filter(store=store, store_transaction_id=transaction_id).first()
    if purchase is None:
        return "no_purchase", None
    return ("revoked" if purchase_revoke(purchase_id=purchase.pk) else "already_revoked"), purchase.pk


class StoreReceipt(NamedTuple):
    """What an app store says was paid, verified: the purchase's ids and price in that store."""

    transaction_id: str  # unique per store: redeemed once
    payment_id: str
    amount: int
    currency: str


def _store_purchase_redeem(
    *,
    user: User,
    product: Product,
    store: str,
    receipt: StoreReceipt,
    what: str,
    then: Callable[[], None] | None = None,
) -> Purchase:
    """Grant the product an app store's verified receipt paid for, once, in a transaction of its
    own: a store transaction already redeemed, by anyone, is 409 ``already_redeemed`` (the
    purchase's unique constraint decides, also between two processes at once). ``then`` runs
    after the grant committed, on a replay too, before the refusal (``what``: the receipt's
    name in it, "transaction")."""
    with transaction.atomic():
        purchase, granted = purchase_grant(user_id=user.pk, product=product, store=store, **receipt._asdict())
    if then is not None:
        then()
    if not granted:
        raise Conflict(f"This {what} was redeemed already.", code="already_redeemed")
    return purchase


# --- the App Store ---------------------------------------------------------------------


def apple_transaction_redeem(*, user: User, signed_transaction: str, product_id: str) -> Purchase | Subscription:
    """Grant the product a StoreKit 2 signed transaction paid for, once: a transaction id already
    redeemed, by anyone, is 409 ``already_redeemed`` (``_store_purchase_redeem``)."""
    apple_gateway.apple_require()
    product = _product_on_sale(product_id)
    paid = apple_gateway.transaction_verify(signed_transaction=signed_transaction)
    if paid.productId != (product.apple_product_id or product.pk):
        raise ApplicationError("The transaction paid for another product.", code="invalid_receipt")
    if paid.revocationDate is not None:
        raise ApplicationError("Apple refunded or revoked this transaction.", code="invalid_receipt")
    if product.kind == Product.Kind.SUBSCRIPTION:
        signed_at = datetime.fromtimestamp(paid.signedDate / 1000, tz=UTC) if paid.signedDate else None
        with transaction.atomic():
            row, _outcome = subscriptions.apple_subscription_apply(
                transaction=paid, renewal=None, signed_at=signed_at, user_id=user.pk
            )
        return row
    receipt = StoreReceipt(
        transaction_id=str(paid.transactionId),
        payment_id=str(paid.originalTransactionId or ""),
        amount=max(paid.price or 0, 0),
        currency=(paid.currency or "").lower()[:3],
    )
    return _store_purchase_redeem(user=user, product=product, store=Store.APPLE, receipt=receipt, what="transaction")


def _apple_revoke(notification, transaction) -> "Outcome":
    """A refund or revocation (Family Sharing ended) of a one-time purchase: taken back.
    REFUND_REVERSED (a refund undone) is left to the operator."""
    return _store_purchase_revoke(store=Store.APPLE, transaction_id=str(transaction.transactionId))


def _apple_consumption_request(notification, transaction) -> "Outcome":
    """A customer asked Apple for a refund: answered with Send Consumption Information once this
    notification is committed (``refunds``)."""
    return refunds.apple_consumption_request_record(notification=notification, transaction_info=transaction)


# What each App Store notification type does to a one-time purchase; any other type is recorded
# and changes nothing. A subscription's notifications (any type) go to ``_apple_subscription``.
APPLE_HANDLERS: dict[str, Callable[..., "Outcome"]] = {
    "REFUND": _apple_revoke,
    "REVOKE": _apple_revoke,
    "CONSUMPTION_REQUEST": _apple_consumption_request,
}


def _apple_subscription(notification, transaction) -> "Outcome":
    """SUBSCRIBED, DID_RENEW, DID_FAIL_TO_RENEW (GRACE_PERIOD), GRACE_PERIOD_EXPIRED, EXPIRED,
    REFUND, REVOKE, DID_CHANGE_RENEWAL_STATUS...: the state the signed data says, newest wins."""
    signed_renewal = notification.data.signedRenewalInfo
    renewal = apple_gateway.renewal_info_verify(signed_renewal_info=signed_renewal) if signed_renewal else None
    signed_at = datetime.fromtimestamp(notification.signedDate / 1000, tz=UTC) if notification.signedDate else None
    _row, outcome = subscriptions.apple_subscription_apply(
        transaction=transaction, renewal=renewal, signed_at=signed_at
    )
    return outcome[:32], None


def apple_notification_apply(*, signed_payload: str) -> str:
    """Apply an App Store Server Notification V2 once (by its ``notificationUUID``): a dispatch by
    what it is about (a subscription) and its type (``APPLE_HANDLERS``)."""
    apple_gateway.apple_require()
    notification = apple_gateway.notification_verify(signed_payload=signed_payload)
    kind = notification.rawNotificationType or ""
    if not notification.notificationUUID:
        raise ApplicationError("The notification has no notificationUUID.", code="invalid")
    signed_transaction = notification.data.signedTransactionInfo if notification.data else None
    transaction_info = (
        apple_gateway.transaction_verify(signed_transaction=signed_transaction) if signed_transaction else None
    )
    install = _rescinded_install(notification) if kind == "RESCIND_CONSENT" else None
    if install is not None:
        handler = functools.partial(_apple_consent_rescinded, install)
    elif transaction_info is not None and subscriptions.apple_product(transaction_info.productId) is not None:
        handler = _apple_subscription
    else:
        handler = APPLE_HANDLERS.get(kind) if transaction_info is not None else None

    def apply() -> Outcome:
        return ("ignored", None) if handler is None else handler(notification, transaction_info)

    return _event_apply(store=Store.APPLE, event_id=notification.notificationUUID, event_type=kind, apply=apply)


def _apple_consent_rescinded(install: str, notification, transaction_info) -> "Outcome":
    """``RESCIND_CONSENT``: the install's accounts lose their sessions and consent-scoped data."""
    return ("consent_rescinded" if age.consent_rescind_for_install(app_transaction_id=install) else "no_account"), None


def _rescinded_install(notification) -> str | None:
    """The install a ``RESCIND_CONSENT`` names (its signed AppTransaction, verified), None if none."""
    signed = notification.appData.signedAppTransactionInfo if notification.appData else None
    return apple_gateway.app_transaction_id(signed) if signed else None


# --- Google Play -------------------------------------------------------------------------


def google_purchase_redeem(*, user: User, purchase_token: str, product_id: str) -> Purchase | Subscription:
    """Grant the product a Google Play purchase token paid for, once: a token already redeemed,
    by anyone, is 409 ``already_redeemed`` (``_store_purchase_redeem``). Google is asked about the
    token first (``purchases.products.get``); a purchase not yet acknowledged is acknowledged after
    the grant committed (Play refunds purchases left unacknowledged for three days), on a replay
    too, so a failed acknowledgement heals when the app retries."""
    google_gateway.google_require()
    product = _product_on_sale(product_id)
    if product.kind == Product.Kind.SUBSCRIPTION:
        return subscriptions.google_subscription_redeem(user=user, product=product, token=purchase_token)
    play_product_id = product.google_product_id or product.pk
    paid = google_gateway.purchase_get(product_id=play_product_id, token=purchase_token)
    if paid.get("productId", play_product_id) != play_product_id:
        raise ApplicationError("The purchase is of another product.", code="invalid_receipt")
    if paid.get("purchaseState") != google_gateway.PURCHASED:
        raise ApplicationError("The purchase was canceled or is still pending.", code="invalid_receipt")
    receipt = StoreReceipt(
        transaction_id=purchase_token,
        payment_id=str(paid.get("orderId") or ""),
        amount=product.price,
        currency=product.currency,
    )

    def acknowledge() -> None:
        if paid.get("acknowledgementState") == google_gateway.NOT_ACKNOWLEDGED:
            google_gateway.purchase_acknowledge(product_id=play_product_id, token=purchase_token)

    return _store_purchase_redeem(
        user=user, product=product, store=Store.GOOGLE, receipt=receipt, what="purchase token", then=acknowledge
    )


# voidedPurchaseNotification.refundType: 1 the whole purchase, 2 part of a multi-quantity one
# (left to the operator, as a partial Stripe refund is). Absent: voided without a refund type
# (a chargeback or a cancellation), the whole purchase.
GOOGLE_FULL_REFUND = 1
# subscriptionNotification.notificationType 12: SUBSCRIPTION_REVOKED (refunded, access ends now);
# voidedPurchaseNotification.productType 1: a subscription's purchase voided.
GOOGLE_SUBSCRIPTION_REVOKED = 12
GOOGLE_PRODUCT_TYPE_SUBSCRIPTION = 1


def _google_subscription(notification: dict) -> "Outcome":
    """Every subscription notification (purchased, renewed, in grace, on hold, recovered, canceled,
    expired, revoked...): Google's latest read of the subscription applied."""
    change = notification["subscriptionNotification"]
    if not isinstance(change, dict):
        return "invalid", None
    revoked = change.get("notificationType") == GOOGLE_SUBSCRIPTION_REVOKED
    return subscriptions.google_subscription_sync(change.get("purchaseToken"), revoked=revoked)


def google_notification_apply(*, authorization: str, envelope: dict) -> str:
    """Apply a real-time developer notification (a Pub/Sub push) once, by the Pub/Sub message's
    id (a redelivery keeps it): a voided purchase is taken back, a refund review is answered
    (``refunds``); any other notification (a test, a one-time product's) is recorded and changes nothing."""
    google_gateway.notifications_require()
    google_gateway.push_verify(authorization=authorization)
    message = envelope.get("message") if isinstance(envelope, dict) else None
    message_id = (message.get("messageId") or message.get("message_id")) if isinstance(message, dict) else None
    if not isinstance(message_id, str) or not message_id or not isinstance(message.get("data"), str):
        raise ApplicationError("The push is not a Pub/Sub message with data.", code="invalid")
    notification = google_gateway.notification_decode(data=message["data"])
    kind = next((key for key in notification if key.endswith("Notification")), "unknown")
    voided = notification.get("voidedPurchaseNotification")

    def apply() -> Outcome:
        if notification.get("packageName") != settings.GOOGLE_PLAY_PACKAGE:
            return "another_package", None
        if kind == "subscriptionNotification":
            return _google_subscription(notification)
        if kind == "pendingRefundReviewNotification":
            return refunds.google_refund_review_record(notification=notification)
        if isinstance(voided, dict) and voided.get("productType") == GOOGLE_PRODUCT_TYPE_SUBSCRIPTION:
            return subscriptions.google_subscription_sync(voided.get("purchaseToken"), revoked=True)
        if not isinstance(voided, dict):
            return "ignored", None
        if voided.get("refundType", GOOGLE_FULL_REFUND) != GOOGLE_FULL_REFUND:
            return "partial_refund", None
        return _store_purchase_revoke(store=Store.GOOGLE, transaction_id=str(voided.get("purchaseToken") or "-"))

    return _event_apply(store=Store.GOOGLE, event_id=message_id[:255], event_type=kind, apply=apply)


# --- Stripe's webhook ----------------------------------------------------------------


def stripe_webhook_apply(*, payload: bytes, signature: str) -> str:
    """Verify a webhook delivery and apply its event once; returns what happened (the event's
    ``outcome``, or ``duplicate`` for a repeat). Unsigned or mis-signed: 400 ``bad_signature``."""
    stripe_gateway.stripe_require()
    event = stripe_gateway.event_verify(payload=payload, signature=signature)
    event_id, event_type = event.get("id"), event.get("type")
    obj = (event.get("data") or {}).get("object")
    if not isinstance(event_id, str) or not isinstance(event_type, str) or not isinstance(obj, dict):
        raise ApplicationError("The webhook's body is not a Stripe event.", code="invalid")
    if not 0 < len(event_id) <= EVENT_ID_MAX_LENGTH:
        # Checked before the event row is written: a longer id is no Stripe id, and would not fit.
        raise ApplicationError(f"The event's id must have 1 to {EVENT_ID_MAX_LENGTH} characters.", code="invalid")
    handler = STRIPE_HANDLERS.get(event_type, _ignored)
    return _event_apply(store=Store.STRIPE, event_id=event_id, event_type=event_type, apply=lambda: handler(obj))


@transaction.atomic
def _event_apply(*, store: str, event_id: str, event_type: str, apply: Callable[[], "Outcome"]) -> str:
    try:
        with transaction.atomic():
            record = StoreEvent.objects.create(store=store, event_id=event_id, type=event_type[:100], outcome="")
    except IntegrityError:
        return "duplicate"
    record.outcome, purchase_id = apply()
    record.purchase_id = purchase_id
    record.save(update_fields=["outcome", "purchase"])
    logger.info("%s event %s (%s): %s", store, event_id, event_type, record.outcome)
    return record.outcome


Outcome = tuple[str, int | None]


def _ignored(obj: dict) -> Outcome:
    return "ignored", None


def _session_paid(session: dict) -> Outcome:
    """``checkout.session.completed`` (paid now, or ``no_payment_required``) and
    ``checkout.session.async_payment_succeeded`` (a bank debit that cleared later). A session
    whose payment was refunded or lost a dispute before this event came is recorded as refunded,
    and nothing is granted."""
    if session.get("mode") == "subscription":
        return subscriptions.stripe_subscription_sync(session.get("subscription"))
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        return "awaiting_payment", None
    product = (
        Product.objects.select_related("item").filter(pk=(session.get("metadata") or {}).get("product_id")).first()
    )
    user_id = _user_id(session.get("client_reference_id"))
    if product is None or user_id is None or not isinstance(session.get("id"), str):
        # Not a session this server made (another integration on the same Stripe account).
        return "not_ours", None
    _session_require_shape(session)
    payment_id = session.get("payment_intent") or ""
    # No PaymentIntent (nothing to pay): nothing can be refunded, no payment row to meet on.
    payment = _payment_lock(store=Store.STRIPE, payment_id=payment_id) if payment_id else None
    reversed_at = payment.reversed_at if payment is not None else None
    purchase, recorded = purchase_grant(
        user_id=user_id,
        product=product,
        store=Store.STRIPE,
        transaction_id=session["id"],
        payment_id=payment_id,
        amount=session.get("amount_total") or 0,
        currency=session.get("currency") or product.currency,
        reversed_at=reversed_at,
    )
    if not recorded:
        return "already_granted", purchase.pk
    return ("granted" if reversed_at is None else "reversed_before_grant"), purchase.pk


# The largest amount a purchase keeps (PostgreSQL's bigint).
AMOUNT_MAX = 2**63 - 1


def _session_require_shape(session: dict) -> None:
    """400 ``invalid`` for a paid session whose fields the purchase keeps are not Stripe's shape
    (the event is not recorded: its transaction rolls back). Stripe's ids are about 30 characters,
    its currencies three letters, its amounts integers."""
    amount, currency = session.get("amount_total"), session.get("currency")
    payment_id = session.get("payment_intent")
    if (
        len(session["id"]) > TRANSACTION_ID_MAX_LENGTH
        or not (payment_id is None or (isinstance(payment_id, str) and len(payment_id) <= PAYMENT_ID_MAX_LENGTH))
        or not (currency is None or (isinstance(currency, str) and len(currency) == 3))
        or not (amount is None or (type(amount) is int and 0 <= amount <= AMOUNT_MAX))
    ):
        raise ApplicationError("The checkout session is not a Stripe session.", code="invalid")


def _payment_lock(*, store: str, payment_id: str) -> StorePayment:
    """The payment's row, inserted if missing, locked until the caller's transaction ends. An
    insert of a row another transaction inserted and has not committed waits for it (the unique
    index), then does nothing; the lock then reads the row as that transaction left it."""
    StorePayment.objects.bulk_create([StorePayment(store=store, payment_id=payment_id)], ignore_conflicts=True)
    return StorePayment.objects.select_for_update().get(store=store, payment_id=payment_id)


def _user_id(raw) -> int | None:
    try:
        user_id = int(raw)
    except (TypeError, ValueError):
        return None
    return user_id if User.objects.filter(pk=user_id).exists() else None


def _revoke_payment(payment_intent, *, reversal: str) -> Outcome:
    """Take back the purchase of a refunded or lost-dispute payment. With no purchase yet (its
    event has not come: Stripe does not promise the order), the reversal is kept on the payment's
    row and applied when the purchase lands (``_session_paid``)."""
    if not isinstance(payment_intent, str) or not 0 < len(payment_intent) <= PAYMENT_ID_MAX_LENGTH:
        return "no_purchase", None  # no payment of a session: nothing of ours was paid with it
    payment = _payment_lock(store=Store.STRIPE, payment_id=payment_intent)
    kept_before = bool(payment.reversal)
    if not kept_before:
        payment.reversal, payment.reversed_at = reversal, timezone.now()
        payment.save(update_fields=["reversal", "reversed_at"])
    purchase = Purchase.objects.filter(store=Store.STRIPE, store_payment_id=payment_intent).first()
    if purchase is None:
        return ("already_kept" if kept_before else "kept_for_purchase"), None
    return ("revoked" if purchase_revoke(purchase_id=purchase.pk) else "already_revoked"), purchase.pk


def _charge_refunded(charge: dict) -> Outcome:
    """Only a full refund takes the goods back (``refunded`` is true once the whole amount is);
    a partial one is the operator's call, left to the admin."""
    if not charge.get("refunded"):
        return "partial_refund", None
    return _revoke_payment(charge.get("payment_intent"), reversal=StorePayment.Reversal.REFUND)


def _dispute_closed(dispute: dict) -> Outcome:
    """A dispute takes the goods back when it is lost; one still open or won changes nothing."""
    if dispute.get("status") != "lost":
        return f"dispute_{dispute.get('status') or 'closed'}"[:32], None
    return _revoke_payment(dispute.get("payment_intent"), reversal=StorePayment.Reversal.DISPUTE)


def _subscription_event(subscription: dict) -> Outcome:
    return subscriptions.stripe_subscription_sync(subscription.get("id"))


def _invoice_event(invoice: dict) -> Outcome:
    return subscriptions.stripe_subscription_sync(subscriptions.stripe_invoice_subscription(invoice))


STRIPE_HANDLERS: dict[str, Callable[[dict], Outcome]] = {
    "checkout.session.completed": _session_paid,
    "checkout.session.async_payment_succeeded": _session_paid,
    "charge.refunded": _charge_refunded,
    "charge.dispute.closed": _dispute_closed,
    # Subscriptions: each applies Stripe's latest state of the subscription, whatever the order.
    "customer.subscription.created": _subscription_event,
    "customer.subscription.updated": _subscription_event,
    "customer.subscription.deleted": _subscription_event,
    "invoice.paid": _invoice_event,
    "invoice.payment_failed": _invoice_event,
}
