"""The pages the account mails link to (``/account/reset/``, ``/account/verify/``), through Django's
test client: a valid link shows its form, the form does what it says once, a bad link says so."""

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import mail

pytestmark = pytest.mark.django_db

RESET_PAGE = "/account/reset/"
VERIFY_PAGE = "/account/verify/"
NEW_PASSWORD = "a-Fresh-passphrase-42"


@pytest.fixture(autouse=True)
def mail_server(settings):
    settings.EMAIL_HOST = "mail.example.test"


def reset_link(user) -> dict:
    return {"uid": mail.uid_encode(user), "token": mail.reset_tokens.make_token(user)}


def test_reset_page_sets_the_password_once_and_signs_every_device_out(client, alice):
    refresh = RefreshToken.for_user(alice)
    link = reset_link(alice)
    page = client.get(RESET_PAGE, link)
    assert page.status_code == 200
    assert b'id="reset-form"' in page.content
    assert page["Referrer-Policy"] == "same-origin"

    done = client.post(RESET_PAGE, {**link, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})
    assert done.status_code == 200
    assert b'id="reset-done"' in done.content
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    refused = client.post("/api/auth/refresh/", {"refresh": str(refresh)}, content_type="application/json")
    assert refused.status_code == 401
    again = client.get(RESET_PAGE, link)
    assert again.status_code == 400 and b'id="reset-invalid"' in again.content


def test_reset_page_says_what_is_wrong_with_the_password(client, alice):
    link = reset_link(alice)
    differ = client.post(RESET_PAGE, {**link, "new_password": NEW_PASSWORD, "new_password_again": "other"})
    assert differ.status_code == 400 and b"The passwords differ." in differ.content
    weak = client.post(RESET_PAGE, {**link, "new_password": "12345678", "new_password_again": "12345678"})
    assert weak.status_code == 400 and b'id="reset-errors"' in weak.content
    alice.refresh_from_db()
    assert alice.check_password("pass-w0rd-long")


def test_reset_page_refuses_a_forged_link(client, alice):
    page = client.get(RESET_PAGE, {"uid": mail.uid_encode(alice), "token": "forged"})
    assert page.status_code == 400 and b'id="reset-invalid"' in page.content


def test_account_pages_are_404_without_a_mail_server(client, settings):
    settings.EMAIL_HOST, settings.DEBUG = "", False
    assert client.get(RESET_PAGE).status_code == 404
    assert client.get(VERIFY_PAGE).status_code == 404


def test_verify_page_verifies_on_the_press_of_its_button_not_on_opening(client, alice):
    link = {"uid": mail.uid_encode(alice), "token": mail.verify_tokens.make_token(alice)}
    page = client.get(VERIFY_PAGE, link)
    assert page.status_code == 200 and b'id="verify-form"' in page.content
    alice.refresh_from_db()
    assert alice.email_verified is False  # a mail scanner opening the link verifies nothing
    done = client.post(VERIFY_PAGE, link)
    assert done.status_code == 200 and b'id="verify-done"' in done.content
    alice.refresh_from_db()
    assert alice.email_verified is True


def test_play_page_offers_forgot_password(client):
    page = client.get("/play/")
    assert b'id="forgot-open"' in page.content and b'id="forgot-form"' in page.content
