"""Webhooks out: ``event_emit`` writes the outbox in the caller's transaction; ``deliveries_send_due``
(the ``webhooks.deliver`` timer) sends what is due.

A delivery is claimed in a short transaction of its own (``select_for_update(skip_locked=True)``:
many deliverers at once each take a different row) by pushing its next attempt past the attempt's
longest time; the POST happens outside any transaction; its outcome is written only by the
deliverer that claimed it (a conditional update on the attempt number). A deliverer that dies
mid-attempt leaves the row due again once the claim lapses: nothing is lost to a restart, and each
event keeps its ``id`` through every attempt, so a receiver that saw it already can tell.

Retries: exponential backoff with jitter (``BACKOFF_FIRST_SECONDS`` doubling up to
``BACKOFF_MOST_SECONDS``, each wait drawn between half and all of it) until a 2xx, for
``GIVE_UP_AFTER`` from the event (then ``failed``). Staff may resend any delivery (the admin).
"""

import hashlib
import hmac
import json
import logging
import random
import time
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gameplatform.chat.rooms import timestamp
from gameplatform.core.errors import NotFound
from staff import audit
from webhooks.models import Delivery, Event

logger = logging.getLogger(__name__)

TYPES = (
    "live_event.started",
    "live_event.ended",
    "flag.changed",
    "sanction.imposed",
    "sanction.lifted",
    "report.filed",
    "purchase.granted",
    "purchase.refunded",
    "subscription.changed",
    "account.deleted",
)
SIGNATURE_HEADER = "Gameplatform-Signature"
GIVE_UP_AFTER = timedelta(hours=24)
BACKOFF_FIRST_SECONDS = 10.0
BACKOFF_MOST_SECONDS = 3600.0
# A claimed delivery is due again this long after its claim if its deliverer never says how it went.
CLAIM_MARGIN_SECONDS = 30.0
ROUND_SECONDS = 2.0  # one timer round sends for at most this long (then the next round goes on)


def endpoints() -> list[dict]:
    return settings.WEBHOOKS


def endpoints_for(event_type: str) -> list[dict]:
    return [e for e in endpoints() if event_type in e["events"] or "*" in e["events"]]


def check_configuration() -> None:
    """Each endpoint's events are known types (or ``*``): a typo stops start-up rather than
    silently sending nothing."""
    from django.core.exceptions import ImproperlyConfigured

    for endpoint in endpoints():
        unknown = sorted(set(endpoint["events"]) - {*TYPES, "*"})
        if unknown:
            raise ImproperlyConfigured(f"WEBHOOKS entry {endpoint['url']!r}: unknown event types {unknown}.")


def sign(*, secret: str, body: str, t: int) -> str:
    """The ``Gameplatform-Signature`` header's value: ``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    digest = hmac.new(secret.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def event_emit(*, type: str, data: dict, at: datetime | None = None) -> Event | None:
    """Record that ``type`` happened with ``data``, and a delivery to each endpoint listening to
    it, in the caller's transaction (None, and nothing written, when none listens)."""
    if type not in TYPES:
        raise ValueError(f"Unknown webhook type {type!r}.")
    targets = endpoints_for(type)
    if not targets:
        return None
    now = at or timezone.now()
    with transaction.atomic():
        event = Event.objects.create(type=type, body="", created_at=now)
        body = {"id": event.pk, "type": type, "created_at": timestamp(now), "data": data}
        event.body = json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str)
        event.save(update_fields=["body"])
        Delivery.objects.bulk_create(
            Delivery(event=event, url=e["url"], next_attempt_at=now, give_up_at=now + GIVE_UP_AFTER)
            for e in {e["url"]: e for e in targets}.values()
        )
    return event


def backoff_seconds(attempts: int) -> float:
    """The wait after the ``attempts``-th failed attempt: doubling, capped, with jitter."""
    ceiling = min(BACKOFF_MOST_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** max(0, attempts - 1))
    return random.uniform(ceiling / 2, ceiling)


def _claim(now: datetime) -> Delivery | None:
    """Take the longest-due pending delivery no other deliverer holds; its next attempt is pushed
    past this attempt's longest time (the claim), in a transaction of its own."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if delivery is None:
            return None
        if delivery.give_up_at <= now:
            delivery.status, delivery.last_error = Delivery.Status.FAILED, delivery.last_error or "given up"
            delivery.save(update_fields=["status", "last_error"])
            return delivery
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.next_attempt_at = now + timedelta(seconds=2 * settings.WEBHOOK_TIMEOUT_SECONDS + CLAIM_MARGIN_SECONDS)
        delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
    return delivery


def _post(delivery: Delivery, body: str) -> tuple[int | None, str]:
    """One attempt: (the receiver's status or None, what went wrong)."""
    endpoint = next((e for e in endpoints() if e["url"] == delivery.url), None)
    if endpoint is None:
        return None, "endpoint no longer configured"
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "gameplatform-webhooks",
        SIGNATURE_HEADER: sign(secret=endpoint["secret"], body=body, t=int(time.time())),
    }
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    try:
        answer = requests.post(
            delivery.url, data=body.encode(), headers=headers, timeout=(timeout, timeout), allow_redirects=False
        )
    except requests.RequestException as exc:
        return None, type(exc).__name__
    return answer.status_code, "" if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"


def _record(delivery: Delivery, status: int | None, error: str) -> None:
    """The claimed attempt's outcome, written only if the claim still holds (same attempt number);
    the retry is timed from the attempt's start."""
    now = delivery.last_attempt_at
    fields: dict = {"last_status": status, "last_error": error[:500]}
    if not error:
        fields |= {"status": Delivery.Status.DELIVERED, "delivered_at": now}
    else:
        retry_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
        if retry_at >= delivery.give_up_at:
            fields["status"] = Delivery.Status.FAILED
        fields["next_attempt_at"] = retry_at
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING, attempts=delivery.attempts).update(**fields)


def delivery_attempt(delivery: Delivery) -> None:
    status, error = _post(delivery, Event.objects.values_list("body", flat=True).get(pk=delivery.event_id))
    if error:
        logger.warning(
            "webhook delivery failed",
            extra={
                "delivery_id": delivery.pk,
                "event_id": delivery.event_id,
                "attempt": delivery.attempts,
                "error": error,
            },
        )
    _record(delivery, status, error)


def deliveries_send_due(*, now: datetime | None = None, budget_seconds: float = ROUND_SECONDS) -> int:
    """Send the due deliveries, one claim at a time, for at most ``budget_seconds``; how many were tried."""
    started, tried = time.monotonic(), 0
    while time.monotonic() - started < budget_seconds:
        delivery = _claim(now or timezone.now())
        if delivery is None:
            break
        if delivery.status == Delivery.Status.PENDING:
            delivery_attempt(delivery)
            tried += 1
    return tried


@transaction.atomic
def delivery_resend(*, staff, delivery_id: int) -> Delivery:
    """Send a delivery again now (the admin's resend): pending once more, with the event's same
    ``id``, retried for another ``GIVE_UP_AFTER``. Audited as ``webhook.resend``."""
    delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound("No such delivery.", code="delivery_not_found")
    now = timezone.now()
    delivery.status, delivery.next_attempt_at, delivery.give_up_at = Delivery.Status.PENDING, now, now + GIVE_UP_AFTER
    delivery.delivered_at = None
    delivery.save(update_fields=["status", "next_attempt_at", "give_up_at", "delivered_at"])
    audit.record(
        staff=staff,
        action="webhook.resend",
        target_type="webhooks.delivery",
        target_id=delivery.pk,
        target=delivery.url,
        detail={"event_id": delivery.event_id},
    )
    return delivery
