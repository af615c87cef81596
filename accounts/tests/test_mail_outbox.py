"""Mail is a row first (the outbox): a mail the server could not take is sent again by the
``accounts.mail_due`` timer once it answers, with a Message-ID of its own; one whose link would be
dead is given up; two runners send each mail once."""

import email
import queue
from datetime import timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.core import mail as django_mail
from django.utils import timezone

from accounts import mail
from accounts.models import Mail
from conftest import requires_postgres
from gameplatform.testhelpers import run_at_once
from gameplatform.tests.live import free_port

RESET = "/api/auth/password/reset/"


class Inbox:
    def __init__(self) -> None:
        self.mails: queue.Queue = queue.Queue()

    async def handle_DATA(self, server, session, envelope):
        self.mails.put(email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there yet
    settings.DEFAULT_FROM_EMAIL = "game@example.com"
    return settings


@pytest.mark.django_db(transaction=True)
def test_a_mail_the_server_refused_is_sent_again_once_it_answers(api_client, alice, smtp_settings):
    assert api_client.post(RESET, {"email": alice.email}, format="json").status_code == 202
    assert mail.deliveries_wait()
    owed = Mail.objects.get(user=alice)
    assert (owed.kind, owed.status, owed.attempts, owed.last_error) == (
        "password_reset",
        "pending",
        1,
        "ConnectionRefusedError",
    )

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_settings.EMAIL_PORT)
    controller.start()
    try:
        assert mail.mails_send_due(now=owed.next_attempt_at) == 1  # the timer's round, once it is due
        message = inbox.mails.get(timeout=10)
    finally:
        controller.stop()
    assert message["To"] == alice.email and message["Subject"] == "Reset your password"
    assert message["Message-ID"] == f"<gameplatform-mail-{owed.pk}@example.com>"
    owed.refresh_from_db()
    assert (owed.status, owed.attempts, owed.last_error) == ("sent", 2, "")
    assert mail.mails_send_due(now=timezone.now() + timedelta(hours=2)) == 0  # sent: never again


@pytest.mark.django_db
def test_a_mail_whose_link_would_be_dead_is_given_up_not_sent(alice, settings):
    settings.EMAIL_HOST = "mail.example.test"
    now = timezone.now()
    owed = Mail.objects.create(
        user=alice,
        kind=Mail.Kind.PASSWORD_RESET,
        address=alice.email,
        link_base="https://play.example.com",
        created_at=now - timedelta(hours=2),
        next_attempt_at=now - timedelta(minutes=1),
        give_up_at=now - timedelta(hours=1),
    )
    assert mail.mails_send_due() == 0
    owed.refresh_from_db()
    assert owed.status == "failed" and not django_mail.outbox


@pytest.mark.django_db
def test_a_verification_mail_for_an_address_changed_since_is_not_sent(alice, settings):
    settings.EMAIL_HOST = "mail.example.test"
    now = timezone.now()
    owed = Mail.objects.create(
        user=alice,
        kind=Mail.Kind.EMAIL_VERIFY,
        address="old@example.com",
        link_base="https://play.example.com",
        created_at=now,
        next_attempt_at=now,
        give_up_at=now + timedelta(hours=1),
    )
    assert mail.mails_send_due() == 1
    owed.refresh_from_db()
    assert (owed.status, owed.last_error) == ("failed", "the address changed") and not django_mail.outbox


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_runners_at_once_send_each_due_mail_once(make_user, settings):
    settings.EMAIL_HOST = "mail.example.test"
    now = timezone.now()
    for n in range(20):
        player = make_user(f"owed{n}")
        Mail.objects.create(
            user=player,
            kind=Mail.Kind.PASSWORD_RESET,
            address=player.email,
            link_base="https://play.example.com",
            created_at=now,
            next_attempt_at=now,
            give_up_at=now + timedelta(hours=1),
        )
    sent = run_at_once(lambda: mail.mails_send_due(budget_seconds=30), lambda: mail.mails_send_due(budget_seconds=30))
    assert sum(sent) == 20
    ids = [message.extra_headers["Message-ID"] for message in django_mail.outbox]
    assert len(ids) == len(set(ids)) == 20
    assert Mail.objects.filter(status="sent").count() == 20


@pytest.mark.django_db
def test_the_rows_of_mails_done_a_month_ago_are_deleted_and_owed_ones_kept(alice):
    now = timezone.now()

    def row(status: str, days_ago: int) -> Mail:
        at = now - timedelta(days=days_ago)
        return Mail.objects.create(
            user=alice,
            kind=Mail.Kind.PASSWORD_RESET,
            address=alice.email,
            link_base="https://play.example.com",
            status=status,
            created_at=at,
            next_attempt_at=at,
            give_up_at=at + timedelta(hours=1),
            sent_at=at if status == "sent" else None,
        )

    row("sent", 31), row("failed", 31)
    recent, owed = row("sent", 2), row("pending", 31)
    assert mail.mails_forget() == 2
    assert set(Mail.objects.values_list("pk", flat=True)) == {recent.pk, owed.pk}
