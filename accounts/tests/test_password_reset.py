"""Password reset by mail, password change and email verification (Django's locmem mail backend).

The mail goes out after commit, on the delivery thread: each request runs under
``django_capture_on_commit_callbacks(execute=True)`` and the test then waits for the delivery.
"""

import re
import threading
from urllib.parse import parse_qs, urlparse

import pytest
from django.core import mail as django_mail
from django.db import close_old_connections

from accounts import mail
from accounts.models import User
from conftest import requires_postgres

pytestmark = pytest.mark.django_db

RESET = "/api/auth/password/reset/"
CONFIRM = "/api/auth/password/reset/confirm/"
CHANGE = "/api/auth/password/change/"
VERIFY = "/api/auth/email/verify/"
RESEND = "/api/auth/email/verify/resend/"
LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/refresh/"
NEW_PASSWORD = "a-Fresh-passphrase-42"


@pytest.fixture(autouse=True)
def mail_server(settings):
    settings.EMAIL_HOST = "mail.example.test"
    settings.PUBLIC_URL = ""


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """POST as the client would, then wait until the mails it asked for are delivered."""

    def send(client, path, body=None, method="post"):
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(client, method)(path, body or {}, format="json")
        assert mail.deliveries_wait()
        return response

    return send


def link_in(message) -> tuple[str, dict]:
    url = re.search(r"https?://\S+", message.body).group(0)
    query = {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}
    return url, query


def login(api_client, user, password):
    return api_client.post(LOGIN, {"username": user.username, "password": password}, format="json")


def test_reset_mails_a_link_that_sets_the_password_and_kills_every_refresh_token(api_client, post, alice):
    """Alice asks for a reset, opens the link in the mail, sets a new password: she logs in with it,
    and the refresh token of her session from before is refused."""
    old_refresh = login(api_client, alice, "pass-w0rd-long").json()["refresh"]

    response = post(api_client, RESET, {"email": "ALICE@example.com"})
    assert response.status_code == 202
    assert len(django_mail.outbox) == 1
    message = django_mail.outbox[0]
    assert message.to == ["alice@example.com"]
    url, query = link_in(message)
    assert url.startswith("http://testserver/account/reset/?")

    confirmed = post(api_client, CONFIRM, {**query, "new_password": NEW_PASSWORD})
    assert confirmed.status_code == 200
    assert login(api_client, alice, NEW_PASSWORD).status_code == 200
    refused = api_client.post(REFRESH, {"refresh": old_refresh}, format="json")
    assert refused.status_code == 401
    alice.refresh_from_db()
    assert alice.email_verified is True  # the link reached her inbox


def test_reset_answers_the_same_for_an_address_without_account_and_mails_nothing(api_client, post, alice):
    known = post(api_client, RESET, {"email": "alice@example.com"})
    unknown = post(api_client, RESET, {"email": "nobody@example.com"})
    assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
    assert [m.to for m in django_mail.outbox] == [["alice@example.com"]]


def test_reset_mails_nothing_to_an_account_without_a_password(api_client, post, make_user):
    """A provider-only account (no usable password) is not offered one by mail, as in Django's own form."""
    user = make_user("provider_only")
    user.set_unusable_password()
    user.save()
    assert post(api_client, RESET, {"email": user.email}).status_code == 202
    assert django_mail.outbox == []


def test_reset_link_starts_with_public_url(api_client, post, alice, settings):
    settings.PUBLIC_URL = "https://play.example.com"
    post(api_client, RESET, {"email": alice.email})
    url, _ = link_in(django_mail.outbox[0])
    assert url.startswith("https://play.example.com/account/reset/?uid=")


def test_reset_link_works_once(api_client, post, alice):
    post(api_client, RESET, {"email": alice.email})
    _, query = link_in(django_mail.outbox[0])
    assert post(api_client, CONFIRM, {**query, "new_password": NEW_PASSWORD}).status_code == 200
    again = post(api_client, CONFIRM, {**query, "new_password": "another-Passphrase-7"})
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_token"
    assert login(api_client, alice, NEW_PASSWORD).status_code == 200


def test_reset_link_expires_after_the_reset_time(api_client, post, alice, settings):
    post(api_client, RESET, {"email": alice.email})
    _, query = link_in(django_mail.outbox[0])
    settings.PASSWORD_RESET_TIMEOUT = -1  # the link's age (0 s) is past the timeout
    response = post(api_client, CONFIRM, {**query, "new_password": NEW_PASSWORD})
    assert (response.status_code, response.json()["code"]) == (400, "invalid_token")


@pytest.mark.parametrize(
    "uid, token",
    [("MQ", "forged-token"), ("not-base64!", "x"), ("OTk5OTk5OTk5OTk5OTk5OTk5OTk5", "x")],
)
def test_reset_refuses_a_forged_link(api_client, post, alice, uid, token):
    response = post(api_client, CONFIRM, {"uid": uid, "token": token, "new_password": NEW_PASSWORD})
    assert (response.status_code, response.json()["code"]) == (400, "invalid_token")


def test_reset_refuses_nul_in_a_link_as_invalid_not_a_500(api_client, post):
    response = post(api_client, CONFIRM, {"uid": "\u0000", "token": "\u0000", "new_password": NEW_PASSWORD})
    assert response.status_code == 400


def test_reset_refuses_another_accounts_token(api_client, post, alice, bob):
    post(api_client, RESET, {"email": alice.email})
    _, query = link_in(django_mail.outbox[0])
    bob_uid = mail.uid_encode(bob)
    response = post(api_client, CONFIRM, {**query, "uid": bob_uid, "new_password": NEW_PASSWORD})
    assert (response.status_code, response.json()["code"]) == (400, "invalid_token")


def test_reset_refuses_a_weak_password_and_keeps_the_link_usable(api_client, post, alice):
    post(api_client, RESET, {"email": alice.email})
    _, query = link_in(django_mail.outbox[0])
    weak = post(api_client, CONFIRM, {**query, "new_password": "12345678"})
    assert weak.status_code == 400
    assert weak.json()["new_password"]
    assert post(api_client, CONFIRM, {**query, "new_password": NEW_PASSWORD}).status_code == 200


def test_verification_token_is_no_reset_token(api_client, post, alice):
    query = {"uid": mail.uid_encode(alice), "token": mail.verify_tokens.make_token(alice)}
    response = post(api_client, CONFIRM, {**query, "new_password": NEW_PASSWORD})
    assert (response.status_code, response.json()["code"]) == (400, "invalid_token")


def test_reset_requests_are_limited_per_address_asked_for_whether_it_has_an_account(api_client, post, alice):
    for email in ("alice@example.com", "nobody@example.com"):
        for _ in range(3):
            assert post(api_client, RESET, {"email": email}).status_code == 202
        refused = post(api_client, RESET, {"email": email.upper()})
        assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited")
    assert len(django_mail.outbox) == 3


def test_reset_requests_are_limited_per_client(api_client, post):
    for number in range(20):
        assert post(api_client, RESET, {"email": f"p{number}@example.com"}).status_code == 202
    refused = post(api_client, RESET, {"email": "one-more@example.com"})
    assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited")


@pytest.mark.parametrize("path", [RESET, CONFIRM, VERIFY])
def test_routes_answer_not_configured_without_a_mail_server(api_client, post, settings, path):
    settings.EMAIL_HOST, settings.DEBUG = "", False
    body = {"email": "a@example.com", "uid": "MQ", "token": "x", "new_password": NEW_PASSWORD}
    response = post(api_client, path, body)
    assert (response.status_code, response.json()["code"]) == (404, "not_configured")


def test_resend_answers_not_configured_without_a_mail_server(client_for, post, alice, settings):
    settings.EMAIL_HOST, settings.DEBUG = "", False
    response = post(client_for(alice), RESEND)
    assert (response.status_code, response.json()["code"]) == (404, "not_configured")


def test_password_change_kills_the_old_refresh_tokens_and_answers_a_working_pair(api_client, client_for, post, alice):
    old_refresh = login(api_client, alice, "pass-w0rd-long").json()["refresh"]
    response = post(client_for(alice), CHANGE, {"old_password": "pass-w0rd-long", "new_password": NEW_PASSWORD})
    assert response.status_code == 200
    assert api_client.post(REFRESH, {"refresh": old_refresh}, format="json").status_code == 401
    assert api_client.post(REFRESH, {"refresh": response.json()["refresh"]}, format="json").status_code == 200
    assert login(api_client, alice, NEW_PASSWORD).status_code == 200


def test_password_change_refuses_a_wrong_current_password(client_for, post, alice):
    response = post(client_for(alice), CHANGE, {"old_password": "wrong", "new_password": NEW_PASSWORD})
    assert (response.status_code, response.json()["code"]) == (400, "invalid_password")
    alice.refresh_from_db()
    assert alice.check_password("pass-w0rd-long")


def test_password_change_needs_a_login(api_client, post):
    response = post(api_client, CHANGE, {"old_password": "x", "new_password": NEW_PASSWORD})
    assert response.status_code == 401


def test_registration_mails_a_verification_link_that_verifies_the_address(api_client, client_for, post):
    body = {"username": "newbie", "email": "newbie@example.com", "password": NEW_PASSWORD}
    registered = post(api_client, "/api/auth/register/", {**body, "password_confirm": NEW_PASSWORD})
    assert registered.status_code == 201
    assert registered.json()["user"]["email_verified"] is False
    url, query = link_in(django_mail.outbox[0])
    assert django_mail.outbox[0].to == ["newbie@example.com"]
    assert url.startswith("http://testserver/account/verify/?")

    assert post(api_client, VERIFY, query).status_code == 200
    me = client_for(User.objects.get(username="newbie")).get("/api/me/").json()
    assert me["email_verified"] is True


def test_changing_the_email_unverifies_it_and_mails_the_new_address(api_client, client_for, post, alice):
    alice.email_verified = True
    alice.save(update_fields=["email_verified"])
    old_link = {"uid": mail.uid_encode(alice), "token": mail.verify_tokens.make_token(alice)}
    client = client_for(alice)
    changed = post(client, "/api/me/", {"email": "alice.new@example.com"}, method="patch")
    assert changed.json()["email_verified"] is False
    assert django_mail.outbox[0].to == ["alice.new@example.com"]
    # The link mailed to the old address proves nothing about the new one.
    refused = post(api_client, VERIFY, old_link)
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_token")
    _, query = link_in(django_mail.outbox[0])
    assert post(api_client, VERIFY, query).status_code == 200
    assert client.get("/api/me/").json()["email_verified"] is True


def test_resend_mails_again_and_refuses_past_five_an_hour(client_for, post, alice):
    client = client_for(alice)
    for _ in range(5):
        assert post(client, RESEND).status_code == 202
    refused = post(client, RESEND)
    assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited")
    assert len(django_mail.outbox) == 5
    assert all(message.to == ["alice@example.com"] for message in django_mail.outbox)


def test_resend_mails_nothing_once_the_address_is_verified(client_for, post, alice):
    alice.email_verified = True
    alice.save(update_fields=["email_verified"])
    assert post(client_for(alice), RESEND).status_code == 202
    assert django_mail.outbox == []


def test_no_mail_for_a_change_that_rolled_back(api_client, post, alice):
    """A registration refused (a duplicate) mails nothing."""
    body = {"username": "alice", "email": "alice@example.com", "password": NEW_PASSWORD}
    assert post(api_client, "/api/auth/register/", {**body, "password_confirm": NEW_PASSWORD}).status_code == 400
    assert django_mail.outbox == []


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_link_used_twice_at_once_sets_one_password(alice):
    """Two uses of one reset link at the same moment: one sets its password, the other is refused."""
    from accounts import recovery
    from gameplatform.core.errors import ApplicationError

    token, uid = mail.reset_tokens.make_token(alice), mail.uid_encode(alice)
    barrier, outcomes = threading.Barrier(2), []

    def use(password: str) -> None:
        barrier.wait()
        try:
            recovery.password_reset_confirm(uid=uid, token=token, new_password=password, address="10.0.0.1")
            outcomes.append(password)
        except ApplicationError as exc:
            outcomes.append(exc.code)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=use, args=(p,)) for p in ("first-Passphrase-1", "second-Passphrase-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winner = next(outcome for outcome in outcomes if outcome != "invalid_token")
    assert outcomes.count("invalid_token") == 1
    alice.refresh_from_db()
    assert alice.check_password(winner)


def test_debug_without_a_mail_server_still_mails_for_the_console(api_client, post, alice, settings):
    """``DEBUG=1`` and no ``EMAIL_HOST``: the routes work and the mail goes to the console backend
    (under the tests, Django's locmem backend stands in for it)."""
    settings.EMAIL_HOST, settings.DEBUG = "", True
    assert post(api_client, RESET, {"email": alice.email}).status_code == 202
    assert len(django_mail.outbox) == 1


def test_a_mail_the_server_cannot_deliver_is_logged_without_its_link(api_client, post, alice, settings, caplog):
    from gameplatform.tests.live import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    with caplog.at_level("WARNING", logger="accounts.mail"):
        assert post(api_client, RESET, {"email": alice.email}).status_code == 202
    [record] = [r for r in caplog.records if r.name == "accounts.mail"]
    assert record.getMessage() == "mail not delivered"
    assert (record.kind, record.user_id) == ("password_reset", alice.pk)
    logged = repr(vars(record))
    assert "/account/reset/" not in logged and mail.reset_tokens.make_token(alice) not in logged
