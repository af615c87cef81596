"""Refund requests answered: the App Store's ``CONSUMPTION_REQUEST`` gets Send Consumption
Information, with figures from the platform's own records (docs/payments.md, "Refund requests").

Once: the request's row is unique per (store, notificationUUID) and is written in the transaction
that records the notification (``services._event_apply``), so a resent notification answers
nothing new. The answer is never sent inside a transaction: after the notification's transaction
commits, one process claims the row (a conditional update, ``pending`` to ``sending``), sends,
and records what the store answered. A failed send goes back to ``pending`` with a backoff, and the
timer ``payments.refund_answers_due`` sends it again while Apple's window (12 hours) is open; a
claim whose process died is released after ``SENDING_STALE``. Past the window the row is
``expired``: Apple decides without the answer.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from payments import apple_gateway
from payments.models import Purchase, RefundRequest, Store
from payments.selectors import purchase_consumption

logger = logging.getLogger(__name__)

# Apple waits 12 hours for the answer to a CONSUMPTION_REQUEST (Send Consumption Information).
APPLE_WINDOW = timedelta(hours=12)
# A claimed row whose process did not record an answer by then is offered to the timer again.
SENDING_STALE = timedelta(minutes=2)
# The wait after the n-th failed send: 30 s, 1 min, 2 min ... at most an hour.
RETRY_FIRST, RETRY_MAX = timedelta(seconds=30), timedelta(hours=1)
# APPLE_REFUND_PREFERENCE -> Apple's refundPreference (``none``: the field is left out).
APPLE_PREFERENCES = {"grant": "GRANT_FULL", "prorated": "GRANT_PRORATED", "decline": "DECLINE", "none": None}


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
    try:
        with transaction.atomic():
            row = RefundRequest.objects.create(
                store=Store.APPLE,
                request_id=notification.notificationUUID,
                transaction_id=transaction_id,
                purchase=purchase,
                customer_reason=((data.rawConsumptionRequestReason or "") if data else "")[:32],
                status=status,
                reason=reason,
                deadline=min(signed_at, timezone.now()) + APPLE_WINDOW,
            )
    except IntegrityError:
        return "already_answered", purchase.pk if purchase else None
    if status == RefundRequest.Status.PENDING:
        transaction.on_commit(lambda: refund_answer_send(request_pk=row.pk))
        return "answer_pending", purchase.pk if purchase else None
    return f"not_answered_{reason}", purchase.pk if purchase else None


def apple_consumption_body(*, request: RefundRequest) -> dict:
    """What Apple's Send Consumption Information (v2) carries, from the platform's records now:
    the customer's consent, whether a sample was shown (settings), whether the purchase was
    delivered (granted: the platform recorded it), how much of it was used (the ledger:
    ``purchase_consumption``) and the studio's refund preference (``APPLE_REFUND_PREFERENCE``)."""
    purchase = request.purchase or (
        Purchase.objects.filter(store=Store.APPLE, store_transaction_id=request.transaction_id).first()
    )
    body: dict = {
        "customerConsented": True,
        "sampleContentProvided": settings.APPLE_SAMPLE_CONTENT_PROVIDED,
        "deliveryStatus": "DELIVERED" if purchase is not None else "UNDELIVERED_OTHER",
    }
    consumed = purchase_consumption(purchase=purchase) if purchase is not None else None
    if consumed is not None:
        body["consumptionPercentage"] = consumed
    preference = APPLE_PREFERENCES[settings.APPLE_REFUND_PREFERENCE]
    if preference is not None:
        body["refundPreference"] = preference
    return body


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
    body = apple_consumption_body(request=request)
    holding = RefundRequest.objects.filter(pk=request_pk, status=RefundRequest.Status.SENDING)
    holding.update(body=body, purchase=request.purchase or _apple_purchase(request.transaction_id))
    try:
        answer = apple_gateway.consumption_send(transaction_id=request.transaction_id, body=body)
    except apple_gateway.StoreAnswerFailed as exc:
        wait = min(RETRY_MAX, RETRY_FIRST * 2 ** (request.attempts - 1))
        holding.update(
            status=RefundRequest.Status.PENDING,
            next_attempt_at=timezone.now() + wait,
            reason="send_failed",
            store_status=exc.status[:64],
        )
        logger.warning("refund request %s: Apple did not take the answer (%s)", request.request_id, exc.status)
        return False
    holding.update(status=RefundRequest.Status.SENT, sent_at=timezone.now(), reason="", store_status=answer)
    logger.info("refund request %s answered: %s", request.request_id, body)
    return True


def _apple_purchase(transaction_id: str) -> Purchase | None:
    return Purchase.objects.filter(store=Store.APPLE, store_transaction_id=transaction_id).first()


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
