"""Password reset and email verification over real SMTP: a server process configured with
``EMAIL_HOST`` pointing at a local SMTP server (aiosmtpd) the test starts; the test reads the links
from the mails it receives and follows them (the reset link in headless Chromium, as a player would)."""

import email
import queue
import re
from email import policy

import httpx
import pytest
from aiosmtpd.controller import Controller

from gameplatform.tests.live import LiveServer, free_port

pytestmark = pytest.mark.live

PASSWORD = "a-long-pass-phrase-42"
NEW_PASSWORD = "a-Fresh-passphrase-43"


class Inbox:
    """An aiosmtpd handler that keeps every mail it accepts, for the test to wait on."""

    def __init__(self) -> None:
        self.mails: queue.Queue = queue.Queue()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.mails.put((envelope.rcpt_tos, message))
        return "250 Message accepted for delivery"

    def next_link(self, to: str, timeout: float = 30.0) -> str:
        """The link in the next mail, which must be addressed to ``to``."""
        recipients, message = self.mails.get(timeout=timeout)
        assert recipients == [to]
        body = message.get_body(preferencelist=("plain",)).get_content()
        return re.search(r"https?://\S+", body).group(0)


@pytest.fixture(scope="module")
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture(scope="module")
def mail_server_process(smtp, tmp_path_factory):
    # Without Redis: the session's own live server uses the test Redis, and its ids overlap this one's.
    env = {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp[1]),
        "DEFAULT_FROM_EMAIL": "game@example.com",
        "REDIS_URL": "",
    }
    server = LiveServer(tmp_path_factory.mktemp("mail_live"), env=env)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_server(mail_server_process):
    """The server; the test fails if it logged an error or a credential (a token in a link, say)."""
    offset = mail_server_process.log_size()
    yield mail_server_process
    assert not mail_server_process.errors_since(offset)
    assert not mail_server_process.credentials_logged(offset)


def register(base: str, username: str) -> dict:
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    response = httpx.post(f"{base}/api/auth/register/", json={**body, "password_confirm": PASSWORD})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_verification_mail_arrives_over_smtp_and_its_link_verifies_the_address(mail_server, smtp):
    inbox, _ = smtp
    base = mail_server.http
    registered = register(base, "verifier_1")
    link = inbox.next_link("verifier_1@example.com")
    assert link.startswith(f"{base}/account/verify/?uid=")
    query = dict(httpx.URL(link).params)
    assert httpx.post(f"{base}/api/auth/email/verify/", json=query).status_code == 200
    me = httpx.get(f"{base}/api/me/", headers={"Authorization": f"Bearer {registered['access']}"}).json()
    assert me["email_verified"] is True


def test_a_reset_mail_arrives_over_smtp_and_its_page_sets_a_password_that_ends_the_old_sessions(
    mail_server, smtp, new_page
):
    """Forgot password? in /play/ mails a link; the page it opens sets a new password; the refresh
    token of the session from before is refused, and the new password logs in."""
    inbox, _ = smtp
    base = mail_server.http
    old_refresh = register(base, "forgetful_1")["refresh"]
    inbox.next_link("forgetful_1@example.com")  # the verification mail of the registration

    page = new_page("forgetful")
    page.goto(f"{base}/play/")
    page.click("#forgot-open")
    page.fill("#forgot-form input[name=email]", "forgetful_1@example.com")
    page.click("#forgot-form button[type=submit]")
    page.wait_for_selector("#banner.info:not([hidden])")

    link = inbox.next_link("forgetful_1@example.com")
    assert link.startswith(f"{base}/account/reset/?uid=")
    page.goto(link)
    page.fill("#reset-form input[name=new_password]", NEW_PASSWORD)
    page.fill("#reset-form input[name=new_password_again]", NEW_PASSWORD)
    page.click("#reset-form button[type=submit]")
    page.wait_for_selector("#reset-done")
    assert not page.problems, page.problems

    refused = httpx.post(f"{base}/api/auth/refresh/", json={"refresh": old_refresh})
    assert (refused.status_code, refused.json()["code"]) == (401, "token_not_valid")
    login = httpx.post(f"{base}/api/auth/login/", json={"username": "forgetful_1", "password": NEW_PASSWORD})
    assert login.status_code == 200
    page.goto(link)  # the link worked once
    page.wait_for_selector("#reset-invalid")
