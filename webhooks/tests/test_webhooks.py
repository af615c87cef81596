"""Webhooks out: a change's event is written with it, arrives at a real local receiver signed as
docs/webhooks.md says (checked by the page's own verification snippet), is retried after a 500
and after its deliverer died, each ``id`` once, and is given up after 24 h."""

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.services import user_delete
from conftest import requires_postgres
from gameplatform.testhelpers import run_at_once
from liveops.schedule import running
from liveops.schedule.services import live_event_create
from liveops.services import flag_create
from safety.reports import report_file
from safety.sanctions import sanction_impose, sanction_lift
from webhooks import services
from webhooks.live_events import live_events_look
from webhooks.models import Delivery, Event
from webhooks.tests.conftest import SECRET

PAGE = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def docs_verify():
    """The ``verify`` function of the docs' verification snippet, run as the page prints it."""
    text = PAGE.read_text()
    block = re.search(r"<!-- checked by: webhooks/tests/test_webhooks.py -->\n```python\n(.*?)```", text, re.S)
    namespace: dict = {}
    exec(compile(block.group(1), str(PAGE), "exec"), namespace)  # noqa: S102 - the page's own code
    return namespace["verify"]


def bodies(receiver) -> list[dict]:
    return [json.loads(body) for _, body in receiver.received]


pytestmark = pytest.mark.django_db


def test_an_imposed_sanction_arrives_signed_as_the_docs_verify_it(receiver, alice):
    """The receiver gets ``{id, type, created_at, data}`` with a signature the docs' snippet accepts."""
    sanction = sanction_impose(staff=None, user_id=alice.pk, action="mute", statement="spam", duration_hours=1)
    assert services.deliveries_send_due() == 1
    [(headers, body)] = receiver.received
    sent = json.loads(body)
    assert sent["type"] == "sanction.imposed"
    assert set(sent) == {"id", "type", "created_at", "data"}
    assert sent["data"]["sanction"] == {**sent["data"]["sanction"], "id": sanction.pk, "user_id": alice.pk}
    verify = docs_verify()
    assert verify(SECRET, headers["gameplatform-signature"], body)
    assert not verify(SECRET, headers["gameplatform-signature"], body.replace(b"mute", b"warn"))
    assert not verify("another secret", headers["gameplatform-signature"], body)
    assert Delivery.objects.get().status == Delivery.Status.DELIVERED


def test_a_change_rolled_back_sends_nothing(receiver, alice):
    with pytest.raises(RuntimeError), transaction.atomic():
        sanction_impose(staff=None, user_id=alice.pk, action="warn", statement="x")
        raise RuntimeError
    assert not Event.objects.exists()
    assert services.deliveries_send_due() == 0


def test_no_endpoint_listening_writes_nothing(settings, alice):
    settings.WEBHOOKS = []
    sanction_impose(staff=None, user_id=alice.pk, action="warn", statement="x")
    assert not Event.objects.exists()


def test_a_500_is_retried_later_with_the_same_id_and_body(receiver, alice):
    receiver.script.extend([500])
    sanction_impose(staff=None, user_id=alice.pk, action="warn", statement="x")
    services.deliveries_send_due()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("pending", 1, 500)
    assert delivery.next_attempt_at > timezone.now()  # backed off: not sent again at once
    assert services.deliveries_send_due() == 0
    services.deliveries_send_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("delivered", 2, 200)
    first, second = receiver.received
    assert first[1] == second[1]  # the same id, the same body
    assert docs_verify()(SECRET, second[0]["gameplatform-signature"], second[1])


def test_backoff_doubles_with_jitter_up_to_an_hour():
    for attempts, ceiling in [(1, 10), (2, 20), (5, 160), (30, 3600)]:
        waits = [services.backoff_seconds(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(set(waits)) > 1


def test_a_delivery_whose_deliverer_died_mid_attempt_is_sent_by_a_fresh_one(receiver, alice):
    """A process that claimed a delivery and died (a restart) leaves the row in the database; once
    the claim lapses, a fresh deliverer sends it."""
    sanction_impose(staff=None, user_id=alice.pk, action="warn", statement="x")
    claimed = services._claim(timezone.now())  # the dead process's claim: it never says how it went
    assert claimed is not None and receiver.received == []
    assert services.deliveries_send_due() == 0  # claimed: nobody else sends it meanwhile
    delivery = Delivery.objects.get()
    services.deliveries_send_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and len(receiver.received) == 1


def test_a_receiver_failing_for_24_hours_is_given_up(receiver, alice):
    receiver.script.extend([500] * 100)
    sanction_impose(staff=None, user_id=alice.pk, action="warn", statement="x")
    delivery = Delivery.objects.get()
    at = delivery.next_attempt_at
    while delivery.status == "pending":
        services.deliveries_send_due(now=at)
        delivery.refresh_from_db()
        at = max(at, delivery.next_attempt_at)
    assert delivery.status == "failed"
    assert delivery.give_up_at == Event.objects.get().created_at + timedelta(hours=24)
    assert delivery.last_attempt_at < delivery.give_up_at
    tried = len(receiver.received)
    assert 10 < tried < 60  # backed off: tens of attempts over a day, not thousands
    services.deliveries_send_due(now=delivery.give_up_at + timedelta(hours=1))
    assert len(receiver.received) == tried


def test_a_due_delivery_past_its_give_up_time_is_failed_unsent(receiver, alice):
    sanction_impose(staff=None, user_id=alice.pk, action="warn", statement="x")
    services.deliveries_send_due(now=timezone.now() + timedelta(hours=25))
    assert Delivery.objects.get().status == "failed" and receiver.received == []


def test_staff_resend_sends_the_same_event_again_and_is_audited(receiver, alice, make_staff):
    from staff.models import AuditEntry

    sanction_impose(staff=None, user_id=alice.pk, action="warn", statement="x")
    services.deliveries_send_due()
    delivery = Delivery.objects.get()
    staff = make_staff("ops")
    services.delivery_resend(staff=staff, delivery_id=delivery.pk)
    services.deliveries_send_due()
    first, second = bodies(receiver)
    assert first == second
    assert AuditEntry.objects.filter(action="webhook.resend", target_id=str(delivery.pk)).exists()


def test_only_the_types_an_endpoint_lists_reach_it(receiver, settings, alice, bob):
    settings.WEBHOOKS = [{"url": receiver.url, "secret": SECRET, "events": ["report.filed"]}]
    sanction_impose(staff=None, user_id=alice.pk, action="warn", statement="x")
    report, _ = report_file(reporter=bob, user_id=alice.pk, reason="spam", comment="buy gold")
    services.deliveries_send_due()
    [sent] = bodies(receiver)
    assert sent["type"] == "report.filed"
    assert sent["data"]["report"]["id"] == report.pk
    assert "buy gold" not in json.dumps(sent)  # ids and states, not what players wrote


def test_each_type_is_sent_from_its_place(receiver, alice):
    """Flags, sanctions lifted and deleted accounts each send their type."""
    flag_create(staff=None, name="double-xp", default_value=False)
    sanction = sanction_impose(staff=None, user_id=alice.pk, action="mute", statement="x", duration_hours=1)
    sanction_lift(staff=None, sanction_id=sanction.pk, statement="sorry")
    user_id = alice.pk
    user_delete(user=alice)
    services.deliveries_send_due()
    sent = {b["type"]: b["data"] for b in bodies(receiver)}
    assert sent["flag.changed"]["action"] == "created"
    assert sent["flag.changed"]["flag"]["name"] == "double-xp"
    assert sent["sanction.lifted"]["sanction"]["lifted_at"] is not None
    assert sent["account.deleted"] == {"user_id": user_id}


def test_a_live_event_start_and_end_are_sent_once_each(receiver):
    now = timezone.now()
    event = live_event_create(
        staff=None, name="Double XP", starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1)
    )
    running.expire()
    assert live_events_look(now) == 1
    assert live_events_look(now) == 0  # the next look (or another runner) sends nothing again
    assert live_events_look(event.ends_at + timedelta(seconds=1)) == 1
    assert live_events_look(event.ends_at + timedelta(seconds=2)) == 0
    services.deliveries_send_due()
    started, ended = bodies(receiver)
    assert (started["type"], ended["type"]) == ("live_event.started", "live_event.ended")
    assert started["data"]["live_event"]["id"] == ended["data"]["live_event"]["id"] == event.pk
    assert ended["data"]["live_event"]["name"] == "Double XP"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_deliverers_at_once_send_each_id_once(receiver, alice):
    """On PostgreSQL, two deliverers racing over the same outbox each take different rows."""
    for n in range(30):
        services.event_emit(type="flag.changed", data={"n": n})
    run_at_once(services.deliveries_send_due, services.deliveries_send_due)
    ids = [b["id"] for b in bodies(receiver)]
    assert sorted(ids) == sorted(Event.objects.values_list("pk", flat=True))
    assert len(ids) == len(set(ids)) == 30
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_purchase_granted_then_refunded_sends_both(receiver, alice):
    """A store purchase recorded (and granted) and then taken back sends ``purchase.granted`` then
    ``purchase.refunded``; a repeat of the same store transaction sends nothing more."""
    from payments.models import Product
    from payments.services import purchase_grant, purchase_revoke
    from progression.services import player_ensure

    player_ensure(user_id=alice.pk)
    product = Product.objects.create(id="gems-100", name="100 gems", kind="gems", price=199, gems=100)
    receipt = {"store": "stripe", "transaction_id": "cs_1", "payment_id": "pi_1", "amount": 199, "currency": "usd"}
    with transaction.atomic():
        purchase, _ = purchase_grant(user_id=alice.pk, product=product, **receipt)
    with transaction.atomic():
        purchase_grant(user_id=alice.pk, product=product, **receipt)
    with transaction.atomic():
        purchase_revoke(purchase_id=purchase.pk)
    services.deliveries_send_due()
    granted, refunded = bodies(receiver)
    assert (granted["type"], refunded["type"]) == ("purchase.granted", "purchase.refunded")
    assert granted["data"]["purchase"]["id"] == purchase.pk
    assert refunded["data"]["purchase"]["status"] == "refunded"


def test_a_subscriptions_change_is_sent_from_the_subscriptions_transitions(receiver, alice):
    """A subscription that starts, and later is cancelled, sends ``subscription.changed`` each time
    with its state; the same state read again sends nothing."""
    from datetime import timedelta

    from django.utils import timezone

    from payments.models import Product
    from payments.subscriptions import StoreSubscription, SubscriptionState, subscription_apply

    product = Product.objects.create(
        id="premium-monthly", name="Premium", kind="subscription", price=499, period="P1M", entitlement="premium"
    )
    ends = timezone.now() + timedelta(days=30)

    def read(status: str, will_renew: bool) -> StoreSubscription:
        return StoreSubscription("sub_1", product, SubscriptionState(status, ends, will_renew), alice.pk)

    for found in (read("active", True), read("active", True), read("active", False)):
        with transaction.atomic():
            subscription_apply(store="stripe", found=found)
    services.deliveries_send_due()
    changes = [body for body in bodies(receiver) if body["type"] == "subscription.changed"]
    assert [c["data"]["subscription"]["will_renew"] for c in changes] == [True, False]
    assert {c["data"]["subscription"]["user_id"] for c in changes} == {alice.pk}
