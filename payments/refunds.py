"""Refund requests answered: the App Store's ``CONSUMPTION_REQUEST`` gets Send Consumption
Information, and Google Play's ``pendingRefundReviewNotification`` (a chargeback Google asks the
developer about) gets ``orders.reviewrefund``, each with figures from the platform's own records
(docs/payments.md, "Refund requests").

Once: the request's row is unique per (store, notificationUUID) and is written in the transaction
that records the notification (``services._event_apply``), so a resent notification answers
nothing new. The answer is never sent inside a transaction: after the notification's transaction
commits, one process claims the row (a conditional update, ``pending`` to ``sending``), sends,
and records what the store answered. A failed send goes back to ``pending`` with a backoff, and the
timer ``payments.refund_answers_due`` sends it again while the store's window (Apple: 12 hours,
Google: 24) is open; a claim whose process died is released after ``SENDING_STALE``. Past the
window the row is ``expired``: the store decides without the answer.
"""

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from payments import apple_gateway, google_gateway
from payments.gateway_errors import StoreAnswerFailed
from payments.models import PAYMENT_ID_MAX_LENGTH, Purchase, RefundRequest, Store
from payments.selectors import purchase_consumption

logger = logging.getLogger(__name__)

# Apple waits 12 hours for the answer to a CONSUMPTION_REQUEST (Send Consumption Information).
APPLE_WINDOW = timedelta(hours=12)
# Google Play waits 24 hours for orders.reviewrefund after its pendingRefundReviewNotification.
GOOGLE_WINDOW = timedelta(hours=24)
# A claimed row whose process did not record an answer by then is offered to the timer again.
SENDING_STALE = timedelta(minutes=2)
# The wait after the n-th failed send: 30 s, 1 min, 2 min ... at most an hour.
RETRY_FIRST, RETRY_MAX = timedelta(seconds=30), timedelta(hours=1)
# APPLE_REFUND_PREFERENCE -> Apple's refundPreference (``none``: the field is left out).
APPLE_PREFERENCES = {"grant": "GRANT_FULL", "prorated": "GRANT_PRORATED", "decline": "DECLINE", "none": None}
# GOOGLE_REFUND_PREFERENCE -> Google's refundPreference (required in every answer).
GOOGLE_PREFERENCES = {"neutral": "NEUTRAL", "approve": "APPROVE", "decline": "DECLINE"}


def apple_consumption_request_record(*, notification, transaction_info) -> tuple[str, int | None]:
    """A ``CONSUMPTION_REQUEST`` recorded, in the notification's transaction: its row, and its
    answer sent once that transaction commits. Nothing is sent without the App Store Server API's
    key (``not_configured``) or the customer's consent (``APPLE_CONSUMPTION_CONSENT``)."""
    transaction_id = str(transaction_info.transactionId or "")
    purchase = Purchase.objects.filter(store=Store.APPLE, store_transaction_id=transaction_id).first()
    signed_at = (
        datetime.fromtimestamp(notification.signedDate / 1000, tz=UTC) if notification.signedDate else timezone.now()
    )
    status, reason = RefundRequest.Status.PENDING, ""
    if not apple_gateway.api_configured():
        status, reason = RefundRequest.Status.NOT_SENT, "not_configured"
    elif not settings.APPLE_CONSUMPTION_CONSENT:
        status, reason = RefundRequest.Status.NOT_SENT, "no_consent"
    data = notification.data
    return _request_record(
        store=Store.APPLE,
        request_id=notification.notificationUUID,
        transaction_id=transaction_id,
        purchase=purchase,
        customer_reason=((data.rawConsumptionRequestReason or "") if data else "")[:32],
        status=status,
        reason=reason,
        deadline=min(signed_at, timezone.now()) + APPLE_WINDOW,
    )


def google_refund_review_record(*, notification: dict) -> tuple[str, int | None]:
    """A ``pendingRefundReviewNotification`` (its ``orderId`` and ``pendingRefundToken``)
    recorded, in the notification's transaction, and answered once that transaction commits."""
    review = notification.get("pendingRefundReviewNotification")
    token = review.get("pendingRefundToken") if isinstance(review, dict) else None
    order_id = review.get("orderId") if isinstance(review, dict) else None
    if not isinstance(token, str) or not token or not isinstance(order_id, str):
        return "invalid", None
    if not 0 < len(order_id) <= PAYMENT_ID_MAX_LENGTH:
        return "invalid", None
    purchase = Purchase.objects.filter(store=Store.GOOGLE, store_payment_id=order_id).first()
    try:
        event_at = datetime.fromtimestamp(int(notification.get("eventTimeMillis")) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError):
        event_at = timezone.now()
    return _request_record(
        store=Store.GOOGLE,
        request_id="sha256:" + hashlib.sha256(token.encode()).hexdigest(),
        transaction_id=order_id,
        review_token=token,
        purchase=purchase,
        customer_reason=str(review.get("refundReason", ""))[:32],
        status=RefundRequest.Status.PENDING,
        reason="",
        deadline=min(event_at, timezone.now()) + GOOGLE_WINDOW,
    )


def _request_record(*, purchase: Purchase | None, status: str, reason: str, **fields) -> tuple[str, int | None]:
    """The request's row, once (its unique constraint decides), and its answer sent after commit."""
    purchase_id = purchase.pk if purchase is not None else None
    try:
        with transaction.atomic():
            row = RefundRequest.objects.create(purchase=purchase, status=status, reason=reason, **fields)
    except IntegrityError:
        return "already_answered", purchase_id
    if status == RefundRequest.Status.PENDING:
        transaction.on_commit(lambda: refund_answer_send(request_pk=row.pk))
        return "answer_pending", purchase_id
    return f"not_answered_{reason}", purchase_id


def apple_consumption_body(*, request: RefundRequest) -> dict:
    """What Apple's Send Consumption Information (v2) carries, from the platform's records now:
    the customer's consent, whether a sample was shown (settings), whether the purchase was
    delivered (granted: the platform recorded it), how much of it was used (the ledger:
    ``purchase_consumption``) and the studio's refund preference (``APPLE_REFUND_PREFERENCE``)."""
    purchase = request.purchase or _purchase_of(request)
    body: dict = {
        "customerConsented": True,
        "sampleContentProvided": settings.REFUND_SAMPLE_CONTENT_PROVIDED,
        "deliveryStatus": "DELIVERED" if purchase is not None else "UNDELIVERED_OTHER",
    }
    consumed = purchase_consumption(purchase=purchase) if purchase is not None else None
    if consumed is not None:
        body["consumptionPercentage"] = consumed
    preference = APPLE_PREFERENCES[settings.APPLE_REFUND_PREFERENCE]
    if preference is not None:
        body["refundPreference"] = preference
    return body


def google_review_body(*, request: RefundRequest) -> dict:
    """What Google's ``orders.reviewrefund`` carries: the review's token, whether a sample was
    shown, the studio's preference (``GOOGLE_REFUND_PREFERENCE``) and how much of the purchase was
    used (the ledger: ``purchase_consumption``)."""
    purchase = request.purchase or _purchase_of(request)
    body: dict = {
        "pendingRefundToken": request.review_token,
        "sampleContentProvided": settings.REFUND_SAMPLE_CONTENT_PROVIDED,
        "refundPreference": GOOGLE_PREFERENCES[settings.GOOGLE_REFUND_PREFERENCE],
    }
    consumed = purchase_consumption(purchase=purchase) if purchase is not None else None
    if consumed is not None:
        body["consumptionPercentageMilliunits"] = consumed
    return body


def _send(request: RefundRequest) -> tuple[dict, Callable[[], str]]:
    """The answer's body, and the call that sends it to the request's store."""
    if request.store == Store.GOOGLE:
        body = google_review_body(request=request)
        return body, lambda: google_gateway.refund_review(order_id=request.transaction_id, body=body)
    body = apple_consumption_body(request=request)
    return body, lambda: apple_gateway.consumption_send(transaction_id=request.transaction_id, body=body)


def refund_answer_send(*, request_pk: int) -> bool:
    """Send one request's answer if it is due and no other process holds it; True if the store
    accepted it. Runs outside any transaction (it calls the store)."""
    now = timezone.now()
    claimed = (
        RefundRequest.objects.filter(pk=request_pk, status=RefundRequest.Status.PENDING, deadline__gt=now)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(status=RefundRequest.Status.SENDING, next_attempt_at=now + SENDING_STALE, attempts=F("attempts") + 1)
    )
    if claimed != 1:
        return False
    request = RefundRequest.objects.select_related("purchase__product").get(pk=request_pk)
    body, send = _send(request)
    holding = RefundRequest.objects.filter(pk=request_pk, status=RefundRequest.Status.SENDING)
    holding.update(body=body, purchase=request.purchase or _purchase_of(request))
    try:
        answer = send()
    except StoreAnswerFailed as exc:
        wait = min(RETRY_MAX, RETRY_FIRST * 2 ** (request.attempts - 1))
        holding.update(
            status=RefundRequest.Status.PENDING,
            next_attempt_at=timezone.now() + wait,
            reason="send_failed",
            store_status=exc.status[:64],
        )
        logger.warning("%s refund request %s: answer not taken (%s)", request.store, request.pk, exc.status)
        return False
    holding.update(status=RefundRequest.Status.SENT, sent_at=timezone.now(), reason="", store_status=answer)
    logger.info("%s refund request %s answered", request.store, request.pk)
    return True


def _purchase_of(request: RefundRequest) -> Purchase | None:
    """The purchase a request is about, if it was recorded (perhaps after the request came)."""
    if request.store == Store.GOOGLE:
        return Purchase.objects.filter(store=Store.GOOGLE, store_payment_id=request.transaction_id).first()
    return Purchase.objects.filter(store=Store.APPLE, store_transaction_id=request.transaction_id).first()


def refund_answers_due() -> int:
    """The timer's round: requests past their window expire, claims of a dead process are
    released, and every request due is sent (again). Returns how many the store accepted."""
    now = timezone.now()
    RefundRequest.objects.filter(status=RefundRequest.Status.SENDING, next_attempt_at__lte=now).update(
        status=RefundRequest.Status.PENDING
    )
    RefundRequest.objects.filter(status=RefundRequest.Status.PENDING, deadline__lte=now).update(
        status=RefundRequest.Status.EXPIRED, next_attempt_at=None
    )
    due = (
        RefundRequest.objects.filter(status=RefundRequest.Status.PENDING, deadline__gt=now)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("deadline")
        .values_list("pk", flat=True)[:100]
    )
    return sum(refund_answer_send(request_pk=pk) for pk in list(due))
